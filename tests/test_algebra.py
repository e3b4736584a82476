"""The algebra interface of the one backward loop: every algebra in the package declares it, and the loop
asks for it."""

import importlib
import inspect
import math
import pkgutil
import typing

import mpmath
import pytest

import diffcli
from diffcli.core.algebra import Algebra, FloatAlgebra, GraphAlgebra, MpAlgebra
from diffcli.core.chain import adjoints
from diffcli.core.evaluate import evaluate
from diffcli.core.fragments import CodeAlgebra
from diffcli.core.graph import Graph
from diffcli.core.parse import parse
from diffcli.methods import fd_error
from diffcli.methods.forward import DualAlgebra
from diffcli.methods.poison import PoisonAlgebra
from diffcli.methods.rounding import TrackedAlgebra, TrackedDualAlgebra
from diffcli.reference.cancellation import ReverseAlgebra

INSTANCES = {
    FloatAlgebra: lambda: FloatAlgebra(),
    MpAlgebra: lambda: MpAlgebra(mpmath.MPContext()),
    GraphAlgebra: lambda: GraphAlgebra(Graph()),
    CodeAlgebra: lambda: CodeAlgebra(),
    DualAlgebra: lambda: DualAlgebra(),
    PoisonAlgebra: lambda: PoisonAlgebra(parse("x*x"), [2.0, 4.0]),
    TrackedAlgebra: lambda: TrackedAlgebra(),
    TrackedDualAlgebra: lambda: TrackedDualAlgebra(),
    fd_error._Poisoned: lambda: fd_error._Poisoned(),
    ReverseAlgebra: lambda: ReverseAlgebra(mpmath.MPContext()),
}
"""One instance of every algebra (the Protocol has data members, so it checks instances, not classes)."""


def _algebra_classes():
    """Every class defined in diffcli that has the loop's methods (``times``, ``first``, ``plus``, ``note``)
    and is meant to be run: abstract helpers without ``functions`` are skipped by the instance check."""
    found = set()
    for info in pkgutil.walk_packages(diffcli.__path__, "diffcli."):
        if info.name.endswith("__main__"):  # importing it runs the command line
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            asked = all(callable(getattr(cls, name, None)) for name in ("times", "first", "plus", "note"))
            if cls.__module__ == module.__name__ and cls is not Algebra and asked:
                found.add(cls)
    return found


def test_every_algebra_in_the_package_is_covered():
    """A new algebra must be added to INSTANCES (and so to the Protocol check below)."""
    classes = _algebra_classes()
    assert classes >= set(INSTANCES)
    unchecked = {cls for cls in classes - set(INSTANCES)
                 if not any(issubclass(other, cls) for other in INSTANCES)}  # a base such as NumberAlgebra
    assert unchecked == set(), f"algebras not checked against the Protocol: {unchecked}"


@pytest.mark.parametrize("cls", list(INSTANCES), ids=lambda cls: cls.__name__)
def test_every_algebra_satisfies_the_protocol(cls):
    assert isinstance(INSTANCES[cls](), Algebra)


def test_an_object_lacking_a_member_is_not_an_algebra():
    class NoNote:
        one, functions = 1.0, None

        def times(self, adjoint, partial): ...
        def first(self, term, node): ...
        def plus(self, total, term, node): ...

    assert not isinstance(NoNote(), Algebra)


def test_the_backward_loop_asks_for_an_algebra():
    assert typing.get_type_hints(adjoints)["algebra"] is Algebra


def test_the_loop_runs_on_floats_through_the_protocol():
    """d(x*sin(x))/dx = sin(x) + x*cos(x), by the loop on the values the forward pass gives."""
    graph = parse("x*sin(x)")
    values = evaluate(graph, {"x": 0.5})
    gradient = adjoints(graph, values, INSTANCES[FloatAlgebra]())
    assert gradient[graph.variables[0]] == pytest.approx(math.sin(0.5) + 0.5 * math.cos(0.5), rel=1e-15,
                                                         abs=0)
