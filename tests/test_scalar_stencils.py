"""The one-point stencils' two paths: f on floats point by point (below SCALAR_POINTS stencil points) and f on
numpy arrays in one call (from it on) give the same steps, the same answers, the same per-partial errors and
warnings and the same evaluation counts.

Each test runs a method twice at the same point, once with every stencil on the scalar path and once with
every stencil vectorized (``SCALAR_POINTS`` set to a huge number, then to 0), at D on both sides of the
crossover; what it compares is the harness's whole record of the row.  Last, the constants of the stencils'
error model that eps-sweep draws.
"""

import math

import numpy as np
import pytest

from diffcli.core.codegen import compile_function
from diffcli.core.parse import parse
from diffcli.harness import run_method
from diffcli.methods import METHODS, finite
from diffcli.methods.finite import SCALAR_POINTS, STENCILS

FIXED = ("fd-forward", "fd-backward", "fd-central", "fd-5point")
UNIT = 2.0 ** -53  # the unit roundoff of doubles


def both(monkeypatch, method, expression, point, step=None):
    """The row of ``method`` on the scalar path, then on the vectorized path."""
    graph = parse(expression)
    rows = []
    for threshold in (1 << 30, 0):
        monkeypatch.setattr(finite, "SCALAR_POINTS", threshold)
        rows.append(run_method(method, graph, point, timing=False, step=step))
    return rows


def sum_of(d: int, term: str) -> tuple[str, dict]:
    """A sum of d copies of ``term`` (in ``x``), one variable each, and a point."""
    names = [f"x{i}" for i in range(d)]
    return " + ".join(term.replace("x", n) for n in names), {n: 0.7 + i / 16 for i, n in enumerate(names)}


# ---------------------------------------------------------------- the same answers

# + - * / and sqrt are correctly rounded by IEEE arithmetic, on floats as in numpy: f's values are the same
# doubles on both paths, and so (the same steps, the same sums in the same order) is every stencil's answer.
RATIONAL = ["x*z + x/z - z*z*z", "sqrt(x*x + z) / (1 + x*z)", "(x - 3)*(x + z)/(x*x + 1)"]


@pytest.mark.parametrize("method", FIXED)
@pytest.mark.parametrize("expression", RATIONAL)
@pytest.mark.parametrize("point", [{"x": 2.0, "z": 3.0}, {"x": -1e5, "z": 0.25}, {"x": 1e-9, "z": 7.5}])
def test_rational_functions_give_the_same_answer_to_the_bit(monkeypatch, method, expression, point):
    scalar, vectorized = both(monkeypatch, method, expression, point)
    assert scalar.error is None and vectorized.error is None
    assert scalar.gradient == vectorized.gradient
    assert scalar.details == vectorized.details  # the steps taken and the est. error
    assert scalar.warnings == vectorized.warnings and scalar.evaluations == vectorized.evaluations


@pytest.mark.parametrize("method", FIXED)
@pytest.mark.parametrize("point, step", [({"x": 0.0, "z": 3.0}, None), ({"x": -0.0, "z": -7.0}, None),
                                         ({"x": 2.0, "z": 3.0}, 1e-3), ({"x": -4e8, "z": 0.5}, 0.25)])
def test_a_given_step_and_a_zero_coordinate_are_the_same_on_both_paths(monkeypatch, method, point, step):
    scalar, vectorized = both(monkeypatch, method, RATIONAL[2], point, step=step)
    assert scalar.error is None and scalar.gradient == vectorized.gradient
    assert scalar.details == vectorized.details and scalar.warnings == vectorized.warnings


@pytest.mark.parametrize("method", FIXED)
@pytest.mark.parametrize("d", [2, 12, 40])  # 40 variables is past SCALAR_POINTS for every stencil
def test_many_variables_on_both_sides_of_the_crossover(monkeypatch, method, d):
    expression, point = sum_of(d, "(x*x - 1)/(x + 2)")
    scalar, vectorized = both(monkeypatch, method, expression, point)
    assert scalar.gradient == vectorized.gradient and scalar.details == vectorized.details
    assert scalar.evaluations == vectorized.evaluations


