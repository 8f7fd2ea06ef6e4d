// Command libmicrocircuit is the engine as a C shared library, for the
// Python package in python/ (loaded with ctypes):
//
//	go build -buildmode=c-shared -o python/microcircuit/libmicrocircuit.so ./cmd/libmicrocircuit
//
// A network is a handle (an int64 > 0). Every call returns a status: 0 ok,
// 1 invalid parameters (a Python ValueError), 2 any other error (a
// RuntimeError), 3 interrupted by mc_interrupt (a KeyboardInterrupt in
// Python); with a status other than 0 the message is in *msg, which the
// caller frees with mc_free_string. Calls on one handle are serialised;
// mc_interrupt may be called from any thread while another call runs.
//
//	int mc_new(char *sim_json, char *net_json, char *stim_json, int64_t *handle, char **msg);
//	int mc_info(int64_t h, char **json);   // derived quantities, as JSON (*json to free)
//	int mc_create(int64_t h, char **msg);
//	int mc_connect(int64_t h, char **msg);
//	int mc_simulate(int64_t h, double t_ms, char **msg);
//	void mc_interrupt(int64_t h);
//	int64_t mc_spike_count(int64_t h);
//	int mc_spikes(int64_t h, int32_t *senders, double *times, int64_t n, char **msg);
//	double mc_time(int64_t h);
//	void mc_free(int64_t h);
//	void mc_free_string(char *s);
//	char *mc_version(void);                // to free
package main
