# SPDX-License-Identifier: GPL-2.0-or-later
"""The cortical microcircuit model of Potjans & Diesmann (2014) on the
microcircuit Go engine, with the modules and calls of the reference PyNEST
package: ``network.Network``, the default dictionaries in ``network_params``,
``sim_params`` and ``stimulus_params``, and the analysis and plotting
functions in ``helpers``. Scripts written for the reference run unchanged
once their ``import nest`` is gone.
"""

__version__ = "0.1.0"

from microcircuit.network import Network  # noqa: E402,F401
