"""numpy, imported only when a command really uses it (start-up time of a single call).

One mechanism, :class:`LazyNumpy`, for the two times a module can touch numpy:

* only inside its functions (``methods/finite.py``, ``methods/richardson.py``): ``np = LazyNumpy(globals())``
  — the first ``np.<name>`` imports numpy and puts the real module in the module's ``np``, so later uses
  cost nothing extra and every attribute (``np.inf``, ``np.errstate``) is there;
* when the module is imported, taking numpy's *functions* into a table (the primitive table's ``array``
  evaluators): ``np = LazyNumpy()`` — ``np.sin`` is then a function that imports numpy when it is first
  called.  Only functions can be reached this way; a module that needs another attribute gives its
  namespace, as above.

>>> np = LazyNumpy()
>>> float(np.hypot(3.0, 4.0))
5.0
>>> np.hypot.__name__
'numpy.hypot'
"""

from __future__ import annotations


class LazyNumpy:
    """Stands for numpy until first used (see the module docstring for the two ways to use it)."""

    def __init__(self, namespace: dict | None = None):
        self._namespace = namespace

    def __getattr__(self, name: str):
        if name.startswith("__"):  # copy, pickle and doctest look for dunders: not numpy's
            raise AttributeError(name)
        if self._namespace is not None:
            import numpy

            self._namespace["np"] = numpy
            return getattr(numpy, name)
        function = None

        def call(*args, **kwargs):
            nonlocal function
            if function is None:
                import numpy

                function = getattr(numpy, name)
            return function(*args, **kwargs)

        call.__name__ = call.__qualname__ = f"numpy.{name}"
        setattr(self, name, call)  # one wrapper per name: later look-ups skip __getattr__
        return call
