"""The user's own Python code, as ``gradcheck`` runs it: load a named function, call it, and locate its
failures.

Unlike expressions, which never reach ``eval``, gradcheck imports a file or a module and runs its code:
importing runs the module's top level, as ``python -c 'import module'`` would; a file's folder is put on
``sys.path`` first, as ``python file.py`` does, so that it can import its neighbours.  Only the function named
after the colon is called afterwards (``path/to/file.py:loss`` or ``package.module:loss``, a dotted name
for an attribute such as ``Layer.loss``); option text is never evaluated.

A call that raises, or returns the wrong kind of value, becomes a :class:`~diffcli.core.errors.UsageError`
of one line that says which function, at which point, and where in the user's file it failed.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import math
import os
import re
import sys
import traceback

from diffcli.core.errors import UsageError
from diffcli.core.lazy import LazyNumpy
from diffcli.tasks.gradinputs import shown

np = LazyNumpy(globals())

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


def load(target: str, what: str = "TARGET"):
    """The function ``target`` names: ``path/to/file.py:function`` or ``package.module:function``.

    >>> load("math:sqrt")(4.0)
    2.0
    >>> load("math")
    Traceback (most recent call last):
    ...
    diffcli.core.errors.UsageError: TARGET 'math' names no function: write FILE.py:FUNCTION or MODULE:FUNCTION
    """
    source, colon, name = target.rpartition(":")
    if not colon or not source or not _NAME.match(name):
        raise UsageError(f"{what} {target!r} names no function: write FILE.py:FUNCTION or MODULE:FUNCTION")
    module = _from_file(source, what) if source.endswith(".py") or os.sep in source else \
        _from_module(source, what)
    found = module
    for part in name.split("."):
        if not hasattr(found, part):
            raise UsageError(f"{what} {target!r}: {source} has no {name!r}")
        found = getattr(found, part)
    if not callable(found):
        raise UsageError(f"{what} {target!r}: {name} is a {type(found).__name__}, not a function")
    return found


def _from_file(path: str, what: str):
    if not os.path.isfile(path):
        raise UsageError(f"{what}: no file {path!r}")
    absolute = os.path.abspath(path)
    # a private module name per file, so that two files called loss.py do not replace each other
    name = "diffcli_user_" + hashlib.sha1(absolute.encode()).hexdigest()[:12]
    if name in sys.modules:
        return sys.modules[name]
    folder = os.path.dirname(absolute)
    if folder not in sys.path:  # as ``python file.py`` does: the file may import its neighbours
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, absolute)
    if spec is None or spec.loader is None:
        raise UsageError(f"{what}: cannot import {path!r} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as error:  # noqa: BLE001 - the user's import failed: say where, one line
        del sys.modules[name]
        if isinstance(error, KeyboardInterrupt):
            raise
        raise UsageError(f"importing {path} failed: {describe(error)}") from None
    return module


def _from_module(name: str, what: str):
    if not _NAME.match(name):
        raise UsageError(f"{what}: {name!r} is not a module name (a file needs its .py)")
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        raise UsageError(f"{what}: no module named {error.name!r}") from None
    except Exception as error:  # noqa: BLE001 - the user's import failed: say where, one line
        raise UsageError(f"importing {name} failed: {describe(error)}") from None


def describe(error: BaseException) -> str:
    """``ZeroDivisionError: division by zero (loss.py:12 in loss)``: the exception and the last line of the
    user's code it went through (diffcli's own frames skipped)."""
    where = ""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if f"{os.sep}diffcli{os.sep}" not in f.filename and "importlib" not in f.filename]
    if frames:
        frame = frames[-1]
        where = f" ({os.path.basename(frame.filename)}:{frame.lineno} in {frame.name})"
    message = " ".join(str(error).split())
    return f"{type(error).__name__}{': ' + message if message else ''}{where}"


def call(function, arguments, label: str, where: str):
    """``function(*arguments)`` or, for a dict, ``function(**arguments)``; an exception becomes one
    located line: ``label raised … at where``."""
    try:
        if isinstance(arguments, dict):
            return function(**arguments)
        return function(arguments)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as error:  # noqa: BLE001 - whatever the user's code raises is reported, located
        raise UsageError(f"{label} raised {describe(error)} {where}") from None


# ---------------------------------------------------------------- gradcheck's calls

def value_and_gradient(f, grad, inputs, x, dtype: str, names: tuple, where: str):
    """f's value and the flat gradient at ``x`` in ``dtype``, every failure one located line."""
    arguments = inputs.build(x, dtype)
    if grad is None:
        both = call(f, arguments, names[0], where)
        if not isinstance(both, (tuple, list)) or len(both) != 2:
            raise UsageError(f"{names[0]} {where} returned a {type(both).__name__}, not (value, gradient) "
                             "as --value-and-grad says")
        value, gradient = both
    else:
        value = call(f, arguments, names[0], where)
        gradient = call(grad, arguments, names[1], where)
    value = _scalar(value, names[0], where)
    flat, g_dtype = _flat_gradient(gradient, inputs, names[1] if grad is not None else names[0], where)
    return value, flat, g_dtype


