# SPDX-License-Identifier: GPL-2.0-or-later
"""Helper functions of the microcircuit: the derivations of the network's
parameters, reading NEST's spike files, spike statistics (rates, ISI CVs,
spike-count correlations) and the raster and box plots, with the names and
signatures of the reference package's ``helpers`` module.

The functions read any NEST ASCII spike recorder files
(``<label>-<node id>-<thread>.dat`` with three header lines) and
``population_nodeids.dat``, whether NEST or this engine wrote them.
"""

import json
import os

import numpy as np

# ---------------------------------------------------------------------------
# Derived parameters


def num_synapses_from_conn_probs(conn_probs, popsize1, popsize2):
    """Returns the total numbers of synapses that realise the connection
    probabilities conn_probs between populations of sizes popsize1 and
    popsize2 (either may be source or target): ln(1 - p) / ln(1 - 1/(n1 n2)).
    """
    pairs = np.outer(popsize1, popsize2).astype(float)
    return np.log(1.0 - np.asarray(conn_probs, dtype=float)) / np.log((pairs - 1.0) / pairs)


def postsynaptic_potential_to_current(C_m, tau_m, tau_syn):
    """Returns the factor (pA/mV) that turns the peak of a postsynaptic
    potential of an iaf_psc_exp neuron into the amplitude of the exponential
    current that causes it."""
    # The PSP of a current J exp(-t/tau_syn) peaks at
    # t* = tau_m tau_syn ln(tau_m/tau_syn) / (tau_m - tau_syn).
    inv = 1.0 / (tau_syn - tau_m)
    scale = tau_m * tau_syn / C_m * inv
    base = (tau_m / tau_syn) ** inv
    return 1.0 / (scale * (base**tau_m - base**tau_syn))


def dc_input_compensating_poisson(bg_rate, K_ext, tau_syn, PSC_ext):
    """Returns the DC current (pA) with the mean of the Poisson background it
    replaces: bg_rate K_ext PSC_ext tau_syn (rates in spikes/s, times in ms)."""
    return bg_rate * np.asarray(K_ext) * PSC_ext * tau_syn * 1e-3


def adjust_weights_and_input_to_synapse_scaling(
    full_num_neurons,
    full_num_synapses,
    K_scaling,
    mean_PSC_matrix,
    PSC_ext,
    tau_syn,
    full_mean_rates,
    DC_amp,
    bg_input_type,
    bg_rate,
    K_ext,
):
    """Returns the weights (recurrent, external) and DC currents for
    in-degrees scaled by K_scaling: weights divided by sqrt(K_scaling), and
    the mean input they no longer give added as DC."""
    root = np.sqrt(K_scaling)
    in_degrees = np.asarray(full_num_synapses) / np.asarray(full_num_neurons)[:, np.newaxis]
    recurrent = (np.asarray(mean_PSC_matrix) * in_degrees * np.asarray(full_mean_rates)).sum(axis=1)
    lost = 1e-3 * tau_syn * (1.0 - root)
    DC_new = np.asarray(DC_amp) + lost * recurrent
    if bg_input_type == "poisson":
        DC_new = DC_new + lost * PSC_ext * np.asarray(K_ext) * bg_rate
    return np.asarray(mean_PSC_matrix) / root, PSC_ext / root, DC_new


def compute_rheo_base_current(V_th, E_L, C_m, tau_m):
    """Returns the rheobase (pA): the smallest constant current that brings
    the membrane from E_L to V_th."""
    return C_m * (V_th - E_L) / tau_m


# ---------------------------------------------------------------------------
# Spike files


def get_data_file_list(path, label):
    """Returns the sorted names of the files in path that start with label
    and end with .dat; AssertionError if there is none."""
    files = sorted(f for f in os.listdir(path) if f.startswith(label) and f.endswith(".dat"))
    assert len(files) > 0, 'No files of type "%s*.dat" found in path "%s".' % (label, path)
    return files


def _read_spike_file(filename, skip_rows=3):
    """Returns the (sender, time) rows of a spike file as an n x 2 array."""
    with open(filename) as f:
        for _ in range(skip_rows):
            f.readline()
        data = np.loadtxt(f, ndmin=2)
    if data.size == 0:
        return np.empty((0, 2))
    return data[:, :2]


def _as_ids(pop):
    """Returns the node ids of pop (a NodeCollection, list or array)."""
    if hasattr(pop, "tolist") and not isinstance(pop, np.ndarray):
        pop = pop.tolist()
    return np.asarray(pop, dtype=np.int64).ravel()


