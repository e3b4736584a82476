"""The Python API refuses wrong arguments as the command line does: a DiffcliError (UsageError) naming the
argument, never a TypeError, ValueError, OverflowError or IndexError, and never a silent acceptance."""

from __future__ import annotations

import io
import math

import pytest

import diffcli
from diffcli import api
from diffcli.core.errors import UsageError
from diffcli.tasks.files import records

BAD_VALUES = [None, [1.0], 1j, 10**400, "__import__('os')", "2"]


def _refused(call, name: str):
    with pytest.raises(UsageError) as caught:
        call()
    assert name in str(caught.value)


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("function", [api.compare, api.gradient, api.hessian, api.trace, diffcli.compare,
                                      diffcli.gradient])
def test_a_point_value_that_is_not_a_real_number_is_refused_naming_it(function, value):
    _refused(lambda: function("x*x", {"x": value}), "point['x']")


@pytest.mark.parametrize("value", BAD_VALUES)
def test_point_values_of_sweep_verify_and_optimize(value):
    _refused(lambda: api.sweep("x*x", {"x": value}, "x"), "point['x']")
    _refused(lambda: api.verify("x*x", "x", "2*x", {"x": value}), "point['x']")
    _refused(lambda: api.optimize("x*x", {"x": value}), "start['x']")


@pytest.mark.parametrize("function", [
    lambda d: api.compare("x*x", {"x": 1.0}, digits=d, timing=False),
    lambda d: api.hessian("x*x", {"x": 1.0}, digits=d, timing=False),
    lambda d: api.trace("x*x", {"x": 1.0}, digits=d),
    lambda d: api.sweep("x*x", {"x": 1.0}, "x", digits=d),
    lambda d: api.verify("x*x", "x", "2*x", {"x": 1.0}, digits=d),
])
@pytest.mark.parametrize("digits", ["50", 0, -5, 100000, math.nan, 2.5, None])
def test_digits_outside_its_bound_is_refused_not_a_record_with_a_reference_error(function, digits):
    _refused(lambda: function(digits), "digits")


@pytest.mark.parametrize("call, name", [
    (lambda: api.compare("x*x", {"x": 1.0}, eps="1e-3"), "eps"),
    (lambda: api.compare("x*x", {"x": 1.0}, eps=0.0), "eps"),
    (lambda: api.compare("x*x", {"x": 1.0}, methods=5), "methods"),
    (lambda: api.compare("x*x", {"x": 1.0}, timing="no"), "timing"),
    (lambda: api.compare(5, {"x": 1.0}), "expression"),
    (lambda: api.compare("x*x", [1.0]), "point"),
    (lambda: api.gradient("x*x", {"x": 1.0}, method=None), "method"),
    (lambda: api.tolerance_failures({"methods": []}, "1e-3"), "tolerance"),
    (lambda: api.tolerance_failures({"methods": []}, -1.0), "tolerance"),
    (lambda: api.tolerance_failures("record", 1e-3), "record"),
    (lambda: api.derivative("x*x", "x", order=2.5), "order"),
    (lambda: api.derivative("x*x", "x", order=0), "order"),
    (lambda: api.derivative("x*x", "x", order=10**9), "order"),
    (lambda: api.derivative("x*x", None), "wrt"),
    (lambda: api.derivative("x*x", 5), "wrt"),
    (lambda: api.derivative("x*x", {"x": 1}), "wrt"),
    (lambda: api.derivative("x*x", "x", steps="yes"), "steps"),
    (lambda: diffcli.derivative("x*x", 5), "wrt"),
    (lambda: api.hessian("x*x", {"x": 1.0}, methods=[1]), "methods"),
    (lambda: api.sweep("x*x", {"x": 1.0}, 5), "wrt"),
    (lambda: api.sweep("x*x", {"x": 1.0}, "x", h_to=1e100 * 1e300), "h_to"),
    (lambda: api.sweep("x*x", {"x": 1.0}, "x", h_from=1e-320), "h_from"),
    (lambda: api.sweep("x*x", {"x": 1.0}, "x", per_decade=2.0), "per_decade"),
    (lambda: api.sweep("x*x", {"x": 1.0}, "x", per_decade=0), "per_decade"),
    (lambda: api.verify("x*x", None, "2*x"), "wrt"),
    (lambda: api.verify("x*x", "x", None), "claim"),
    (lambda: api.verify("x*x", "x", "2*x", samples=10**6), "samples"),
    (lambda: api.verify("x*x", "x", "2*x", seed=-1), "seed"),
    (lambda: api.verify("x*x", "x", "2*x", tolerance=0.0), "tolerance"),
])
def test_wrong_arguments_are_refused_naming_them(call, name):
    _refused(call, name)


def _fit(**options):
    return api.optimize("(w*x - y)**2", {"w": 0.0}, params="w", timing=False, **options)


