"""The primitive table: every entry complete, evaluators consistent, derivatives right.

The closed forms below are written independently of the table's rules (in mpmath, from a calculus book);
they are the oracle for the reference, which itself never reads the rules.
"""

import cmath

import mpmath
import numpy as np
import pytest

from diffcli.core.parse import parse
from diffcli.core.primitives import FUNCTIONS, PRIMITIVES
from diffcli.reference import reference

M = mpmath.MPContext()
M.dps = 60

CANDIDATES = (-2.5, -0.7, -0.3, 0.4, 0.9, 1.7, 3.1)


def text_of(primitive) -> str:
    """An expression applying the primitive to x (and y)."""
    if primitive.symbol and primitive.arity == 2:
        return f"x {primitive.symbol} y"
    if primitive.symbol:
        return f"{primitive.symbol}x"
    return f"{primitive.name}({', '.join('xy'[:primitive.arity])})"


def points_of(primitive, count=4):
    """Points inside the domain and away from kinks, spread over the candidates."""
    if primitive.arity == 1:
        pool = [(x,) for x in CANDIDATES]
    else:
        pool = [(x, y) for x in CANDIDATES for y in CANDIDATES[::-1] if x != y]
    good = [p for p in pool if primitive.inside(*p) and not (primitive.kink and primitive.kink(*p))]
    step = max(1, len(good) // count)
    return good[::step][:count]


CASES = [(name, point) for name, p in PRIMITIVES.items() for point in points_of(p)]

# d/d(arg) for each argument, written from calculus, not from the table.
CLOSED_FORMS = {
    "add": (lambda x, y: 1, lambda x, y: 1),
    "sub": (lambda x, y: 1, lambda x, y: -1),
    "mul": (lambda x, y: y, lambda x, y: x),
    "div": (lambda x, y: 1 / y, lambda x, y: -x / y ** 2),
    "neg": (lambda x: -1,),
    "pow": (lambda x, y: y * M.power(x, y - 1), lambda x, y: M.power(x, y) * M.log(x)),
    "exp": (lambda x: M.exp(x),),
    "log": (lambda x: 1 / x,),
    "log2": (lambda x: 1 / (x * M.ln2),),
    "log10": (lambda x: 1 / (x * M.ln10),),
    "log1p": (lambda x: 1 / (1 + x),),
    "expm1": (lambda x: M.exp(x),),
    "sqrt": (lambda x: 1 / (2 * M.sqrt(x)),),
    "cbrt": (lambda x: M.power(abs(x), M.mpf(-2) / 3) / 3,),
    "sin": (lambda x: M.cos(x),),
    "cos": (lambda x: -M.sin(x),),
    "tan": (lambda x: 1 / M.cos(x) ** 2,),
    "asin": (lambda x: 1 / M.sqrt(1 - x ** 2),),
    "acos": (lambda x: -1 / M.sqrt(1 - x ** 2),),
    "atan": (lambda x: 1 / (1 + x ** 2),),
    "atan2": (lambda y, x: x / (x ** 2 + y ** 2), lambda y, x: -y / (x ** 2 + y ** 2)),
    "sinh": (lambda x: M.cosh(x),),
    "cosh": (lambda x: M.sinh(x),),
    "tanh": (lambda x: 1 / M.cosh(x) ** 2,),
    "asinh": (lambda x: 1 / M.sqrt(x ** 2 + 1),),
    "acosh": (lambda x: 1 / M.sqrt(x ** 2 - 1),),
    "atanh": (lambda x: 1 / (1 - x ** 2),),
    "sigmoid": (lambda x: M.exp(-x) / (1 + M.exp(-x)) ** 2,),
    "softplus": (lambda x: 1 / (1 + M.exp(-x)),),
    "abs": (lambda x: 1 if x > 0 else -1,),
    "relu": (lambda x: 1 if x > 0 else 0,),
    "min": (lambda x, y: 1 if x < y else 0, lambda x, y: 1 if y < x else 0),
    "max": (lambda x, y: 1 if x > y else 0, lambda x, y: 1 if y > x else 0),
    "sign": (lambda x: 0,),
    "step": (lambda x: 0,),
    "hypot": (lambda x, y: x / M.hypot(x, y), lambda x, y: y / M.hypot(x, y)),
}


@pytest.mark.parametrize("name", PRIMITIVES)
def test_every_entry_has_every_part(name):
    p = PRIMITIVES[name]
    for part in ("real", "array", "complex", "mp", "inside"):
        assert callable(getattr(p, part)), f"{name} lacks its {part} evaluator"
    assert len(p.partials) == p.arity, f"{name} needs one partial rule per argument"
    assert all(callable(rule) for rule in p.partials)
    assert p.domain and isinstance(p.domain, str)
    assert all("{%d}" % i in p.latex for i in range(p.arity)), f"{name}'s LaTeX template misses an argument"
    assert name in CLOSED_FORMS, f"{name} has no independent closed-form derivative in this test"
    assert len(CLOSED_FORMS[name]) == p.arity
    assert points_of(p), f"{name} has no test point inside its domain"


def test_language_functions_of_the_design_are_all_there():
    listed = ("exp log ln log2 log10 log1p expm1 sqrt cbrt sin cos tan asin acos atan atan2 sinh cosh tanh "
              "asinh acosh atanh abs sigmoid softplus relu pow hypot min max").split()
    assert set(listed) <= set(FUNCTIONS)


@pytest.mark.parametrize("name, point", CASES)
def test_evaluators_agree(name, point):
    p = PRIMITIVES[name]
    real = p.real(*point)
    exact = p.mp(M, *[M.mpf(v) for v in point])
    assert isinstance(exact, M.mpf)
    assert real == pytest.approx(float(exact), rel=1e-15, abs=1e-300)
    assert (float(np.asarray(p.array(*[np.array([v]) for v in point]))[0])
            == pytest.approx(real, rel=1e-14, abs=1e-300))
    assert p.complex(*[complex(v) for v in point]).real == pytest.approx(real, rel=1e-14, abs=1e-300)


@pytest.mark.parametrize("name, point", [c for c in CASES if PRIMITIVES[c[0]].holomorphic])
def test_complex_evaluator_is_the_analytic_continuation(name, point):
    """Im f(x + ih)/h is f'(x) (to 1e-12) where f is analytic: what the complex step relies on."""
    p = PRIMITIVES[name]
    for k in range(p.arity):
        z = [complex(v) for v in point]
        z[k] += 1e-30j
        estimate = p.complex(*z).imag / 1e-30
        truth = float(CLOSED_FORMS[name][k](*[M.mpf(v) for v in point]))
        assert estimate == pytest.approx(truth, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("name, point", CASES)
def test_reference_matches_closed_form_to_40_digits(name, point):
    p = PRIMITIVES[name]
    graph = parse(text_of(p))
    names = graph.variable_names
    ref = reference(graph, dict(zip(names, point)), digits=50)
    args = [M.mpf(v) for v in point]
    for k, name_k in enumerate(names):
        truth = M.mpf(CLOSED_FORMS[name][k](*args))
        got = M.mpf(ref.gradient[name_k])
        assert abs(got - truth) <= M.mpf(10) ** -40 * max(abs(truth), 1e-300) or (truth == 0 and got == 0), \
            (name, point, name_k, got, truth)


def test_float_evaluators_raise_outside_the_domain():
    for name, args in (("log", (-1.0,)), ("sqrt", (-1.0,)), ("div", (1.0, 0.0)), ("asin", (2.0,)),
                       ("acosh", (0.5,)), ("atanh", (1.0,)), ("pow", (-8.0, 1 / 3)), ("pow", (0.0, -1.0))):
        p = PRIMITIVES[name]
        assert not p.inside(*args)
        with pytest.raises((ValueError, ZeroDivisionError)):
            p.real(*args)


def test_numerically_careful_evaluators():
    """Where the textbook formula overflows or cancels, the evaluators keep every digit a double holds."""
    sigmoid, softplus = PRIMITIVES["sigmoid"].real, PRIMITIVES["softplus"].real
    # 1/(1 + exp(720)) would overflow: e^-720 = 2.03e-313 is a subnormal, kept to its ~11 digits
    assert sigmoid(-720.0) == pytest.approx(float(M.exp(-720) / (1 + M.exp(-720))), rel=1e-9, abs=0.0)
    assert sigmoid(-800.0) == 0.0  # e^-800 = 3.7e-348 is below the smallest double: 0, not an error
    assert sigmoid(-30.0) == pytest.approx(float(1 / (1 + M.exp(30))), rel=1e-15, abs=0.0)
    assert sigmoid(800.0) == 1.0
    # log(1 + exp(800)) would overflow; log1p(exp(-30)) keeps the digits log(1 + 9.4e-14) loses
    assert softplus(800.0) == 800.0
    assert softplus(-30.0) == pytest.approx(float(M.log1p(M.exp(-30))), rel=1e-15, abs=0.0)
    assert softplus(-700.0) == pytest.approx(float(M.log1p(M.exp(-700))), rel=1e-15, abs=0.0)
    assert PRIMITIVES["cbrt"].real(-8.0) == -2.0
    assert PRIMITIVES["cbrt"].complex(complex(-8.0)).real == pytest.approx(-2.0, rel=1e-15, abs=0.0)
    assert cmath.isclose(PRIMITIVES["log1p"].complex(1e-20 + 1e-30j), complex(1e-20, 1e-30), rel_tol=1e-15)


def test_array_square_is_the_power_it_replaces():
    """``pow(x, 2.0)`` on arrays takes numpy's faster square: the same correctly rounded x·x, bit for bit,
    including signs, infinities and nan; other exponents stay np.power."""
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(size=1000) * 10.0 ** rng.integers(-200, 200, 1000),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 1e200, -1e-200]])
    square = PRIMITIVES["pow"].array
    with np.errstate(all="ignore"):
        assert np.array_equal(square(x, 2.0), np.power(x, 2.0), equal_nan=True)
        assert np.array_equal(square(x, 3.0), np.power(x, 3.0), equal_nan=True)


