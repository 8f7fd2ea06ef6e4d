# SPDX-License-Identifier: GPL-2.0-or-later
"""Simulation parameters, as the reference package's ``sim_params`` module
gives them (``default_sim_dict``, also ``sim_dict``).

``local_num_threads`` is the number of worker threads, at most the number of
cores (the spikes do not depend on it); ``rec_dev`` lists the recording
devices: ``"spike_recorder"`` and ``"voltmeter"`` (every neuron, every
``rec_V_int`` ms). The files go to ``data_path`` as NEST writes them.
"""

import os

default_sim_dict = {
    # warm-up and simulation time (ms)
    "t_presim": 500.0,
    "t_sim": 1000.0,
    # time step (ms)
    "sim_resolution": 0.1,
    # recording devices: "spike_recorder", "voltmeter", or none
    "rec_dev": ["spike_recorder"],
    # directory of the output files
    "data_path": os.path.join(os.getcwd(), "data/"),
    # seed of every random stream
    "rng_seed": 55,
    # worker threads
    "local_num_threads": 4,
    # sampling interval of the membrane potentials (ms)
    "rec_V_int": 1.0,
    # replace the files of an earlier run in data_path (else it is an error)
    "overwrite_files": True,
    # print the progress of simulate
    "print_time": True,
    # let store_metadata() write the parameters and node ids
    "store_metadata": True,
}

sim_dict = default_sim_dict
