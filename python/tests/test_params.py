# SPDX-License-Identifier: GPL-2.0-or-later
"""The default dictionaries against the reference's published values, and
the checking of the dictionaries."""

import os

import numpy as np
import pytest

import reference_defaults as ref


def assert_same(ours, theirs, path):
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), path
        assert sorted(ours) == sorted(theirs), "%s: keys %s, want %s" % (path, sorted(ours), sorted(theirs))
        for k in theirs:
            assert_same(ours[k], theirs[k], "%s[%r]" % (path, k))
    elif isinstance(theirs, list) and theirs and not isinstance(theirs[0], str):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs), err_msg=path)
    else:
        assert ours == theirs and type(ours) is type(theirs), "%s = %r, want %r" % (path, ours, theirs)


def test_defaults_are_the_reference_values():
    from microcircuit.network_params import default_net_dict, net_dict
    from microcircuit.sim_params import default_sim_dict
    from microcircuit.stimulus_params import default_stim_dict

    assert net_dict is default_net_dict
    assert_same(default_net_dict, ref.NET, "net_dict")
    sim = dict(default_sim_dict)
    assert sim["data_path"] == os.path.join(os.getcwd(), "data/")
    sim["data_path"] = "<cwd>/data/"
    assert_same(sim, ref.SIM, "sim_dict")
    assert_same(default_stim_dict, ref.STIM, "stim_dict")


def test_arrays_where_the_reference_has_arrays():
    from microcircuit.network_params import default_net_dict as net
    from microcircuit.stimulus_params import default_stim_dict as stim

    for key in ("full_num_neurons", "full_mean_rates", "conn_probs", "K_ext", "PSP_matrix_mean", "delay_matrix_mean"):
        assert isinstance(net[key], np.ndarray), key
    assert net["conn_probs"].shape == (8, 8)
    assert net["full_num_neurons"].dtype.kind == "i"
    assert isinstance(stim["conn_probs_th"], np.ndarray)


def test_get_exc_inh_matrix():
    from microcircuit.network_params import get_exc_inh_matrix

    m = get_exc_inh_matrix(1.0, -2.0, 4)
    np.testing.assert_array_equal(m, [[1, -2, 1, -2]] * 4)


def _network(sim, net, stim):
    from microcircuit import network

    return network.Network(sim, net, stim)


@pytest.mark.parametrize(
    "where,key,value,named",
    [
        ("net", "N_scalling", 0.1, "net_dict['N_scalling']"),
        ("sim", "t_sim", -1.0, "sim_dict['t_sim']"),
        ("net", "N_scaling", 0.0, "net_dict['N_scaling']"),
        ("net", "K_ext", np.array([1, 2, 3]), "net_dict['K_ext']"),
        ("net", "g", float("nan"), "net_dict['g']"),
        ("net", "neuron_model", "iaf_psc_alpha", "net_dict['neuron_model']"),
        ("net", "bg_input_type", "noise", "net_dict['bg_input_type']"),
        ("sim", "rec_dev", ["multimeter"], "sim_dict['rec_dev'][0]"),
        ("sim", "rng_seed", 1.5, "sim_dict['rng_seed']"),
        ("sim", "local_num_threads", 0, "sim_dict['local_num_threads']"),
        ("stim", "th_rate", "fast", "stim_dict['th_rate']"),
        ("stim", "conn_probs_th", np.full(8, 1.0), "stim_dict['conn_probs_th'][0]"),
        ("net", "conn_probs", np.zeros((8, 7)), "net_dict['conn_probs'][0]"),
        ("sim", "data_path", object(), "sim_dict['data_path']"),
    ],
)
def test_invalid_dictionaries_raise_value_error_naming_the_key(dicts, where, key, value, named):
    sim, net, stim = dicts
    {"sim": sim, "net": net, "stim": stim}[where][key] = value
    with pytest.raises(ValueError) as e:
        _network(sim, net, stim)
    assert named in str(e.value)
    if isinstance(sim["data_path"], str):
        assert not os.path.exists(sim["data_path"]), "an invalid network wrote its data path"


