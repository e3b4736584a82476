"""Fixed tests for the shortcuts that save work without changing a number: each gives what the general
path gives (compared with it, or with the product mpmath itself rounds), and is taken where it should be
(the general path is made to fail there, so a shortcut that is never taken fails the test).

Expected values come from mpmath directly or from the arithmetic written in the test, never from the
shortcut under test.
"""

import mpmath
import pytest

from diffcli.core import fragments
from diffcli.core.fragments import Code, CodeAlgebra, constant
from diffcli.reference.cancellation import ReverseAlgebra


def _no_binary(*args):
    raise AssertionError("the general path was taken")


# ---------------------------------------------------------------- CodeAlgebra.times by a partial of 1.0

def test_an_adjoint_times_a_partial_of_one_is_the_adjoint_itself(monkeypatch):
    """A flat sum's terms: ``adjoint * 1.0`` is the adjoint, a float or a fragment, without writing or
    folding a product."""
    algebra = CodeAlgebra()
    code = Code("g7")
    monkeypatch.setattr(fragments, "_binary", _no_binary)
    assert algebra.times(2.5, 1.0) == 2.5
    assert algebra.times(-0.0, 1.0) == 0.0 and str(algebra.times(-0.0, 1.0)) == "-0.0"  # the sign is kept
    assert algebra.times(code, 1.0) is code
    assert algebra.times(code, constant(1.0)) is code  # a constant of the graph equal to 1


def test_a_constant_adjoint_times_one_still_folds_to_a_number():
    """A constant fragment as the adjoint is left to the general path, which folds 3.0 * 1.0 to the float
    3.0 (a number, not the constant's fragment)."""
    folded = CodeAlgebra().times(constant(3.0), 1.0)
    assert type(folded) is float and folded == 3.0


def test_other_partials_still_write_the_product():
    algebra = CodeAlgebra()
    assert str(algebra.times(Code("g7"), Code("v2"))) == "(g7 * v2)"
    assert algebra.times(2.5, 2.0) == 5.0
    assert algebra.times(2.5, -1.0) == -2.5


# ---------------------------------------------------------------- ReverseAlgebra.times by an adjoint of 1

M = mpmath.MPContext()
M.dps = 30
HIGHER = mpmath.MPContext()
HIGHER.dps = 60


def test_an_adjoint_of_exactly_one_gives_the_partial_itself():
    """Each term of a sum has the adjoint 1: the product is the partial, as mpmath rounds 1 · p (p already
    has the context's precision), without a multiplication."""
    algebra = ReverseAlgebra(M)
    partial = M.mpf(3) / 7
    assert algebra.times(M.one, partial) is partial
    complex_partial = M.mpc(M.mpf(3) / 7, M.mpf(1) / 3)
    assert algebra.times(M.one, complex_partial) is complex_partial
    assert M.one * partial == partial and M.one * complex_partial == complex_partial  # what it skips


@pytest.mark.parametrize("adjoint", [2, -1, 0.5])
def test_other_adjoints_multiply(adjoint):
    algebra = ReverseAlgebra(M)
    partial = M.mpf(3) / 7
    product = algebra.times(M.mpf(adjoint), partial)
    assert product == M.mpf(adjoint) * partial and product is not partial


def test_a_partial_of_another_kind_is_multiplied_as_mpmath_would():
    """1 times a number of a more precise context is rounded to this one's precision; 1 times a Python
    int is an mpf of this context: neither is passed on as it is."""
    algebra = ReverseAlgebra(M)
    rounded = algebra.times(M.one, HIGHER.pi)
    assert rounded == M.pi and rounded != HIGHER.pi  # pi to 30 digits, not 60
    two = algebra.times(M.one, 2)
    assert type(two) is M.mpf and two == 2


def test_a_complex_adjoint_of_one_multiplies():
    algebra = ReverseAlgebra(M)
    partial = M.mpf(3) / 7
    product = algebra.times(M.mpc(1, 0), partial)
    assert product == partial and product is not partial


class _NoProduct:
    """An adjoint that may be negated but not multiplied: a partial of ±1.0 must not multiply it."""

    def __neg__(self):
        return "negated"

    def __mul__(self, other):
        raise AssertionError("multiplied")


def test_a_partial_of_plus_or_minus_one_passes_the_adjoint_on_without_a_product():
    algebra = ReverseAlgebra(M)
    adjoint = _NoProduct()
    assert algebra.times(adjoint, 1.0) is adjoint
    assert algebra.times(adjoint, -1.0) == "negated"
    with pytest.raises(AssertionError, match="multiplied"):
        algebra.times(adjoint, 2.0)
