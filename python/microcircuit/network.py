# SPDX-License-Identifier: GPL-2.0-or-later
"""The microcircuit's ``Network`` class, with the calls of the reference
PyNEST package, simulated by the Go engine (no NEST needed).

    from microcircuit import network
    from microcircuit.network_params import default_net_dict as net_dict
    from microcircuit.sim_params import default_sim_dict as sim_dict
    from microcircuit.stimulus_params import default_stim_dict as stim_dict

    net = network.Network(sim_dict, net_dict, stim_dict)
    net.create()
    net.connect()
    net.simulate(sim_dict["t_presim"])
    net.simulate(sim_dict["t_sim"])
    net.store_metadata()
    net.evaluate([500, 1500], [500, 1500])

As NEST's ASCII recording backend does, each ``simulate`` call writes the
spike files of that call alone into ``sim_dict['data_path']``
(``spike_recorder-<id>-0.dat``), with ``population_nodeids.dat``.
"""

import importlib.metadata
import os
import platform
import sys
import warnings

import numpy as np

from microcircuit import _engine, helpers


class NodeCollection:
    """The node ids of a population or of a kind of device, in the manner of
    NEST's NodeCollection: ``tolist()``, ``len``, iteration, indexing and
    ``global_id``."""

    def __init__(self, ids):
        self._ids = np.asarray(ids, dtype=np.int64).ravel()

    def tolist(self):
        """Returns the node ids as a list."""
        return self._ids.tolist()

    @property
    def global_id(self):
        """The node id of a single node, or the list of node ids."""
        return int(self._ids[0]) if len(self._ids) == 1 else self.tolist()

    def __len__(self):
        return len(self._ids)

    def __iter__(self):
        for i in self._ids:
            yield NodeCollection([i])

    def __getitem__(self, key):
        return NodeCollection(np.atleast_1d(self._ids[key]))

    def __array__(self, dtype=None, copy=None):
        return self._ids if dtype is None else self._ids.astype(dtype)

    def __eq__(self, other):
        return np.array_equal(self._ids, np.asarray(other))

    def __repr__(self):
        if len(self._ids) == 0:
            return "NodeCollection()"
        return "NodeCollection(first=%d, last=%d)" % (self._ids[0], self._ids[-1])