# ---------------------------------------------------------------- at the kinks (survivors of tools/mutate.py)

# The value at each kink, by the table's convention (the right-hand value, as the right derivative):
# sign(0) = 1, step(0) = 1, |0| = 0, relu(0) = 0, min(1, 1) = max(1, 1) = 1.
AT_KINKS = [("sign", (0.0,), 1.0), ("step", (0.0,), 1.0), ("abs", (0.0,), 0.0), ("relu", (0.0,), 0.0),
            ("min", (1.0, 1.0), 1.0), ("max", (1.0, 1.0), 1.0)]


@pytest.mark.parametrize("name, args, value", AT_KINKS)
def test_every_evaluator_gives_the_same_value_at_the_kink(name, args, value):
    entry, m = PRIMITIVES[name], mpmath.MPContext()
    assert entry.real(*args) == value
    assert entry.array(*(np.array([a]) for a in args)).tolist() == [value]
    assert entry.complex(*(complex(a) for a in args)) == value
    assert entry.mp(m, *(m.mpf(a) for a in args)) == value


@pytest.mark.parametrize("text, point, gradient", [
    ("min(x, y)", {"x": 2.0, "y": 3.0}, {"x": 1.0, "y": 0.0}),   # min picks x
    ("min(x, y)", {"x": 3.0, "y": 2.0}, {"x": 0.0, "y": 1.0}),   # min picks y
    ("max(x, y)", {"x": 2.0, "y": 3.0}, {"x": 0.0, "y": 1.0}),
    ("max(x, y)", {"x": 3.0, "y": 2.0}, {"x": 1.0, "y": 0.0}),
])
@pytest.mark.parametrize("method", ["reverse", "symbolic", "dual"])
def test_min_and_max_pass_the_derivative_to_the_argument_they_pick(text, point, gradient, method):
    from diffcli.api import gradient as gradient_of

    assert gradient_of(text, point, method=method) == gradient


