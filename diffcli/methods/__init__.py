"""The methods: one registry (:mod:`~diffcli.methods.registry`) and one module per family, each registering
its methods when imported.  Importing this package imports every module in it, so it registers them all;
``METHODS`` is the registry.

Adding a method is one new module here that calls :func:`~diffcli.methods.registry.method` (or
:func:`~diffcli.methods.registry.register`); nothing else lists it (see ARCHITECTURE.md).
"""

import importlib
import pkgutil

from diffcli.methods.registry import METHODS, Estimate, Method, method

for _module in pkgutil.iter_modules(__path__):  # each family registers its methods when imported
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["METHODS", "Estimate", "Method", "method"]