def load_spike_data(path, label, time_interval=None, pop=None, skip_rows=3):
    """Loads the spikes of the files label*.dat in path.

    time_interval, if given as (t0, t1), keeps the spikes with
    t0 <= t <= t1; pop, if given (a NodeCollection, list or array of node
    ids), keeps the spikes of those neurons. Returns a dictionary with the
    arrays "senders" and "times", ordered by time.
    """
    if time_interval is not None:
        print("Loading spike data in interval [%.1f ms, %.1f ms] ..." % (time_interval[0], time_interval[1]))
    else:
        print("Loading spike data...")
    rows = [_read_spike_file(os.path.join(path, f), skip_rows) for f in get_data_file_list(path, label)]
    spikes = np.concatenate(rows) if rows else np.empty((0, 2))
    if len(spikes) == 0:
        print("WARNING: No spikes contained in %s/%s*." % (path, label))
        return {"senders": np.array([]), "times": np.array([])}
    keep = np.ones(len(spikes), dtype=bool)
    if time_interval is not None:
        keep &= (spikes[:, 1] >= time_interval[0]) & (spikes[:, 1] <= time_interval[1])
    if pop is not None:
        keep &= np.isin(spikes[:, 0], _as_ids(pop))
    spikes = spikes[keep]
    order = np.argsort(spikes[:, 1], kind="stable")
    return {"senders": spikes[order, 0], "times": spikes[order, 1]}


def _node_ids(path):
    """Returns the first and last node id of each population, from
    population_nodeids.dat in path."""
    return np.loadtxt(os.path.join(path, "population_nodeids.dat"), dtype=np.int64, ndmin=2)


def _load_spike_times(path, name, begin, end):
    """Returns the population ranges and, per population, the spikes
    (senders, times) with begin <= t <= end, from the files of the recorders
    named name (one recorder per population, in node-id order)."""
    node_ids = _node_ids(path)
    spikes = _load_all(path, name)
    keep = (spikes["times"] >= begin) & (spikes["times"] <= end)
    senders, times = spikes["senders"][keep].astype(np.int64), spikes["times"][keep]
    data = []
    for first, last in node_ids:
        sel = (senders >= first) & (senders <= last)
        data.append((senders[sel], times[sel]))
    return node_ids, data


def _load_all(path, label):
    """Returns every spike of the files label*.dat in path, ordered by time."""
    rows = [_read_spike_file(os.path.join(path, f)) for f in get_data_file_list(path, label)]
    spikes = np.concatenate(rows) if rows else np.empty((0, 2))
    order = np.argsort(spikes[:, 1], kind="stable")
    return {"senders": spikes[order, 0], "times": spikes[order, 1]}


# ---------------------------------------------------------------------------
# Rates and plots


def _figure_style():
    import matplotlib

    if "DISPLAY" not in os.environ and "MPLBACKEND" not in os.environ:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "figure.figsize": (4, 3),
            "figure.dpi": 300,
            "font.family": "sans-serif",
            "font.size": 8,
            "axes.labelsize": 8,
            "xtick.labelsize": 8,
            "ytick.labelsize": 8,
            "text.usetex": False,
        }
    )
    return plt


def plot_raster(path, name, begin, end, N_scaling):
    """Draws the spikes of the recorders named name between begin and end
    (ms, both included) as a raster, L2/3 at the top, into
    path/raster_plot.png. Above N_scaling 0.1 only every (10 N_scaling)-th
    spike of each population is drawn."""
    plt = _figure_style()
    node_ids, data = _load_spike_times(path, name, begin, end)
    top = node_ids[-1, -1]
    step = 1
    if N_scaling > 0.1:
        step = int(10.0 * N_scaling)
        print("  Only every %dth spike is plotted." % step)
    fig, ax = plt.subplots()
    colours = ["#595289", "#af143c"]
    for k, (senders, times) in enumerate(data):
        y = top - senders + 1
        if k % 2 == 0:
            ax.axhline(top - node_ids[k, 0] + 1, color="0.8", lw=1, zorder=0)
        ax.plot(times[::step], y[::step], "o", ms=1, mew=0, color=colours[k % 2], rasterized=True)
    centres = [(top - node_ids[k, 0] + 1 + top - node_ids[k + 1, 1] + 1) / 2.0 for k in range(0, len(node_ids) - 1, 2)]
    ax.set_yticks(centres)
    ax.set_yticklabels(["L2/3", "L4", "L5", "L6"][: len(centres)])
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron id")
    ax.set_xlim(begin, end)
    ax.set_ylim(1, top - node_ids[0, 0] + 1)
    fig.subplots_adjust(bottom=0.13, left=0.12, top=0.97, right=0.95)
    fig.savefig(os.path.join(path, "raster_plot.png"))
    plt.close(fig)