def test_nested_unknown_key(dicts):
    sim, net, stim = dicts
    net["neuron_params"]["tau_syn_ex"] = 0.5
    with pytest.raises(ValueError, match=r"net_dict\['neuron_params'\]\['tau_syn_ex'\] is not a parameter"):
        _network(sim, net, stim)


def test_derived_parameters_follow_the_helpers(dicts):
    """The engine's derived quantities (the Network's attributes) equal the
    reference's derivation done with the helpers."""
    from microcircuit import helpers

    sim, net, stim = dicts
    net["N_scaling"] = net["K_scaling"] = 0.1
    net["bg_input_type"] = "poisson"
    stim["thalamic_input"] = True
    nw = _network(sim, net, stim)
    full_syn = helpers.num_synapses_from_conn_probs(net["conn_probs"], net["full_num_neurons"], net["full_num_neurons"])
    np.testing.assert_array_equal(nw.num_neurons, np.round(net["full_num_neurons"] * 0.1).astype(int))
    np.testing.assert_array_equal(nw.num_synapses, np.round(full_syn * 0.01).astype(int))
    np.testing.assert_array_equal(nw.ext_indegrees, np.round(net["K_ext"] * 0.1).astype(int))
    npar = net["neuron_params"]
    f = helpers.postsynaptic_potential_to_current(npar["C_m"], npar["tau_m"], npar["tau_syn"])
    assert f == pytest.approx(585.38996, abs=1e-5)
    w, w_ext, dc = helpers.adjust_weights_and_input_to_synapse_scaling(
        net["full_num_neurons"], full_syn, 0.1, net["PSP_matrix_mean"] * f, net["PSP_exc_mean"] * f,
        npar["tau_syn"], net["full_mean_rates"], np.zeros(8), "poisson", net["bg_rate"], net["K_ext"],
    )
    np.testing.assert_allclose(nw.weight_matrix_mean, w, rtol=1e-12)
    assert nw.weight_ext == pytest.approx(w_ext, rel=1e-12)
    np.testing.assert_allclose(nw.DC_amp, dc, rtol=1e-9)
    th = helpers.num_synapses_from_conn_probs(stim["conn_probs_th"], stim["num_th_neurons"], net["full_num_neurons"])[0]
    np.testing.assert_array_equal(nw.num_th_synapses, np.round(th * 0.1).astype(int))
    assert nw.weight_th == pytest.approx(stim["PSP_th"] * f / np.sqrt(0.1), rel=1e-12)
    dc_only = helpers.dc_input_compensating_poisson(8.0, net["K_ext"], 0.5, 0.15 * f)
    assert dc_only[0] == pytest.approx(8.0 * 1600 * 0.15 * f * 0.5e-3)
    assert helpers.compute_rheo_base_current(-50.0, -65.0, 250.0, 10.0) == 375.0


def test_psp_matrix_is_what_counts(dicts):
    """As in the reference, the recurrent weights follow PSP_matrix_mean,
    not g, once the module has derived it (with a warning on the mismatch)."""
    sim, net, stim = dicts
    net["N_scaling"] = net["K_scaling"] = 0.1
    base = _network(sim, net, stim).weight_matrix_mean.copy()
    net["g"] = -5
    sim["overwrite_files"] = True
    with pytest.warns(UserWarning, match="PSP_matrix_mean"):
        same = _network(sim, net, stim).weight_matrix_mean
    np.testing.assert_array_equal(same, base)
    from microcircuit.network_params import get_exc_inh_matrix

    net["PSP_matrix_mean"] = get_exc_inh_matrix(0.15, 0.15 * -5, 8)
    net["PSP_matrix_mean"][0, 2] = 0.3
    changed = _network(sim, net, stim).weight_matrix_mean
    np.testing.assert_allclose(changed[:, 1::2], base[:, 1::2] * 1.25)
    np.testing.assert_array_equal(changed[:, 0::2], base[:, 0::2])
