# SPDX-License-Identifier: GPL-2.0-or-later
"""Network and neuron parameters of the microcircuit, as the reference
package's ``network_params`` module gives them.

``default_net_dict`` (also ``net_dict``) holds the published parameters of
Potjans & Diesmann (2014) and two matrices derived from them when this module
is imported: ``PSP_matrix_mean`` (the mean PSP of every pair, [target][source];
the L4E -> L2/3E entry doubled) and ``delay_matrix_mean``. As in the
reference, the network uses the matrices for its recurrent connections: after
changing ``PSP_exc_mean``, ``g`` or the mean delays, derive them again with
:func:`get_exc_inh_matrix`.
"""

import numpy as np

POPULATIONS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]


def get_exc_inh_matrix(val_exc, val_inh, num_pops):
    """Returns a num_pops x num_pops matrix whose columns of excitatory
    sources (even indices) hold val_exc and of inhibitory sources (odd
    indices) val_inh."""
    matrix = np.empty((num_pops, num_pops))
    matrix[:, 0::2] = val_exc
    matrix[:, 1::2] = val_inh
    return matrix


net_dict = {
    # scaling of the neuron numbers and of the in-degrees
    "N_scaling": 1.0,
    "K_scaling": 1.0,
    # the neuron model (the only one the engine simulates)
    "neuron_model": "iaf_psc_exp",
    # the populations, in this order everywhere
    "populations": list(POPULATIONS),
    # neurons per population at full scale
    "full_num_neurons": np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]),
    # mean rates of the full-scale network (spikes/s), for the compensation
    # of down-scaled in-degrees
    "full_mean_rates": np.array([0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829]),
    # connection probabilities [target][source]
    "conn_probs": np.array(
        [
            [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
            [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
            [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
            [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
            [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
            [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
            [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
            [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
        ]
    ),
    # mean excitatory PSP (mV)
    "PSP_exc_mean": 0.15,
    # relative standard deviation of the weights
    "weight_rel_std": 0.1,
    # relative inhibitory weight
    "g": -4,
    # mean delays of excitatory and inhibitory connections (ms)
    "delay_exc_mean": 1.5,
    "delay_inh_mean": 0.75,
    # relative standard deviation of the delays
    "delay_rel_std": 0.5,
    # background input: "dc" or "poisson"
    "bg_input_type": "dc",
    # external in-degrees per population
    "K_ext": np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]),
    # rate of each background source (spikes/s)
    "bg_rate": 8.0,
    # delay of the Poisson background (ms)
    "delay_poisson": 1.5,
    # initial membrane potentials: "optimized" (per population) or "original"
    "V0_type": "optimized",
    "neuron_params": {
        # mean and standard deviation of the initial membrane potential (mV)
        "V0_mean": {
            "original": -58.0,
            "optimized": [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43],
        },
        "V0_std": {
            "original": 10.0,
            "optimized": [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48],
        },
        # resting potential, threshold and reset (mV)
        "E_L": -65.0,
        "V_th": -50.0,
        "V_reset": -65.0,
        # membrane capacitance (pF)
        "C_m": 250.0,
        # membrane and synaptic time constants (ms)
        "tau_m": 10.0,
        "tau_syn": 0.5,
        # refractory period (ms)
        "t_ref": 2.0,
    },
}

_psp = get_exc_inh_matrix(
    net_dict["PSP_exc_mean"], net_dict["PSP_exc_mean"] * net_dict["g"], len(net_dict["populations"])
)
_psp[0, 2] = 2.0 * net_dict["PSP_exc_mean"]
net_dict["PSP_matrix_mean"] = _psp
net_dict["delay_matrix_mean"] = get_exc_inh_matrix(
    net_dict["delay_exc_mean"], net_dict["delay_inh_mean"], len(net_dict["populations"])
)

default_net_dict = net_dict
