# SPDX-License-Identifier: GPL-2.0-or-later
"""Builds the engine library (Go, cgo) into the package before setuptools
packs it: pip install --no-build-isolation ./python needs Go and a C
compiler, and nothing from the network."""

import os
import subprocess

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class BuildWithEngine(build_py):
    """build_py that first builds microcircuit/libmicrocircuit.so."""

    def run(self):
        out = os.path.join(HERE, "microcircuit", "libmicrocircuit.so")
        cmd = ["go", "build", "-trimpath", "-buildmode=c-shared", "-o", out, "./cmd/libmicrocircuit"]
        env = dict(os.environ, CGO_ENABLED="1")
        try:
            subprocess.run(cmd, cwd=ROOT, env=env, check=True)
        except FileNotFoundError as e:
            raise SystemExit("building the engine needs Go (https://go.dev/dl/) on PATH: %s" % e)
        except subprocess.CalledProcessError as e:
            raise SystemExit("building the engine failed: %s" % e)
        super().run()


class BinaryDistribution(Distribution):
    """The package holds a compiled library: its wheel is for this platform."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithEngine}, distclass=BinaryDistribution)