@pytest.mark.parametrize("call, name", [
    (lambda: _fit(data={"x": [1.0, 2.0], "y": [1.0]}), "data"),
    (lambda: _fit(data={"x": [], "y": []}), "data"),
    (lambda: _fit(data={"x": [1.0, math.nan], "y": [1.0, 2.0]}), "data['x']"),
    (lambda: _fit(data={"x": ["1", "2"], "y": [1.0, 2.0]}), "data['x']"),
    (lambda: _fit(data=5), "data"),
    (lambda: _fit(data={"x": [1.0], "y": [2.0]}, batch=0), "batch"),
    (lambda: _fit(data={"x": [1.0], "y": [2.0]}, validation=1.0), "validation"),
    (lambda: api.optimize("x*x", {"x": 1.0}, stopping=api.Stopping(window=math.nan)), "window"),
    (lambda: api.optimize("x*x", {"x": 1.0}, stopping=api.Stopping(max_steps=10**8)), "max_steps"),
    (lambda: api.optimize("x*x", {"x": 1.0}, stopping=api.Stopping(tol=-1.0)), "tol"),
    (lambda: api.optimize("x*x", {"x": 1.0}, stopping={"window": 5}), "stopping"),
    (lambda: api.optimize("x*x", {"x": 1.0}, hyper=api.Hyper(lr=math.inf)), "lr"),
    (lambda: api.optimize("x*x", {"x": 1.0}, hyper=api.Hyper(beta2=1.0)), "beta2"),
    (lambda: api.optimize("x*x", {"x": 1.0}, hyper="adam"), "hyper"),
    (lambda: api.optimize("x*x", restarts=10**9), "restarts"),
    (lambda: api.optimize("x*x", restarts=2, box=(-1e308, 1e308)), "box"),
    (lambda: api.optimize("x*x", restarts=2, box=5), "box"),
    (lambda: api.optimize("x*x", {"x": 1.0}, seed=-1), "seed"),
    (lambda: api.optimize("x*x", {"x": 1.0}, l2="0.1"), "l2"),
    (lambda: api.optimize("x*x", {"x": 1.0}, optimizers=3), "optimizers"),
    (lambda: api.optimize("x*x", {"x": 1.0}, params={"x": 1}), "params"),
    (lambda: api.optimize("x*x", {"x": 1.0}, history=1), "history"),
])
def test_optimize_refuses_wrong_arguments_naming_them(call, name):
    _refused(call, name)


@pytest.mark.parametrize("call, name", [
    (lambda: list(records(io.StringIO("x*x\n"), api.gradient, {})), "source"),
    (lambda: list(records(io.BytesIO(b"x*x\n"), api.gradient, {}, jobs=10**6)), "jobs"),
    (lambda: list(records(io.BytesIO(b"x*x\n"), api.gradient, {}, jobs=-1)), "jobs"),
    (lambda: list(records(io.BytesIO(b"x*x\n"), api.gradient, {"x": "2"})), "point['x']"),
])
def test_records_refuses_wrong_arguments_naming_them(call, name):
    _refused(call, name)


def test_the_right_arguments_still_work():
    assert api.gradient("x*z", {"x": 2, "z": 3.0}) == {"x": 3.0, "z": 2.0}
    assert api.derivative("x*z", ["x", "z"])["derivative"] == "1"
    assert api.compare("x*x", {"x": 1}, digits=1000, methods="reverse", timing=False)["reference"]["digits"] \
        == 1000
    record = api.optimize("(w*x - y)**2", {"w": 0.0}, params="w", timing=False, optimizers="sgd",
                          hyper=api.Hyper(lr=0.1), data={"x": [1, 2], "y": [2.0, 4.0]})
    assert abs(record["optimizers"][0]["parameters"]["w"] - 2.0) < 1e-4


# What the command line does when an option is not given is what the library does when the argument is not
# given: one default, not two.  Left out, each for its stated reason: ``timing`` (the command line's None
# means "on for a table, off for a file", the library's default is on) and ``history`` (a file to write on
# the command line, a flag in the library); optimize's ``box`` is text on the command line and a pair in the
# library, compared after parsing.
_NOT_THE_SAME_KIND = {"timing", "history", "box"}


def test_the_command_line_and_the_library_share_every_default():
    import inspect

    from diffcli.cli.app import app
    from diffcli.tasks.optimize import parse_box

    compared = 0
    for command in app.registered_commands:
        library = getattr(api, (command.name or command.callback.__name__).replace("-", "_"), None)
        if library is None:
            continue
        ours = inspect.signature(library).parameters
        for name, option in inspect.signature(command.callback).parameters.items():
            if name not in ours or ours[name].default is inspect.Parameter.empty:
                continue
            if name == "box":
                assert parse_box(option.default) == tuple(ours[name].default), command.name
            elif name not in _NOT_THE_SAME_KIND:
                assert option.default == ours[name].default, (command.name, name)
            compared += 1
    assert compared >= 20  # compare, hessian, verify, optimize, gradcheck… share many options