def _scalar(value, name: str, where: str) -> float:
    array = np.asarray(value)
    if array.size != 1 or array.dtype.kind not in "biuf":
        raise UsageError(f"{name} {where} returned {_kind(value)}, not one real number")
    number = float(array.reshape(-1)[0])
    if not math.isfinite(number):
        raise UsageError(f"{name} {where} returned {number}, not a finite number")
    return number


def _kind(value) -> str:
    array = np.asarray(value) if not isinstance(value, (dict, str)) else None
    if array is None or array.dtype == object:
        return f"a {type(value).__name__}"
    return f"an array of shape {array.shape} and dtype {array.dtype.name}"


def _flat_gradient(gradient, inputs, name: str, where: str):
    """The gradient in the structure of the inputs, checked and flattened: ``(float64 vector, dtype)``."""
    labels = ["x"] if inputs.names is None else list(inputs.names)
    if inputs.names is None:
        parts = [gradient]
    elif isinstance(gradient, dict):
        missing = [n for n in labels if n not in gradient]
        if missing or len(gradient) != len(labels):
            raise UsageError(f"{name} {where} returned a dict with keys {sorted(map(str, gradient))}; "
                             f"expected {labels}")
        parts = [gradient[n] for n in labels]
    elif isinstance(gradient, (tuple, list)) and len(gradient) == len(labels):
        parts = list(gradient)
    else:
        raise UsageError(f"{name} {where} returned {_kind(gradient)}; expected a tuple or dict of "
                         f"{len(labels)} gradients ({', '.join(labels)})")
    flats, dtypes = [], set()
    for label, part, shape in zip(labels, parts, inputs.shapes):
        array = np.asarray(part)
        if array.dtype.kind not in "biuf":
            raise UsageError(f"{name} {where}: the gradient of {label} is {_kind(part)}, not real numbers")
        if array.shape != tuple(shape) and not (array.size == 1 and shape == ()):
            hint = " (transposed?)" if len(shape) == 2 and array.shape == tuple(shape)[::-1] else ""
            raise UsageError(f"{name} {where}: the gradient of {label} has shape {array.shape}, {label} has "
                             f"shape {tuple(shape)}{hint}")
        dtypes.add("float32" if array.dtype.name == "float32" else "float64")
        flats.append(array.astype(np.float64).reshape(-1))
    flat = np.concatenate(flats)
    bad = np.flatnonzero(~np.isfinite(flat))
    if bad.size:
        raise UsageError(f"{name} {where}: the gradient at {shown(*inputs.label(int(bad[0])))} is "
                         f"{flat[bad[0]]}, not a finite number")
    return flat, "float64" if "float64" in dtypes else "float32"


def float64_function(f, inputs, names: tuple, where: str, pair: bool):
    """f of a flat float64 vector, as a float: nan where f raises or is not finite (a step outside its
    domain), but f must work at the point itself."""
    def fun(flat) -> float:
        try:
            arguments = inputs.build(flat, "float64")
            with np.errstate(all="ignore"):
                value = f(**arguments) if inputs.names else f(arguments)
            value = value[0] if pair else value
            return float(np.asarray(value, dtype=np.float64).reshape(-1)[0])
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception:  # noqa: BLE001 - outside f's domain: no difference from this step
            return math.nan
    return fun
