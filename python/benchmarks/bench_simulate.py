# SPDX-License-Identifier: GPL-2.0-or-later
"""Measures the overhead of the Python layer: the wall time of
Network.simulate(t_sim) against the simulation time the command line
reports (summary.json, times_s.sim) for the same model, seed, threads and
recording (spikes to NEST's files), in alternating runs. Prints the medians,
their ratio and the machine.

    python3 python/benchmarks/bench_simulate.py [--scale 0.2] [--t-sim 10000] [--reps 5]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

PY_RUN = r"""
import sys, time
sys.path.insert(0, %(pkg)r)
from microcircuit import network
from microcircuit.network_params import default_net_dict as net
from microcircuit.sim_params import default_sim_dict as sim
from microcircuit.stimulus_params import default_stim_dict as stim
net["N_scaling"] = net["K_scaling"] = %(scale)r
sim.update(data_path=%(data)r, local_num_threads=%(threads)d, print_time=False)
nw = network.Network(sim, net, stim)
nw.create()
nw.connect()
nw.simulate(sim["t_presim"])
t0 = time.perf_counter()
nw.simulate(%(tsim)r)
print("SIM", time.perf_counter() - t0)
"""


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    caches = []
    base = "/sys/devices/system/cpu/cpu0/cache"
    for d in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        if not d.startswith("index"):
            continue

        def read(name):
            with open(os.path.join(base, d, name)) as f:
                return f.read().strip()

        caches.append("L%s %s %s" % (read("level"), read("type").lower(), read("size")))
    return "%s, %d cores; %s" % (model, os.cpu_count(), ", ".join(caches))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.2)
    ap.add_argument("--t-sim", type=float, default=10000.0)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-simulate-")
    cli = os.path.join(tmp, "microcircuit")
    subprocess.run(["go", "build", "-o", cli, "./cmd/microcircuit"], cwd=REPO, check=True)
    subprocess.run(["go", "build", "-buildmode=c-shared", "-o", os.path.join(REPO, "python", "microcircuit", "libmicrocircuit.so"),
                    "./cmd/libmicrocircuit"], cwd=REPO, check=True)
    cli_times, py_times = [], []
    for rep in range(a.reps):
        for kind in (("cli", "py") if rep % 2 == 0 else ("py", "cli")):
            data = os.path.join(tmp, "%s%d" % (kind, rep))
            if kind == "cli":
                subprocess.run([cli, "run", "--scale", str(a.scale), "--t-sim", str(a.t_sim), "--threads", str(a.threads),
                                "--data-path", data, "--no-plots", "-q"], check=True, stderr=subprocess.DEVNULL)
                with open(os.path.join(data, "summary.json")) as f:
                    cli_times.append(json.load(f)["times_s"]["sim"])
            else:
                code = PY_RUN % {"pkg": os.path.join(REPO, "python"), "scale": a.scale, "data": data + "/",
                                 "threads": a.threads, "tsim": a.t_sim}
                out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
                py_times.append(float(out.split("SIM")[-1]))
        print("rep %d: cli %.3f s, python %.3f s" % (rep, cli_times[-1], py_times[-1]), flush=True)
    c, p = statistics.median(cli_times), statistics.median(py_times)
    print("machine: %s" % machine())
    print("scale %g, t_sim %g ms, %d threads, %d repetitions (alternating)" % (a.scale, a.t_sim, a.threads, a.reps))
    print("simulate, median: command line %.3f s (RTF %.3f), Python %.3f s (RTF %.3f), Python/CLI = %.3f"
          % (c, c / (a.t_sim / 1000), p, p / (a.t_sim / 1000), p / c))


if __name__ == "__main__":
    main()