def _stencil_values(graph, stencil, values, i, kind):
    """f at the stencil points of variable i, and at x, by the compiled f of ``kind``, with the step the
    rule gives: h = factor·max(1, |x|), taken as (x + h) − x."""
    f = compile_function(graph, kind=kind)
    x = values[i]
    t = (x + stencil.factor * max(1.0, abs(x))) - x
    found = []
    for o in stencil.offsets:
        point = list(values)
        point[i] = x + t * o
        found.append(float(np.asarray(f(*[np.array([v]) if kind == "array" else v for v in point])[0])
                           .reshape(-1)[0]))
    return found, t


TRANSCENDENTAL = ["exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)", "tanh(x - z) * log10(x + z)",
                  "expm1(x/7) * cbrt(z) - sinh(x*z/10)", "sigmoid(x) + asinh(z*x)"]


@pytest.mark.parametrize("method", FIXED)
@pytest.mark.parametrize("expression", TRANSCENDENTAL)
def test_where_numpy_rounds_f_differently_the_answers_differ_by_at_most_what_f_does(monkeypatch, method,
                                                                                       expression):
    """numpy's exp, log, tanh … and Python's math may differ in the last bit.  Both paths compute
    D = (Σ w_k·F_k) / t with the same t, the same points and the sum in the same order, on values F_k
    (math) and G_k (numpy) of f.  So |D_math − D_numpy| ≤ (Σ|w_k|·|F_k − G_k| + 2·m·u·Σ|w_k|·|F_k|)/t
    + 2u·|D|: the difference of f's values, plus the rounding of each m-term sum (at most m·u·Σ|w·F| each,
    the two F's being within a few ulps of each other) and of each division (u·|D| each).  F and G are
    computed here by the compiled f of each kind directly, not by the stencil code."""
    graph = parse(expression)
    point = {"x": 2.0, "z": 3.0}
    scalar, vectorized = both(monkeypatch, method, expression, point)
    stencil = STENCILS[method]
    values = [point[n] for n in graph.variable_names]
    for i, name in enumerate(graph.variable_names):
        F, t = _stencil_values(graph, stencil, values, i, "real")
        G, _ = _stencil_values(graph, stencil, values, i, "array")
        assert t == scalar.details["step"][name] == vectorized.details["step"][name]
        weights = [abs(w) for w in stencil.weights]
        bound = (sum(w * abs(a - b) for w, a, b in zip(weights, F, G))
                 + 2 * len(F) * UNIT * sum(w * abs(a) for w, a in zip(weights, F))) / t \
            + 2 * UNIT * abs(scalar.gradient[name])
        assert abs(scalar.gradient[name] - vectorized.gradient[name]) <= bound
    assert scalar.evaluations == vectorized.evaluations


def test_each_path_sums_its_own_evaluations_of_f(monkeypatch):
    """The scalar answer is the stencil on Python's math.exp, the vectorized one the stencil on numpy's exp
    (at x = 0.39375 the two exp differ by one ulp at x + h with this machine's numpy, which moves the
    answer by 1.8e-11; where they agree, both equalities still hold)."""
    graph = parse("exp(x)")
    stencil = STENCILS["fd-central"]
    F, t = _stencil_values(graph, stencil, [0.39375], 0, "real")
    G, _ = _stencil_values(graph, stencil, [0.39375], 0, "array")
    scalar, vectorized = both(monkeypatch, "fd-central", "exp(x)", {"x": 0.39375})
    assert scalar.gradient["x"] == (F[0] * -0.5 + F[1] * 0.5) / t
    assert vectorized.gradient["x"] == (G[0] * -0.5 + G[1] * 0.5) / t


# ---------------------------------------------------------------- the same failures

@pytest.mark.parametrize("method, expression, point", [
    ("fd-central", "sqrt(x) + z", {"x": 1e-7, "z": 1.0}),                # x − h < 0: sqrt's domain
    ("fd-backward", "log(x)*z", {"x": 1e-9, "z": 2.0}),                  # x − h < 0: log's domain
    ("fd-5point", "asin(x) + z*z", {"x": 0.9999, "z": 1.0}),             # x + 2h > 1
    ("fd-forward", "exp(x) + z", {"x": 709.78271, "z": 1.0}),               # exp overflows at x + h
    ("fd-central", "(-x)**z", {"x": 2.0, "z": 3.0}),                     # f undefined on both sides of z
    ("fd-central", "x/(z - 3)", {"x": 2.0, "z": 3.0 + 1e-6}),            # a pole between the points: finite
])
def test_a_partial_that_fails_fails_the_same_way_on_both_paths(monkeypatch, method, expression, point):
    scalar, vectorized = both(monkeypatch, method, expression, point)
    assert (scalar.error, scalar.errors) == (vectorized.error, vectorized.errors)
    assert scalar.gradient == vectorized.gradient and scalar.warnings == vectorized.warnings
    assert scalar.details == vectorized.details and scalar.evaluations == vectorized.evaluations