def firing_rates(path, name, begin, end):
    """Computes the firing rate of every neuron (spikes between begin and
    end, both included, per (end - begin) ms; silent neurons count), writes
    them to path/rate<i>.dat for population i, and prints each population's
    mean and standard deviation."""
    node_ids, data = _load_spike_times(path, name, begin, end)
    means, sds = [], []
    for k, (senders, _) in enumerate(data):
        first, last = node_ids[k]
        counts = np.bincount(senders - first, minlength=last - first + 1)
        rates = counts * 1000.0 / (end - begin)
        np.savetxt(os.path.join(path, "rate%d.dat" % k), rates)
        means.append(np.mean(rates))
        sds.append(np.std(rates))
    print("Mean rates: {} spikes/s".format(np.around(means, decimals=3)))
    print("Standard deviation of rates: {} spikes/s".format(np.around(sds, decimals=3)))


def boxplot(path, populations):
    """Draws the rates of path/rate<i>.dat (see firing_rates) per population
    as horizontal box plots, L2/3E at the top, into path/box_plot.png."""
    plt = _figure_style()
    from matplotlib.patches import Polygon

    rates = [np.atleast_1d(np.loadtxt(os.path.join(path, "rate%d.dat" % i))) for i in range(len(populations))]
    fig, ax = plt.subplots()
    bp = ax.boxplot(
        rates[::-1],
        vert=False,
        whis=0,
        sym="rs",
        showmeans=True,
        meanline=True,
        medianprops={"linestyle": "-", "linewidth": 2.5, "color": "black"},
        meanprops={"linestyle": "--", "linewidth": 2.5, "color": "lightgray"},
    )
    plt.setp(bp["boxes"], color="black")
    plt.setp(bp["whiskers"], color="black")
    plt.setp(bp["fliers"], color="red", marker="+")
    colours = ["#af143c", "#595289"]
    for i, box in enumerate(bp["boxes"]):
        corners = list(zip(box.get_xdata()[:5], box.get_ydata()[:5]))
        ax.add_patch(Polygon(corners, facecolor=colours[i % 2]))
    ax.set_yticks(range(len(populations), 0, -1))
    ax.set_yticklabels([p.replace("23", "2/3") for p in populations])
    ax.set_xlabel("firing rate (spikes/s)")
    ax.set_ylabel("neuron population")
    fig.subplots_adjust(bottom=0.13, left=0.14, top=0.97, right=0.95)
    fig.savefig(os.path.join(path, "box_plot.png"))
    plt.close(fig)


# ---------------------------------------------------------------------------
# Dictionaries


