"""The methods: one registry (:mod:`~diffcli.methods.registry`) and one module per family, each registering
its methods when imported.  Importing this package registers them all; ``METHODS`` is the registry.

Adding a method is one new module here that calls :func:`~diffcli.methods.registry.method`, plus its line
in the import list below (see ARCHITECTURE.md).
"""

from diffcli.methods import complex_step, finite, forward, reverse, richardson, symbolic  # noqa: F401  (registration)
from diffcli.methods.registry import METHODS, Estimate, Method, method

__all__ = ["METHODS", "Estimate", "Method", "method"]
