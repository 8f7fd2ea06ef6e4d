# SPDX-License-Identifier: GPL-2.0-or-later
"""The Network class: the reference's workflow, the files it writes, the
same spikes as the command line, Ctrl-C, and the example script."""

import glob
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import PACKAGE_PATH, PYTHON_DIR

# NEST's per-population mean rates (spikes/s, L23E..L6I) over 1 s windows
# after the 500 ms warm-up at scale 0.2 with DC background: the smallest
# and largest of 5 seeds x 10 windows of shared/reference/scale0.2_dc (the
# band the Go tests use too).
NEST_BAND_DC02 = [(0.53, 0.96), (2.13, 3.38), (3.73, 5.70), (4.82, 7.24),
                  (6.59, 10.99), (7.53, 11.47), (0.79, 1.28), (6.68, 10.15)]


def spike_file_rows(path):
    """Returns the (sender, time) rows of the spike files in path, sorted."""
    rows = []
    for f in sorted(glob.glob(os.path.join(path, "spike_recorder-*.dat"))):
        with open(f) as fh:
            rows += fh.read().splitlines()[3:]
    return sorted(rows)


def test_package_under_test():
    import microcircuit

    where = os.path.dirname(os.path.abspath(microcircuit.__file__))
    if PACKAGE_PATH:
        assert where == os.path.join(PACKAGE_PATH, "microcircuit")
    else:
        assert not where.startswith(PYTHON_DIR), where


def test_the_reference_unit_test_workflow(dicts):
    """Scale 0.2, 100 ms: create, connect, simulate raise nothing and the
    network fires."""
    from microcircuit import network

    sim, net, stim = dicts
    net["N_scaling"] = net["K_scaling"] = 0.2
    sim["t_sim"] = 100.0
    nw = network.Network(sim, net, stim)
    nw.create()
    nw.connect()
    nw.simulate(sim["t_sim"])
    s = nw.spikes()
    assert len(s["senders"]) > 1000
    assert s["times"].min() > 0 and s["times"].max() <= 100.0
    assert np.all(np.diff(s["times"]) >= 0)
    assert len(nw.pops) == 8 and nw.pops[0].tolist()[0] == 1
    assert len(nw.spike_recorders) == 8 and nw.spike_recorders[0].global_id == sum(nw.num_neurons) + 1


def test_spikes_equal_the_command_line(dicts, cli, tmp_path):
    """The Python API and `microcircuit run` give the same spikes for the
    same parameters and seed (Poisson background, thalamic pulse and DC
    transient on)."""
    from microcircuit import network

    sim, net, stim = dicts
    net["N_scaling"] = net["K_scaling"] = 0.05
    net["bg_input_type"] = "poisson"
    stim["thalamic_input"] = True
    stim["th_start"] = 150.0
    stim["dc_transient"] = True
    stim["dc_transient_start"] = 120.0
    sim["rng_seed"] = 7
    nw = network.Network(sim, net, stim)
    nw.create()
    nw.connect()
    nw.simulate(100.0)
    nw.simulate(200.0)
    ours = nw.spikes()

    out = str(tmp_path / "cli")
    subprocess.run(
        [cli, "run", "--scale", "0.05", "--bg", "poisson", "--thalamic", "--dc-transient", "--seed", "7",
         "--t-presim", "100", "--t-sim", "200", "--threads", "1", "--data-path", out, "--no-plots", "-q",
         "--config", str(_stim_config(tmp_path))],
        check=True,
    )
    theirs = spike_file_rows(out)
    assert len(theirs) > 500
    assert spike_file_rows(sim["data_path"]) == theirs
    assert len(ours["senders"]) == len(theirs)
    rows = sorted("%d\t%.3f" % (s, t) for s, t in zip(ours["senders"], ours["times"]))
    assert rows == theirs


def _stim_config(tmp_path):
    path = tmp_path / "stim.yaml"
    path.write_text("stimulus:\n  th_start_ms: 150\n  dc_start_ms: 120\n")
    return path


def test_voltmeter_and_device_ids(dicts):
    from microcircuit import network

    sim, net, stim = dicts
    net["N_scaling"] = net["K_scaling"] = 0.02
    sim["rec_dev"] = ["spike_recorder", "voltmeter"]
    sim["rec_V_int"] = 2.0
    nw = network.Network(sim, net, stim)
    nw.create()
    nw.connect()
    nw.simulate(20.0)
    n = int(sum(nw.num_neurons))
    assert nw.voltmeters.tolist() == list(range(n + 9, n + 17))
    for k, vm in enumerate(nw.voltmeters.tolist()):
        with open(os.path.join(sim["data_path"], "voltmeter-%d-0.dat" % vm)) as f:
            lines = f.read().splitlines()
        assert lines[2].split() == ["sender", "time_ms", "V_m"]
        assert len(lines) - 3 == nw.num_neurons[k] * 10


