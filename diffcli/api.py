"""The Python API: every task of the command line as a function returning its plain record.

This is the top of the library (see ARCHITECTURE.md): it only gathers the tasks of :mod:`diffcli.tasks`
under one name, so that ``import diffcli`` users need not know where each lives.

>>> record = compare("x**2", {"x": 3.0}, methods=["reverse"], timing=False)
>>> record["methods"][0]["gradient"]
{'x': 6.0}
"""

from __future__ import annotations

from diffcli.tasks.compare import compare, gradient, tolerance_failures
from diffcli.tasks.derivative import derivative
from diffcli.tasks.gradcheck import gradcheck
from diffcli.tasks.hessian import hessian
from diffcli.tasks.optimize import Hyper, Stopping, optimize
from diffcli.tasks.sweep import sweep
from diffcli.tasks.trace import trace
from diffcli.tasks.verify import verify

__all__ = ["compare", "gradient", "tolerance_failures", "derivative", "gradcheck", "hessian", "optimize",
           "Hyper", "Stopping", "sweep", "trace", "verify"]