class Network:
    """The microcircuit: builds and simulates the network on the engine, and
    evaluates the spike data, with the reference package's calls.

    Instantiating a Network checks the dictionaries (an unknown key or an
    invalid value raises ValueError naming it) and derives the dependent
    parameters.

    Parameters
    ----------
    sim_dict
        The simulation parameters (see ``sim_params.py``).
    net_dict
        The network and neuron parameters (see ``network_params.py``).
    stim_dict
        The parameters of the optional stimuli (see ``stimulus_params.py``);
        None means no stimulus.
    keep_spikes
        Keep the spikes of the last ``simulate`` call in memory for
        ``spikes()`` (12 bytes a spike); the files are written either way.
    """

    def __init__(self, sim_dict, net_dict, stim_dict=None, keep_spikes=True):
        self.sim_dict = sim_dict
        self.net_dict = net_dict
        self.stim_dict = stim_dict
        if stim_dict is None:
            from microcircuit.stimulus_params import default_stim_dict

            self.stim_dict = dict(default_stim_dict)

        # Check every parameter before anything is written.
        self._engine = _engine.Engine(sim_dict, net_dict, stim_dict)
        self._keep_spikes = keep_spikes
        self.data_path = sim_dict["data_path"]
        if os.path.isdir(self.data_path):
            message = "  Directory already existed."
            if sim_dict.get("overwrite_files", True):
                message += " Old data will be overwritten."
        else:
            os.makedirs(self.data_path)
            message = "  Directory has been created."
        print("Data will be written to: {}\n{}\n".format(self.data_path, message))

        self.__derive_parameters()
        print("RNG seed: {}".format(sim_dict.get("rng_seed", 55)))
        print("Total number of virtual processes: {}".format(self._info["threads"]))
        self.pops = []
        self.spike_recorders = NodeCollection(self._info["spike_recorders"])
        self.voltmeters = NodeCollection(self._info["voltmeters"])

    def __derive_parameters(self):
        info = self._info = self._engine.info()
        self.num_pops = len(self.net_dict["populations"])
        self.num_neurons = np.array(info["num_neurons"], dtype=int)
        self.num_synapses = np.array(info["num_synapses"], dtype=int)
        self.ext_indegrees = np.array(info["ext_indegrees"], dtype=int)
        self.weight_matrix_mean = np.array(info["weight_matrix_mean"])
        self.weight_ext = info["weight_ext"]
        self.DC_amp = np.array(info["DC_amp"])
        if self.stim_dict["thalamic_input"]:
            self.weight_th = info["weight_th"]
            self.num_th_synapses = np.array(info["num_th_synapses"], dtype=int)
        for w in info["warnings"]:
            warnings.warn(w, stacklevel=3)
        message = ""
        if self.net_dict["N_scaling"] != 1:
            message += "Neuron numbers are scaled by a factor of {:.3f}.\n".format(self.net_dict["N_scaling"])
        if self.net_dict["K_scaling"] != 1:
            message += "Indegrees are scaled by a factor of {:.3f}.".format(self.net_dict["K_scaling"])
            message += "\n  Weights and DC input are adjusted to compensate.\n"
        print(message)

    def create(self):
        """Creates the populations and devices: the node ids are assigned
        and written to ``population_nodeids.dat`` in the data path."""
        print("Creating neuronal populations.")
        self._engine.create()
        first = self._info["first_ids"]
        self.pops = [NodeCollection(np.arange(f, f + n)) for f, n in zip(first, self.num_neurons)]
        if len(self.sim_dict.get("rec_dev", [])) > 0:
            print("Creating recording devices.")
        if self.net_dict.get("bg_input_type", "dc") == "poisson":
            print("Creating Poisson generators for background input.")
        if self.stim_dict.get("dc_transient"):
            print("Creating DC generators for external stimulation.")
        if self.stim_dict.get("thalamic_input"):
            print("Creating thalamic input for external stimulation.")

    def connect(self):
        """Connects the network: draws every synapse (weights, delays) and
        prepares the simulation. Ctrl-C stops it."""
        print("Connecting neuronal populations recurrently.")
        sys.stdout.flush()
        self._engine.connect()

    def simulate(self, t_sim):
        """Simulates the network for t_sim ms, continuing from where the last
        call ended, and writes the spikes of this call into the data path.
        Ctrl-C stops it at the next time step (the files keep what was
        recorded) and raises KeyboardInterrupt; the network can be simulated
        further."""
        print("Simulating {} ms.".format(t_sim))
        sys.stdout.flush()
        self._engine.simulate(float(t_sim))

    def spikes(self):
        """Returns the spikes of the last ``simulate`` call, as NEST's
        recorders give their events: a dictionary with the arrays "senders"
        (node ids) and "times" (ms), ordered by time."""
        if not self._keep_spikes:
            raise RuntimeError("the network was made with keep_spikes=False; read the spike files instead")
        senders, times = self._engine.spikes()
        return {"senders": senders, "times": times}

    def store_metadata(self):
        """Writes, if ``sim_dict['store_metadata']``, the three dictionaries
        (sim_dict.json, net_dict.json, stim_dict.json), the node ids
        (nodes.json) and the installed Python packages (requirements.txt)
        into the data path."""
        if not self.sim_dict.get("store_metadata", True):
            return
        path = self.data_path
        print("\n\n" + "#" * 68 + "\n\nStoring simulation metadata to %s\n\n" % path + "#" * 68 + "\n")
        helpers.dict2json(self.sim_dict, os.path.join(path, "sim_dict.json"))
        helpers.dict2json(self.stim_dict, os.path.join(path, "stim_dict.json"))
        helpers.dict2json(self.net_dict, os.path.join(path, "net_dict.json"))
        nodes = {}
        for name, pop in zip(self.net_dict["populations"], self.pops):
            nodes[str(name)] = pop.tolist()
        for name, rec in zip(self.net_dict["populations"], self.spike_recorders):
            nodes["spike_recorder_%s" % name] = rec.tolist()
        helpers.dict2json(nodes, os.path.join(path, "nodes.json"))
        lines = ["# microcircuit engine %s, Python %s" % (_engine.version(), platform.python_version())]
        dists = {}
        for d in importlib.metadata.distributions():
            name = d.metadata["Name"]
            if name:
                dists[name.lower()] = "%s==%s" % (name, d.version)
        lines += [dists[k] for k in sorted(dists)]
        with open(os.path.join(path, "requirements.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def evaluate(self, raster_plot_interval, firing_rates_interval):
        """Draws the raster plot of the spikes in raster_plot_interval,
        computes every neuron's rate over firing_rates_interval (both in ms,
        ends included; rate<i>.dat), prints the populations' mean rates and
        draws their box plot, into the data path."""
        print("Interval to plot spikes: {} ms".format(raster_plot_interval))
        helpers.plot_raster(
            self.data_path,
            "spike_recorder",
            raster_plot_interval[0],
            raster_plot_interval[1],
            self.net_dict["N_scaling"],
        )
        print("Interval to compute firing rates: {} ms".format(firing_rates_interval))
        helpers.firing_rates(self.data_path, "spike_recorder", firing_rates_interval[0], firing_rates_interval[1])
        helpers.boxplot(self.data_path, self.net_dict["populations"])

    def close(self):
        """Frees the network's memory (also done when it is garbage)."""
        self._engine.close()
