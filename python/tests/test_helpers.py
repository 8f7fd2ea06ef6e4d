# SPDX-License-Identifier: GPL-2.0-or-later
"""The helpers: NEST's own files, and the statistics against plain
per-neuron loops."""

import io
import os
import shutil
from contextlib import redirect_stdout

import numpy as np
import pytest

from microcircuit import helpers


def test_rates_of_nest_files(reference, tmp_path):
    """firing_rates on NEST 3.9's files (scale 0.1, Poisson, 2 threads:
    two files per recorder) gives NEST's rates (nest-runs.md)."""
    src = os.path.join(reference, "nest-spikes-s0.1-poisson")
    data = str(tmp_path) + "/"
    for f in os.listdir(src):
        shutil.copy(os.path.join(src, f), data)
    out = io.StringIO()
    with redirect_stdout(out):
        helpers.firing_rates(data, "spike_recorder", 500.0, 1500.0)
    means = [np.loadtxt(os.path.join(data, "rate%d.dat" % i)).mean() for i in range(8)]
    np.testing.assert_allclose(means, [0.517, 2.120, 3.959, 5.011, 6.478, 7.821, 0.838, 7.007], atol=5e-4)
    assert "Mean rates" in out.getvalue()
    with redirect_stdout(io.StringIO()):
        helpers.boxplot(data, ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"])
        helpers.plot_raster(data, "spike_recorder", 500.0, 700.0, 0.1)
    assert os.path.getsize(os.path.join(data, "box_plot.png")) > 10000
    assert os.path.getsize(os.path.join(data, "raster_plot.png")) > 10000
    with redirect_stdout(io.StringIO()):
        s = helpers.load_spike_data(data, "spike_recorder", time_interval=(600.0, 700.0), pop=list(range(2069, 2652)))
    assert len(s["senders"]) > 50 and s["senders"].min() >= 2069 and s["senders"].max() <= 2651
    assert s["times"].min() >= 600.0 and s["times"].max() <= 700.0
    assert np.all(np.diff(s["times"]) >= 0)


@pytest.fixture
def spikes():
    rng = np.random.default_rng(1)
    n = 4000
    senders = rng.integers(1, 41, n).astype(float)
    times = np.round(rng.uniform(0, 1000, n), 1)
    times[:5] = [100.0, 900.0, 100.0, 900.0, 500.0]  # spikes on the edges
    order = np.argsort(times, kind="stable")
    return {"senders": senders[order], "times": times[order]}


def test_truncate_and_rates(spikes):
    iv = (100.0, 900.0)
    t = helpers.truncate_spike_data(spikes, iv)
    keep = (spikes["times"] >= 100) & (spikes["times"] <= 900)
    np.testing.assert_array_equal(t["times"], spikes["times"][keep])
    pop = np.arange(40, 0, -1)  # reversed order is kept
    rates = helpers.time_averaged_single_neuron_firing_rates(spikes, pop, iv)
    want = [np.sum(t["senders"] == n) / 0.8 for n in pop]
    np.testing.assert_allclose(rates, want)


def test_isi_cvs(spikes):
    iv = (0.0, 1000.0)
    pop = list(range(1, 45))  # 41..44 are silent
    cvs = helpers.single_neuron_isi_cvs(spikes, pop, iv)
    want = []
    for n in pop:
        ts = np.sort(spikes["times"][spikes["senders"] == n])
        if len(ts) > 2:
            isi = np.diff(ts)
            want.append(np.std(isi) / np.mean(isi))
    np.testing.assert_allclose(cvs, want)
    assert len(cvs) == 40


def test_spike_counts_and_correlations(spikes):
    iv, b = (100.0, 900.0), 2.0
    pop = np.array([3, 1, 2, 50])  # 50 is silent
    counts, edges = helpers.generate_spike_counts(spikes, pop, iv, b)
    ref_edges = np.arange(100.0, 902.0, 2.0)
    np.testing.assert_array_equal(edges, ref_edges)
    for row, n in zip(counts, pop):
        np.testing.assert_array_equal(row, np.histogram(spikes["times"][spikes["senders"] == n], ref_edges)[0])
    ccs = helpers.pairwise_spike_count_correlations(spikes, pop, iv, b)
    assert len(ccs) == 6
    np.testing.assert_allclose(ccs[0], np.corrcoef(counts[0], counts[1])[0, 1])
    assert np.isnan(ccs[2]) and np.isnan(ccs[-1])  # pairs with the silent neuron


def test_data_distribution():
    with redirect_stdout(io.StringIO()):
        hist, bins, stat = helpers.data_distribution(np.array([1.0, 2.0, 2.0, np.nan, 5.0]), "x", "Hz", hist_bin=1.0)
        assert helpers.data_distribution(np.array([np.nan]), "x") == (None, None, None)
    assert stat == {"sample_size": 4, "mean": 2.5, "median": 2.0, "min": 1.0, "max": 5.0, "sd": pytest.approx(1.5)}
    assert hist.sum() == 4 and bins[0] == 0.0


def test_dict2json_round_trip(tmp_path):
    f = str(tmp_path / "d.json")
    d = {"a": np.array([[1, 2], [3, 4]]), "b": np.float64(0.5), "c": "x", "d": {"e": [1.5]}}
    helpers.dict2json(d, f)
    assert helpers.json2dict(f) == {"a": [[1, 2], [3, 4]], "b": 0.5, "c": "x", "d": {"e": [1.5]}}


def test_get_data_file_list(tmp_path):
    for name in ["spike_recorder-9-1.dat", "spike_recorder-9-0.dat", "other.dat", "spike_recorder.txt"]:
        (tmp_path / name).write_text("")
    assert helpers.get_data_file_list(str(tmp_path), "spike_recorder") == ["spike_recorder-9-0.dat", "spike_recorder-9-1.dat"]
    with pytest.raises(AssertionError):
        helpers.get_data_file_list(str(tmp_path), "voltmeter")