def _to_json(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return str(x)


def dict2json(dictionary, filename):
    """Writes dictionary as JSON to filename (numpy arrays as lists)."""
    with open(filename, "w") as f:
        json.dump(dictionary, f, indent=4, default=_to_json)


def json2dict(filename):
    """Returns the dictionary of the JSON file filename."""
    with open(filename) as f:
        return json.load(f)


# ---------------------------------------------------------------------------
# Spike statistics


def _check_spikes(spikes):
    assert isinstance(spikes, dict)
    assert "senders" in spikes and "times" in spikes
    assert len(spikes["senders"]) == len(spikes["times"])


def truncate_spike_data(spikes, interval):
    """Returns the spikes (a dictionary with "senders" and "times") with
    interval[0] <= t <= interval[1]."""
    _check_spikes(spikes)
    times = np.asarray(spikes["times"])
    keep = (times >= interval[0]) & (times <= interval[1])
    return {"senders": np.asarray(spikes["senders"])[keep], "times": times[keep]}


def _rows(spikes, ids):
    """Returns, for every spike, the index of its sender in ids (-1 for
    senders not in ids)."""
    senders = np.asarray(spikes["senders"]).astype(np.int64)
    if len(ids) == 0:
        return np.full(len(senders), -1)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    pos = np.minimum(np.searchsorted(sorted_ids, senders), len(ids) - 1)
    return np.where(sorted_ids[pos] == senders, order[pos], -1)


def time_averaged_single_neuron_firing_rates(spikes, pop, interval):
    """Returns the firing rate (spikes/s) of each neuron of pop over
    interval (ms, both ends included), in the order of pop."""
    _check_spikes(spikes)
    spikes = truncate_spike_data(spikes, interval)
    ids = _as_ids(pop)
    rows = _rows(spikes, ids)
    counts = np.bincount(rows[rows >= 0], minlength=len(ids))
    return list(counts * 1e3 / (interval[1] - interval[0]))


def single_neuron_isi_cvs(spikes, pop, interval):
    """Returns the coefficients of variation (population sd / mean) of the
    inter-spike intervals of the neurons of pop with more than two spikes in
    interval, in the order of pop."""
    _check_spikes(spikes)
    spikes = truncate_spike_data(spikes, interval)
    ids = _as_ids(pop)
    rows = _rows(spikes, ids)
    times = np.asarray(spikes["times"])
    sel = rows >= 0
    rows, times = rows[sel], times[sel]
    order = np.lexsort((times, rows))
    rows, times = rows[order], times[order]
    bounds = np.searchsorted(rows, np.arange(len(ids) + 1))
    cvs = []
    for i in range(len(ids)):
        t = times[bounds[i] : bounds[i + 1]]
        if len(t) > 2:
            isi = np.diff(t)
            cvs.append(np.std(isi) / np.mean(isi))
    return np.array(cvs)


def generate_spike_counts(spikes, pop, interval, binsize):
    """Returns the spike counts of each neuron of pop in bins of binsize ms
    (edges interval[0], interval[0] + binsize, ..., as numpy.histogram
    counts them) and the bin edges: (counts of shape (len(pop), bins),
    edges)."""
    _check_spikes(spikes)
    edges = np.arange(interval[0], interval[1] + binsize, binsize)
    ids = _as_ids(pop)
    nbins = len(edges) - 1
    rows = _rows(spikes, ids)
    times = np.asarray(spikes["times"], dtype=float)
    b = np.searchsorted(edges, times, side="right") - 1
    b[times == edges[-1]] = nbins - 1  # the last bin includes its right edge
    ok = (rows >= 0) & (b >= 0) & (b < nbins) & (times >= edges[0]) & (times <= edges[-1])
    counts = np.bincount(rows[ok] * nbins + b[ok], minlength=len(ids) * nbins).reshape(len(ids), nbins)
    return counts, edges


def pairwise_spike_count_correlations(spikes, pop, interval, binsize):
    """Returns the Pearson correlation coefficients of the spike counts (bins
    of binsize ms) of all pairs of neurons of pop, the upper triangle row by
    row; pairs with a silent neuron give nan."""
    _check_spikes(spikes)
    spikes = truncate_spike_data(spikes, interval)
    counts, _ = generate_spike_counts(spikes, pop, interval, binsize)
    with np.errstate(divide="ignore", invalid="ignore"):
        cc = np.corrcoef(counts)
    return cc[np.triu_indices(len(counts), k=1)]


def data_distribution(data, label, unit="", hist_bin=None):
    """Returns the histogram of data (NaNs dropped), its left bin edges and
    its statistics (sample_size, mean, median, min, max, sd), and prints the
    statistics. hist_bin is the bin width (None: numpy's Doane estimator),
    or the bin edges. All-NaN data gives (None, None, None)."""
    data = np.asarray(data, dtype=float)
    assert len(data) > 0
    nans = np.isnan(data)
    if nans.all():
        print("WARNING: Data contains only NaNs. Histogram is set to zero for all bins.")
        return None, None, None
    if nans.any():
        print("WARNING: Data contains %d NaNs. These are ignored in the statistics." % nans.sum())
    data = data[~nans]
    stat = {
        "sample_size": len(data),
        "mean": float(np.mean(data)),
        "median": float(np.median(data)),
        "min": float(np.min(data)),
        "max": float(np.max(data)),
        "sd": float(np.std(data)),
    }
    print()
    print("%s statistics:" % label)
    print("\tsample size = %d" % stat["sample_size"])
    for k, name in (("mean", "mean  "), ("median", "median"), ("sd", "SD    "), ("min", "min   "), ("max", "max   ")):
        print("\t%s      = %.3f %s" % (name, stat[k], unit))
    if hist_bin is None:
        bins = "doane"
    elif isinstance(hist_bin, (int, float)) and not isinstance(hist_bin, bool):
        if hist_bin > 0:
            bins = np.arange(stat["min"] - hist_bin, stat["max"] + 1.1 * hist_bin, hist_bin)
        else:
            bins = np.array([0, stat["min"], 2 * stat["min"]])
    else:
        bins = np.asarray(hist_bin)
    hist, edges = np.histogram(data, bins=bins)
    return hist, edges[:-1], stat
