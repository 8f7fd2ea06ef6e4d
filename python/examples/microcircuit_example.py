# SPDX-License-Identifier: GPL-2.0-or-later
"""The microcircuit at scale 0.2 (or the scale given as the first argument)
with the reference package's workflow: build, warm up, simulate, store the
metadata, draw the raster and rate plots, and print the time of each phase
and the peak memory. Results go to data_scale_<scale>/ in the working
directory.

    python3 microcircuit_example.py [scale]
"""

import resource
import sys
import time

import numpy as np

from microcircuit import network
from microcircuit.network_params import default_net_dict as net_dict
from microcircuit.sim_params import default_sim_dict as sim_dict
from microcircuit.stimulus_params import default_stim_dict as stim_dict


def main(scale):
    net_dict["N_scaling"] = scale
    net_dict["K_scaling"] = scale
    sim_dict["data_path"] = "data_scale_%.2f/" % scale

    times = [("start", time.time())]
    net = network.Network(sim_dict, net_dict, stim_dict)
    times.append(("initialize", time.time()))
    net.create()
    times.append(("create", time.time()))
    net.connect()
    times.append(("connect", time.time()))
    net.simulate(sim_dict["t_presim"])
    times.append(("presimulate", time.time()))
    net.simulate(sim_dict["t_sim"])
    times.append(("simulate", time.time()))
    net.store_metadata()

    window = np.array([sim_dict["t_presim"], sim_dict["t_presim"] + sim_dict["t_sim"]])
    net.evaluate(window, window)
    times.append(("evaluate", time.time()))
    print("Raster plot                  : see %sraster_plot.png" % sim_dict["data_path"])
    print("Distributions of firing rates: see %sbox_plot.png" % sim_dict["data_path"])

    print("\nTimes:")
    for (_, t0), (name, t1) in zip(times, times[1:]):
        print("    Time to %-12s: %.3f s" % (name, t1 - t0))
    rtf = (times[5][1] - times[4][1]) / (sim_dict["t_sim"] / 1000.0)
    print("    Real-time factor    : %.3f" % rtf)
    # ru_maxrss is in KiB on Linux.
    print("Peak memory: %d MB" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.2)