@pytest.mark.parametrize("name", ["expm1", "log1p"])
def test_careful_complex_evaluators_off_the_real_axis(name):
    """expm1 and log1p keep their digits near 0 by formulas of their own for the complex step; away from the
    real axis too they are the functions (mpmath's expm1 and log1p at 0.5 + 2i, 1e-14 relative per part)."""
    z = 0.5 + 2j
    value, truth = PRIMITIVES[name].complex(z), getattr(M, name)(M.mpc(z))
    assert abs(value.real - float(truth.real)) <= 1e-14 * abs(truth)
    assert abs(value.imag - float(truth.imag)) <= 1e-14 * abs(truth)


def test_pow_float_evaluator_raises_at_0_to_the_0():
    """Like every float evaluator outside its domain (test_float_evaluators_raise_outside_the_domain)."""
    assert not PRIMITIVES["pow"].inside(0.0, 0.0)
    with pytest.raises((ValueError, ZeroDivisionError)):
        PRIMITIVES["pow"].real(0.0, 0.0)


def test_numpy_cbrt_of_complex_arrays_is_the_real_cube_root_on_the_real_axis():
    """cbrt(8) = 2 and cbrt(−8) = −2 (the real cube root, as the float evaluator), for complex arrays too."""
    roots = PRIMITIVES["cbrt"].array(np.array([8 + 0j, -8 + 0j]))
    assert roots == pytest.approx([2.0, -2.0], rel=1e-15, abs=0)


def test_relu_of_negative_zero_is_positive_zero():
    """relu(x) = max(x, 0): at x = −0.0 it is the 0 of the max, +0.0, in every evaluator (the sign of a
    zero shows later, e.g. atan2(relu(x), −1) is π, not −π)."""
    import math

    entry, m = PRIMITIVES["relu"], mpmath.MPContext()
    for value in (entry.real(-0.0), entry.array(np.array([-0.0]))[0], entry.complex(complex(-0.0)).real):
        assert value == 0.0 and math.copysign(1.0, value) == 1.0
    assert entry.mp(m, m.mpf(-0.0)) == 0
