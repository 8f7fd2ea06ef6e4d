package dropin

import (
	"errors"
	"testing"
)

// FuzzDictionaries feeds arbitrary JSON as the three dictionaries: Parse
// must not panic, every error must be a KeyError with a message, and what
// it accepts must be valid parameters.
func FuzzDictionaries(f *testing.F) {
	f.Add([]byte(`{"t_sim": 100, "rec_dev": ["spike_recorder", "voltmeter"]}`), []byte(`{"N_scaling": 0.1, "K_ext": [1,2,3,4,5,6,7,8]}`), []byte(`{"thalamic_input": true}`))
	f.Add([]byte(`{}`), []byte(`{"neuron_params": {"V0_mean": {"optimized": [1, "nan"]}}}`), []byte(`null`))
	f.Add([]byte(`{"rng_seed": 1e30}`), []byte(`{"conn_probs": [[0.1]], "PSP_matrix_mean": 3}`), []byte(`[]`))
	f.Fuzz(func(t *testing.T, sim, net, stim []byte) {
		s, err := Parse(sim, net, stim)
		if err != nil {
			var ke *KeyError
			if !errors.As(err, &ke) || err.Error() == "" {
				t.Fatalf("error %v (%T): want a KeyError with a message", err, err)
			}
			return
		}
		if err := s.Params.Validate(); err != nil {
			t.Fatalf("accepted invalid parameters: %v", err)
		}
	})
}