def test_the_failing_partials_of_the_table_are_named():
    """The cases above fail where they should (so that their agreement is not that of two empty rows)."""
    graph = parse("sqrt(x) + z")
    row = run_method("fd-central", graph, {"x": 1e-7, "z": 1.0}, timing=False)
    assert "x - h" in row.errors["x"] and "sqrt" not in row.errors.get("z", "")
    assert row.gradient["z"] == pytest.approx(1.0, rel=1e-9, abs=0)
    row = run_method("fd-forward", parse("exp(x) + z"), {"x": 709.78271, "z": 1.0}, timing=False)
    assert "x + h" in row.errors["x"]
    row = run_method("fd-central", parse("(-x)**z"), {"x": 2.0, "z": 3.0}, timing=False)
    assert row.gradient["x"] == pytest.approx(-12.0, rel=1e-9, abs=0) and "both sides" in row.errors["z"]


def test_finite_values_whose_difference_overflows_say_so_on_both_paths(monkeypatch):
    """1e308·sqrt(x) at x = 0: f(0) = 0 and f(h) = 1e308·sqrt(1.49e-8) = 1.22e304 are finite, every stencil
    point is inside the domain and the step is not 0, but (f(h) − f(0)) / h = 8.2e311 overflows: the
    message says that no finite estimate came out, not that a point stepped out (nor f undefined at x)."""
    scalar, vectorized = both(monkeypatch, "fd-forward", "1e308*sqrt(x) + z", {"x": 0.0, "z": 1.0})
    assert scalar.errors == vectorized.errors == {"x": "the stencil gave no finite estimate at x = 0.0"}
    assert scalar.gradient == vectorized.gradient == {"x": None, "z": 1.0}


def test_a_value_only_numpy_finds_is_kept_as_the_vectorized_path_keeps_it(monkeypatch):
    """1/exp(x) at x = 709.78271 + h: math.exp overflows (an exception, no value) where numpy's exp gives inf
    and 1/inf = 0.0, a finite value.  The scalar path evaluates such a point again on arrays, so both
    paths answer with the same estimate: (0.0 − f(x)) / h, about −e^-709.78/1.06e-5 (z = 0: with z = 1,
    f(x) = 1 + 5.6e-309 rounds to 1 and the estimate is 0)."""
    scalar, vectorized = both(monkeypatch, "fd-forward", "1/exp(x) + z", {"x": 709.78271, "z": 0.0})
    assert scalar.errors == vectorized.errors == {}
    assert scalar.gradient == vectorized.gradient
    h = STENCILS["fd-forward"].factor * 709.78271
    assert scalar.gradient["x"] == pytest.approx(-math.exp(-709.78271) / h, rel=1e-6, abs=0)


@pytest.mark.parametrize("method", ["fd-forward", "fd-backward"])
def test_f_at_the_point_itself_only_numpy_finds_is_kept(monkeypatch, method):
    """1/exp(x) + z at x = 709.79, past math.exp's overflow (about 709.7827): f(x) itself raises on floats,
    while numpy's exp gives inf and 1/inf = 0, so f(x) = z.  The scalar path evaluates it again on arrays:
    both paths give ∂f/∂z = 1 (f(x) − f(x − h) = h exactly at z = 0.5) and ∂f/∂x = 0 (every value of the
    exponential's term is 0; the truth −e^-709.79 is below the smallest normal double)."""
    scalar, vectorized = both(monkeypatch, method, "1/exp(x) + z", {"x": 709.79, "z": 0.5})
    assert scalar.errors == vectorized.errors == {}
    assert scalar.gradient == vectorized.gradient == {"x": 0.0, "z": 1.0}


def test_f_not_finite_at_the_point_is_named_on_both_paths(monkeypatch):
    """1/(x − 1) + z at x = 1: f(x) itself has no finite value (f(x + h) has), so ∂f/∂x says that f is not
    finite at x = 1.0; ∂f/∂z, whose every stencil point has x = 1, says f is undefined on both sides."""
    scalar, vectorized = both(monkeypatch, "fd-forward", "1/(x - 1) + z", {"x": 1.0, "z": 1.0})
    assert scalar.errors == vectorized.errors
    assert scalar.errors["x"] == "f is not finite at x = 1.0" and "both sides" in scalar.errors["z"]


