# SPDX-License-Identifier: GPL-2.0-or-later
"""Parameters of the optional stimuli, as the reference package's
``stimulus_params`` module gives them (``default_stim_dict``, also
``stim_dict``): a thalamic pulse (Poisson spikes of ``num_th_neurons`` relay
neurons from ``th_start`` for ``th_duration`` ms) and a transient DC current
(``dc_transient_amp`` pA times each population's K_ext, from
``dc_transient_start`` for ``dc_transient_dur`` ms).
"""

import numpy as np

default_stim_dict = {
    # thalamic input on or off
    "thalamic_input": False,
    # its start and duration (ms)
    "th_start": 700.0,
    "th_duration": 10.0,
    # rate of each thalamic neuron while active (spikes/s)
    "th_rate": 120.0,
    # number of thalamic neurons (not scaled)
    "num_th_neurons": 902,
    # connection probabilities from the thalamus to each population
    "conn_probs_th": np.array([0.0, 0.0, 0.0983, 0.0619, 0.0, 0.0, 0.0512, 0.0196]),
    # mean thalamic PSP (mV); the relative sd is net_dict['weight_rel_std']
    "PSP_th": 0.15,
    # mean and relative sd of the thalamic delays (ms)
    "delay_th_mean": 1.5,
    "delay_th_rel_std": 0.5,
    # transient DC input on or off
    "dc_transient": False,
    # its start and duration (ms)
    "dc_transient_start": 650.0,
    "dc_transient_dur": 100.0,
    # its amplitude per external in-degree (pA)
    "dc_transient_amp": 0.3,
}

stim_dict = default_stim_dict
