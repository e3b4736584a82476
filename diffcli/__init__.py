"""diffcli: differentiate an expression at a point several ways and compare each with a high-precision
reference.

Python API (the same data the JSON output shows)::

    >>> import diffcli
    >>> diffcli.gradient("x*z + sin(x)", {"x": 0.0, "z": 2.0})
    {'x': 3.0, 'z': 0.0}
    >>> record = diffcli.compare("x**2", {"x": 3}, methods=["reverse"], timing=False)
    >>> record["reference"]["gradient"]["x"]
    '6.0'

Imports are lazy so that ``import diffcli`` (and the command line) start fast.
"""

__version__ = "0.1.0"

__all__ = ["compare", "derivative", "gradient", "parse", "DiffcliError", "__version__"]


def __getattr__(name):
    if name in ("compare", "gradient", "derivative"):
        from diffcli import api as module
        return getattr(module, name)
    if name == "parse":
        from diffcli.core.parse import parse
        return parse
    if name == "DiffcliError":
        from diffcli.core.errors import DiffcliError
        return DiffcliError
    raise AttributeError(f"module 'diffcli' has no attribute {name!r}")