def test_the_scalar_path_takes_f_at_the_point_from_floats_not_numpy():
    """f(x) and f at every stencil point on the scalar path are Python's ``math`` values: at points where
    numpy's exp rounds differently in the last bit (looked for among i/997, this build of numpy), the f(x)
    fd-forward returns is math.exp(x), not numpy's."""
    tried = (i / 997 for i in range(1, 400))  # numpy on one value at a time, as the arrays' fallback calls it
    differing = [x for x in tried if math.exp(x) != np.exp(np.array([x])).item()]
    if not differing:
        pytest.skip("numpy's exp agrees with math.exp at every point tried")
    float_stencil = finite.FloatStencil(parse("exp(x)"), STENCILS["fd-forward"], finite.Evaluator)
    for x in differing[:5]:
        _, (t,), (row,), f0 = float_stencil.at([x], [0])
        assert f0 == math.exp(x) and row == [math.exp(x + t)]


def test_the_stencil_point_outside_the_domain_is_named_with_its_value(monkeypatch):
    """fd-5point of asin(x) + z·z at x = 0.9999: x + h is the first stencil point past 1, named with the
    value x + t (t the step really taken)."""
    scalar, vectorized = both(monkeypatch, "fd-5point", "asin(x) + z*z", {"x": 0.9999, "z": 1.0})
    t = scalar.details["step"]["x"]
    assert scalar.errors == vectorized.errors
    assert scalar.errors["x"].startswith(f"f is undefined at a stencil point: x + h = {0.9999 + t!r} "
                                         f"(h = {t:.3g}); ")


def test_points_split_into_several_calls_give_the_same_values(monkeypatch):
    """The vectorized evaluator with room for two rows a call (MAX_ARRAY_ELEMENTS made small): rows of
    several chunks, a variable moved in two rows and f(x) riding in the first call give what one call gives,
    and f's values by hand."""
    graph = parse("x*y + y*z - z/x + w")
    values, rows = [1.5, -2.0, 0.25, 3.0], [0, 0, 1, 2, 3, 3]
    points = [[1.0 + k / 8 + q for k in range(3)] for q in range(len(rows))]
    one = finite.Evaluator(graph)(values, rows, points, center=True)
    monkeypatch.setattr(finite, "MAX_ARRAY_ELEMENTS", 7 * len(graph))   # 7 points a call: 2 rows of 3
    evaluator = finite.Evaluator(graph)
    assert len(evaluator._layout(tuple(rows), 3, True)) == 3
    F, f0 = evaluator(values, rows, points, center=True)

    def f(x, y, z, w):
        return x * y + y * z - z / x + w
    expected = [[f(*[p if k == r else v for k, v in enumerate(values)]) for p in row]
                for r, row in zip(rows, points)]
    assert F.tolist() == one[0].tolist() and f0 == one[1] == f(*values)
    np.testing.assert_allclose(F, expected, rtol=1e-15, atol=0)


def test_a_step_below_the_spacing_of_doubles_is_refused_on_both_paths(monkeypatch):
    scalar, vectorized = both(monkeypatch, "fd-central", "x*z", {"x": 1.0, "z": 2.0}, step=1e-300)
    assert scalar.error == vectorized.error and "spacing of doubles" in scalar.error


# ---------------------------------------------------------------- which path runs

