# SPDX-License-Identifier: GPL-2.0-or-later
"""Test set-up: the package from python/ (unless MICROCIRCUIT_TEST_INSTALLED
asks for the installed one), the command line program built from the
repository, and the NEST reference data beside the checkout."""

import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(PYTHON_DIR)

# PACKAGE_PATH is where the package under test is imported from: python/,
# or "" for the installed package (MICROCIRCUIT_TEST_INSTALLED set).
PACKAGE_PATH = "" if os.environ.get("MICROCIRCUIT_TEST_INSTALLED") else PYTHON_DIR
if PACKAGE_PATH:
    sys.path.insert(0, PACKAGE_PATH)


@pytest.fixture(scope="session")
def repo():
    """The repository's root directory."""
    return REPO


@pytest.fixture(scope="session")
def cli(tmp_path_factory):
    """The command line program, built from the repository."""
    if shutil.which("go") is None:
        pytest.skip("go is not on PATH")
    out = str(tmp_path_factory.mktemp("bin") / "microcircuit")
    subprocess.run(["go", "build", "-o", out, "./cmd/microcircuit"], cwd=REPO, check=True)
    return out


@pytest.fixture(scope="session")
def reference():
    """The NEST reference data (shared/reference beside the checkout);
    skipped without it, except under CI."""
    path = os.path.join(REPO, "..", "shared", "reference")
    if not os.path.isdir(path):
        if os.environ.get("CI"):
            pytest.fail("reference data missing under CI: %s" % path)
        pytest.skip("reference data not found: %s" % path)
    return path


@pytest.fixture
def dicts(tmp_path):
    """Deep copies of the default dictionaries, writing into tmp_path/data/,
    printing no progress."""
    import copy

    from microcircuit.network_params import default_net_dict
    from microcircuit.sim_params import default_sim_dict
    from microcircuit.stimulus_params import default_stim_dict

    sim = copy.deepcopy(default_sim_dict)
    net = copy.deepcopy(default_net_dict)
    stim = copy.deepcopy(default_stim_dict)
    sim["data_path"] = str(tmp_path / "data") + "/"
    sim["print_time"] = False
    sim["local_num_threads"] = 2
    return sim, net, stim