def test_calls_out_of_order_and_bad_times(dicts):
    from microcircuit import network

    sim, net, stim = dicts
    net["N_scaling"] = net["K_scaling"] = 0.02
    nw = network.Network(sim, net, stim)
    with pytest.raises(RuntimeError, match="create"):
        nw.connect()
    nw.create()
    with pytest.raises(RuntimeError, match="connect"):
        nw.simulate(10.0)
    nw.connect()
    with pytest.raises(ValueError, match="multiple of"):
        nw.simulate(10.05)
    nw.simulate(10.0)


def test_overwrite_files_false_keeps_earlier_results(dicts):
    from microcircuit import network

    sim, net, stim = dicts
    net["N_scaling"] = net["K_scaling"] = 0.02
    first = network.Network(sim, net, stim)
    first.create()
    sim["overwrite_files"] = False
    with pytest.raises(ValueError, match=r"sim_dict\['data_path'\].*overwrite_files"):
        network.Network(sim, net, stim)


CTRL_C_SCRIPT = r"""
import sys
if %(pythondir)r:
    sys.path.insert(0, %(pythondir)r)
from microcircuit import network
from microcircuit.network_params import default_net_dict as net
from microcircuit.sim_params import default_sim_dict as sim
from microcircuit.stimulus_params import default_stim_dict as stim
net["N_scaling"] = net["K_scaling"] = 0.1
net["bg_input_type"] = "poisson"
sim["data_path"] = %(data)r
sim["print_time"] = False
nw = network.Network(sim, net, stim)
nw.create()
nw.connect()
print("SIMULATING", flush=True)
try:
    nw.simulate(100000.0)
except KeyboardInterrupt:
    s = nw.spikes()
    print("INTERRUPTED %%d %%.1f" %% (len(s["senders"]), s["times"].max()), flush=True)
    raise
"""


def test_ctrl_c_stops_simulate(tmp_path):
    """SIGINT during a long simulate raises KeyboardInterrupt within a
    second, and the spike files hold what was recorded."""
    data = str(tmp_path / "data") + "/"
    script = tmp_path / "long.py"
    script.write_text(CTRL_C_SCRIPT % {"pythondir": PACKAGE_PATH, "data": data})
    env = dict(os.environ)
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen = []
    for line in p.stdout:
        seen.append(line)
        if line.strip() == "SIMULATING":
            break
    else:
        pytest.fail("the script ended early: " + "".join(seen) + p.stderr.read())
    time.sleep(1.5)
    sent = time.time()
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail("simulate did not stop on SIGINT")
    took = time.time() - sent
    assert p.returncode != 0
    assert "KeyboardInterrupt" in err, err
    assert took < 3.0, "stopping took %.1f s" % took
    words = out.split()[-3:]
    assert words[0] == "INTERRUPTED", out
    count, last = int(words[1]), float(words[2])
    assert count > 0 and 0 < last < 100000
    rows = spike_file_rows(data)
    assert len(rows) == count


def test_example_script(tmp_path):
    """The example (the reference's run_microcircuit.py workflow) at scale
    0.2 writes the plots, spike files and metadata, and its rates lie in
    NEST's band."""
    env = dict(os.environ)
    if PACKAGE_PATH:
        env["PYTHONPATH"] = PACKAGE_PATH + os.pathsep + os.environ.get("PYTHONPATH", "")
    script = os.path.join(PYTHON_DIR, "examples", "microcircuit_example.py")
    r = subprocess.run([sys.executable, script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    data = tmp_path / "data_scale_0.20"
    for name in ["raster_plot.png", "box_plot.png", "population_nodeids.dat", "sim_dict.json", "net_dict.json",
                 "stim_dict.json", "nodes.json", "requirements.txt"] + ["rate%d.dat" % i for i in range(8)]:
        assert (data / name).is_file(), name
    assert len(list(data.glob("spike_recorder-*-0.dat"))) == 8
    for i, (lo, hi) in enumerate(NEST_BAND_DC02):
        rate = np.loadtxt(data / ("rate%d.dat" % i)).mean()
        assert lo * 0.9 <= rate <= hi * 1.1, "population %d: %.3f spikes/s outside NEST's band [%g, %g] +- 10%%" % (i, rate, lo, hi)
    assert "Time to simulate" in r.stdout and "Peak memory" in r.stdout