def test_below_the_crossover_no_numpy_evaluator_is_built(monkeypatch):
    built = []
    original = finite.Evaluator
    monkeypatch.setattr(finite, "Evaluator", lambda graph: built.append(graph) or original(graph))
    small, _ = sum_of(SCALAR_POINTS // 2 - 1, "x*x")  # fd-central: 2 points a variable, below
    METHODS["fd-central"].prepare(parse(small))
    assert built == []
    large, _ = sum_of(SCALAR_POINTS // 2, "x*x")  # exactly SCALAR_POINTS points: vectorized
    METHODS["fd-central"].prepare(parse(large))
    assert len(built) == 1


# ---------------------------------------------------------------- compare --points

@pytest.mark.parametrize("expression, exact", [("x*y + x/y - sqrt(x*x + y)", True),
                                               ("exp(x*y) + x*y/log(x) + tanh(y)/(x*y)", False)])
def test_points_and_the_one_point_stencil_agree_as_the_readme_says(expression, exact):
    """``compare --points`` evaluates f with numpy, one call per stencil point, with the same steps and the
    same sum as the one-point fd-central (on floats here, 2 variables): bit for bit where f's values are
    the same doubles (+ - * / and sqrt), else within the bound of the test above, from f's values at the
    stencil points by each kind of compiled f."""
    from diffcli.tasks.points import at_points

    graph = parse(expression)
    xs, ys = [1.5, 0.3, 3.0, 7.25], [0.5, 2.0, 4.0, 1.0]
    record = at_points(graph, {"x": np.array(xs), "y": np.array(ys)}, ["fd-central"], reference_sample=0,
                       timing=False)
    batched = record["gradients"]["fd-central"]
    stencil = STENCILS["fd-central"]
    for k, point in enumerate(zip(xs, ys)):
        single = run_method("fd-central", graph, dict(zip("xy", point)), timing=False).gradient
        for i, name in enumerate("xy"):
            if exact:
                assert float(batched[i][k]) == single[name]
                continue
            F, t = _stencil_values(graph, stencil, list(point), i, "real")
            G, _ = _stencil_values(graph, stencil, list(point), i, "array")
            bound = (0.5 * abs(F[0] - G[0]) + 0.5 * abs(F[1] - G[1])
                     + 2 * 2 * UNIT * 0.5 * (abs(F[0]) + abs(F[1]))) / t + 2 * UNIT * abs(single[name])
            assert abs(float(batched[i][k]) - single[name]) <= bound


# ---------------------------------------------------------------- the straight-line answer (every)

STRAIGHT = [  # smooth; f raising at a stencil point; a value only arrays find; one variable
    ("exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)", [2.0, 3.0]),
    ("log(x) + z", [1e-9, 1.0]),
    ("sqrt(1 - x) * z", [1.0, -2.0]),
    ("x**z", [0.0, 0.0]),
    ("1/exp(1000*x) + z", [1.0, 0.5]),
    ("tanh(x)", [20.0]),
    ("x*y*z - y/x", [-3.0, 1e-300, 1e300]),
]


@pytest.mark.parametrize("stencil", FIXED)
@pytest.mark.parametrize("expression, point", STRAIGHT)
def test_the_straight_line_answer_is_at_for_every_variable_to_the_bit(stencil, expression, point):
    """every() at the rule's steps is at() for every variable: the same steps, values of f, sums and
    estimates, bit for bit, also where f raises, is not finite, or has a value only numpy finds (there the
    straight-line code gives up and at() answers); with a step given it is at() itself."""
    graph = parse(expression)
    float_stencil = finite.FloatStencil(graph, STENCILS[stencil], finite.Evaluator)
    everyone = list(range(len(point)))
    for step in (None, None, 1e-3, None):  # the first call is at()'s own, the second on the straight code
        assert repr(float_stencil.every(point, step)) == repr(float_stencil.at(point, everyone, step))
    assert float_stencil.straight is not None


def test_the_straight_line_code_gives_up_where_a_value_is_not_finite():
    """It returns None (at() then answers) where f raises (log beyond its edge), where a value is not
    finite (inf at x + h), and for a function of no variable."""
    from diffcli.methods.float_stencil import _straight

    rule = STENCILS["fd-central"].factor
    offsets, weights = (-1.0, 1.0), [-0.5, 0.5]
    assert _straight(compile_function(parse("log(x)")), 1, offsets, weights, None, rule)(1e-9) is None
    assert _straight(lambda x: (math.inf if x > 0 else 1.0,), 1, offsets, weights, None, rule)(0.0) is None
    # inf among the first variable's values only: the check covers every variable's values, not the last's
    assert _straight(lambda x, z: (math.inf if x > 0 else 1.0,), 2, offsets, weights, None, rule)(0.0, 0.0) \
        is None
    assert _straight(lambda x: (1.0,), 1, offsets, weights, None, rule)(0.0) is not None
    assert _straight(compile_function(parse("x")), 0, offsets, weights, None, rule)() is None
    estimates, steps, values, center = _straight(compile_function(parse("x*x")), 1, offsets, weights, None,
                                                 rule)(3.0)
    t = (3.0 + rule * 3.0) - 3.0  # the step really taken; (3 ± t)² rounds, so the sum is exact only
    assert steps == [t] and center is None   # up to those two roundings: 2·3 within 4·9·2^-53/t
    assert values == [[(3.0 - t) * (3.0 - t), (3.0 + t) * (3.0 + t)]]
    assert abs(estimates[0] - 6.0) <= 4 * 9 * UNIT / t


def test_the_straight_line_code_is_compiled_at_the_second_answer_and_once_per_shape(monkeypatch):
    """An answer wanted once (--no-timing) compiles nothing; the second answer compiles the straight-line
    code, and later answers and other lines of the same stencil and number of variables reuse it (the
    code holds only the stencil's numbers; each line's f is bound to it)."""
    from diffcli.methods import float_stencil as module

    compiled = []
    real_compile = compile

    def counting(source, *args, **kwargs):
        if "<diffcli stencil>" in args:
            compiled.append(source)
        return real_compile(source, *args, **kwargs)

    monkeypatch.setattr(module, "compile", counting, raising=False)
    module._straight_code.cache_clear()
    stencil = STENCILS["fd-central"]
    first = finite.FloatStencil(parse("x*z + sin(x)"), stencil, finite.Evaluator)
    first.every([0.5, 2.0])
    assert compiled == [] and first.straight is None
    for _ in range(3):
        first.every([0.5, 2.0])
    assert len(compiled) == 1
    other = finite.FloatStencil(parse("exp(x) - z*z"), stencil, finite.Evaluator)  # another line, same shape
    for _ in range(3):
        other.every([1.5, 0.25])
    assert len(compiled) == 1 and other.straight is not None
    three = finite.FloatStencil(parse("x*y*z"), stencil, finite.Evaluator)  # three variables: new code
    three.every([1.0, 2.0, 3.0])
    three.every([1.0, 2.0, 3.0])
    assert len(compiled) == 2


def test_the_points_form_counts_its_evaluations():
    """compare --points with fd-central: two calls of f per variable, no f(x) (the stencil has no center)."""
    graph = parse("x*y - y/x")
    gradient, evaluations = METHODS["fd-central"].arrays(graph)([np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    assert evaluations == 2 * 2 and len(gradient) == 2


# ---------------------------------------------------------------- the stencils' error model (eps-sweep)

def test_the_error_model_of_a_negative_f_has_its_round_off_and_optimum():
    """f = −exp(x) at 0.5 is negative: the model's round-off term R·eps·|f| is still positive, and its
    optimal step is the closed form, independent of f here since every derivative is ±e^0.5: fd-forward
    (R = 1, C = |f''|/2) sqrt(2·eps), fd-central (R = 1/2, C = |f'''|/6) (3·eps/2)^(1/3), fd-5point
    (R = 3/4, C = |f⁽⁵⁾|/30) (45·eps/8)^(1/5)."""
    from diffcli.tasks.sweep import sweep

    eps = 2.0 ** -52
    model = sweep("-exp(x)", {"x": 0.5}, "x")["model"]
    expected = {"fd-forward": (1.0, 2 * eps, 2), "fd-central": (0.5, 1.5 * eps, 3),
                "fd-5point": (0.75, 45 * eps / 8, 5)}
    for scheme, (R, product, root) in expected.items():
        assert model[scheme]["roundoff"] == pytest.approx(R * eps * math.exp(0.5), rel=1e-15, abs=0)
        assert model[scheme]["h_optimal"] == pytest.approx(product ** (1 / root), rel=1e-13, abs=0)


@pytest.mark.parametrize("x", [0.0, 0.3, -2.5, 1e5])
@pytest.mark.parametrize("method", ["fd-forward", "fd-backward", "fd-central", "fd-5point"])
def test_a_direction_along_which_f_is_constant_gives_an_exact_zero(monkeypatch, method, x):
    """f = exp(y)·x**0 is the same double at every stencil point along x (x**0 is 1 everywhere), so every
    stencil's weighted sum must cancel to 0 exactly, on both paths.  fd-5point's weights 1/12 and 2/3 are
    not doubles: summed in the order −2h, −h, h, 2h their roundings left 2e-13 (f = y·y·x**0 at x = 0);
    summed as pairs (±2h, then ±h), each pair cancels exactly."""
    for row in both(monkeypatch, method, "exp(y) * x**0", {"x": x, "y": 0.7}):
        assert row.gradient["x"] == 0.0, row.method
