# SPDX-License-Identifier: GPL-2.0-or-later
"""The Go engine, loaded from libmicrocircuit.so with ctypes.

One ``Engine`` is one network of the engine. Its calls that take long
(``connect``, ``simulate``) run in a helper thread so that Ctrl-C in Python
reaches them: the main thread waits, and on KeyboardInterrupt asks the engine
to stop at the next step, waits for it, and re-raises.
"""

import ctypes
import json
import math
import os
import threading

import numpy as np

_OK, _VALUE, _RUNTIME, _INTERRUPTED = 0, 1, 2, 3

_lib = None


def library_path():
    """Returns the path of the shared library: $MICROCIRCUIT_LIB, or
    libmicrocircuit.so beside this file."""
    return os.environ.get("MICROCIRCUIT_LIB") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "libmicrocircuit.so"
    )


def _load():
    global _lib
    if _lib is not None:
        return _lib
    path = library_path()
    if not os.path.exists(path):
        raise ImportError(
            "the microcircuit engine library %s is missing; install the package with "
            "'pip install --no-build-isolation ./python' or build the library with "
            "'go build -buildmode=c-shared -o python/microcircuit/libmicrocircuit.so "
            "./cmd/libmicrocircuit' in the repository" % path
        )
    lib = ctypes.CDLL(path)
    i64, cp, cpp = ctypes.c_int64, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)
    sigs = {
        "mc_new": ([cp, cp, cp, ctypes.POINTER(i64), cpp], ctypes.c_int),
        "mc_info": ([i64, cpp], ctypes.c_int),
        "mc_create": ([i64, cpp], ctypes.c_int),
        "mc_connect": ([i64, cpp], ctypes.c_int),
        "mc_simulate": ([i64, ctypes.c_double, cpp], ctypes.c_int),
        "mc_interrupt": ([i64], None),
        "mc_spike_count": ([i64], i64),
        "mc_spikes": (
            [i64, ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_double), i64, cpp],
            ctypes.c_int,
        ),
        "mc_time": ([i64], ctypes.c_double),
        "mc_free": ([i64], None),
        "mc_free_string": ([ctypes.c_void_p], None),
        "mc_version": ([], ctypes.c_void_p),
    }
    for name, (args, res) in sigs.items():
        f = getattr(lib, name)
        f.argtypes = args
        f.restype = res
    _lib = lib
    return lib


def _take_string(lib, ptr):
    """Returns the C string at ptr as str and frees it."""
    if not ptr:
        return ""
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib.mc_free_string(ptr)


def version():
    """Returns the engine's version."""
    lib = _load()
    return _take_string(lib, lib.mc_version())


def _jsonable(value, key):
    """Returns value with numpy arrays and scalars as lists and numbers, and
    non-finite floats as the strings the engine reads ("nan", "inf",
    "-inf"); key names value in errors."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v, "%s[%r]" % (key, k)) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [_jsonable(v, "%s[%d]" % (key, i)) for i, v in enumerate(value.tolist())]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, "%s[%d]" % (key, i)) for i, v in enumerate(value)]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise ValueError("%s = %r: a value of type %s is not a parameter value" % (key, value, type(value).__name__))


def _encode(d, name):
    if d is None:
        return b"null"
    if not isinstance(d, dict):
        raise ValueError("%s must be a dictionary, not %s" % (name, type(d).__name__))
    return json.dumps(_jsonable(d, name)).encode()


class Engine:
    """A network of the engine, made from the three parameter dictionaries
    (ValueError names an invalid or unknown key)."""

    def __init__(self, sim_dict, net_dict, stim_dict):
        self._lib = _load()
        self._h = 0
        h = ctypes.c_int64(0)
        msg = ctypes.c_void_p()
        st = self._lib.mc_new(
            _encode(sim_dict, "sim_dict"),
            _encode(net_dict, "net_dict"),
            _encode(stim_dict, "stim_dict"),
            ctypes.byref(h),
            ctypes.byref(msg),
        )
        self._check(st, msg)
        self._h = h.value

    def _check(self, st, msg):
        text = _take_string(self._lib, msg.value)
        if st == _OK:
            return
        if st == _VALUE:
            raise ValueError(text)
        if st == _INTERRUPTED:
            raise KeyboardInterrupt(text)
        raise RuntimeError(text)

    def _call(self, fn, *args):
        msg = ctypes.c_void_p()
        st = fn(self._h, *args, ctypes.byref(msg))
        self._check(st, msg)

    def _interruptible(self, fn, *args):
        """Runs fn in a helper thread; Ctrl-C stops it at the next step."""
        out = {}

        def target():
            msg = ctypes.c_void_p()
            out["status"] = fn(self._h, *args, ctypes.byref(msg))
            out["msg"] = msg

        t = threading.Thread(target=target, name="microcircuit-engine", daemon=True)
        t.start()
        try:
            # join with a timeout: the signal handler runs in the main
            # thread between the waits, wherever the signal was delivered.
            while t.is_alive():
                t.join(0.1)
        except KeyboardInterrupt:
            self._lib.mc_interrupt(self._h)
            while t.is_alive():
                try:
                    t.join(0.1)
                except KeyboardInterrupt:
                    pass  # stopping already
            if "msg" in out:
                _take_string(self._lib, out["msg"].value)
            raise
        self._check(out["status"], out["msg"])

    def info(self):
        """Returns the quantities derived from the dictionaries."""
        out = ctypes.c_void_p()
        st = self._lib.mc_info(self._h, ctypes.byref(out))
        text = _take_string(self._lib, out.value)
        if st != _OK:
            raise RuntimeError(text)
        return json.loads(text)

    def create(self):
        self._call(self._lib.mc_create)

    def connect(self):
        self._interruptible(self._lib.mc_connect)

    def simulate(self, t):
        self._interruptible(self._lib.mc_simulate, ctypes.c_double(t))

    def time(self):
        """Returns the model time simulated so far (ms)."""
        return self._lib.mc_time(self._h)

    def spikes(self):
        """Returns the senders (int32) and times (ms) of the spikes of the
        last simulate call, ordered by time."""
        n = self._lib.mc_spike_count(self._h)
        senders = np.empty(n, dtype=np.int32)
        times = np.empty(n, dtype=np.float64)
        msg = ctypes.c_void_p()
        st = self._lib.mc_spikes(
            self._h,
            senders.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
            times.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
            n,
            ctypes.byref(msg),
        )
        self._check(st, msg)
        return senders, times

    def close(self):
        """Frees the network."""
        if self._h:
            self._lib.mc_free(self._h)
            self._h = 0

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
