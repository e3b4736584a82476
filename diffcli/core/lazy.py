"""Importing numpy only when a command really uses it (start-up time of a single call)."""

from __future__ import annotations


class LazyNumpy:
    """Stands for numpy in a module until first used, then puts the real module in its place, so commands
    that never compute on arrays do not import numpy.  In a module: ``np = LazyNumpy(globals())``."""

    def __init__(self, namespace: dict):
        self._namespace = namespace

    def __getattr__(self, name):
        import numpy

        self._namespace["np"] = numpy
        return getattr(numpy, name)
