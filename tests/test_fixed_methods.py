"""Fixed cases for the differentiation methods: each test pins one documented behaviour at its boundary
(a step rule at negative, zero, tiny and huge x, a check just inside and just outside its limit, a message's
exact words, a count of evaluations), through the public API or a module's public functions.

Expected values come from closed forms, mpmath called directly, or literal numbers derived in a comment;
never from the method under test.  The file runs first against the methods' mutants (tools/mutate.py), so
it stays fast.
"""

import math

import mpmath
import pytest

from diffcli.api import compare, hessian
from diffcli.core.parse import parse
from diffcli.methods.partials import undefined_beside
from diffcli.methods.registry import METHODS, Estimate, Method, method, register


def row(text, point, name, **options):
    """The row of method ``name`` in ``compare``'s record (no timing: deterministic)."""
    return compare(text, point, methods=[name], timing=False, **options)["methods"][0]


# ---------------------------------------------------------------- one partial at a time (partials.py)

def test_f_undefined_on_one_side_only_is_no_reason_to_refuse_the_partial():
    """sqrt(1 − x) at x = 1 is defined at x and just below it, undefined just above: the partial is one-sided,
    not missing, so the forward stencil reports its own reason, the point x + h it stepped out at
    (h = 2^-26 = 1.4901161193847656e-08, and 1 + 2^-26 prints as 1.0000000149011612), never 'no derivative:
    f is undefined on both sides'."""
    assert undefined_beside(parse("sqrt(1 - x)"), [1.0], 0) is None
    assert undefined_beside(parse("sqrt(x - 1)"), [1.0], 0) is None
    forward = row("sqrt(1 - x)", {"x": 1.0}, "fd-forward")
    assert forward["errors"]["x"].startswith("f is undefined at a stencil point: x + h = 1.0000000149011612 ")


def test_no_derivative_names_the_value_just_above_the_point():
    """(−x)**z at x = 2 is real only at integer z: ∂f/∂z has no value, and the reason quotes f's failure at
    the double just above z = 3, which is 3 + 2^-51·2 = 3.0000000000000004 (the one below would print as
    2.9999999999999996).  ∂f/∂x = −z·(−x)^(z−1) = −12 stands."""
    assert math.nextafter(3.0, math.inf) == 3.0000000000000004
    stencil = row("(-x)**z", {"x": 2.0, "z": 3.0}, "complex-step")
    assert stencil["gradient"]["x"] == -12.0
    assert stencil["errors"]["z"].startswith(
        "no derivative: f is undefined on both sides of z = 3.0: (-x)**z is undefined: -x = -2.0, "
        "z = 3.0000000000000004 (needs ")


# ---------------------------------------------------------------- the registry (registry.py)

def test_the_method_decorator_registers_and_hands_the_function_back():
    """A plugin decorates its prepare function with ``@method``: the function must stay usable under its
    own name, and ``register`` gives back the entry it registered."""
    def prepare(graph):
        return lambda values: ([0.0] * len(values), 0)

    try:
        assert method("throwaway-fixed", "an example", rank=10_000)(prepare) is prepare
        assert METHODS["throwaway-fixed"].prepare is prepare
        entry = Method("throwaway-entry", "another example")
        assert register(entry) is entry
        # rank 1000 by default: after the built-in ones, before the example of rank 10,000
        assert list(METHODS)[-2:] == ["throwaway-entry", "throwaway-fixed"]
    finally:
        METHODS.pop("throwaway-fixed", None)
        METHODS.pop("throwaway-entry", None)


def test_the_documented_defaults_of_an_entry_and_of_an_estimate():
    """A method registered without a rank goes after every built-in one (rank 1000, documented), is drawn
    first by eps-sweep (draw_rank 0), and a method that never ran counted no evaluation of f."""
    entry = Method("m", "s")
    assert (entry.rank, entry.draw_rank, entry.sweep_default, entry.work) == (1000, 0, False, "graph")
    assert all(m.rank < 1000 for m in METHODS.values())
    estimate = Estimate("m")
    assert (estimate.evaluations, estimate.gradient, estimate.errors, estimate.error) == (0, {}, {}, None)


def test_eps_sweep_runs_the_four_schemes_of_the_readme_by_default():
    """The README: eps-sweep's --methods default is 'its four schemes', fd-forward, fd-central, fd-5point and
    complex-step in its example's table.  fd-backward and richardson can be swept or run but are not
    defaults; an entry asking to be a default without a sweep form cannot be swept, so it is not one."""
    from diffcli.methods.registry import default_sweep, ids

    assert default_sweep() == ["fd-forward", "fd-central", "fd-5point", "complex-step"]
    assert "fd-backward" in ids("sweep")
    try:
        register(Method("throwaway-no-sweep", "asks to be swept, offers no sweep", sweep_default=True))
        assert default_sweep() == ["fd-forward", "fd-central", "fd-5point", "complex-step"]
    finally:
        METHODS.pop("throwaway-no-sweep", None)


# ---------------------------------------------------------------- the complex step (complex_step.py)

@pytest.mark.parametrize("text, names", [
    ("abs(x) + relu(x)", "abs and relu are"),
    ("abs(x) + relu(x) + sign(x)*x", "abs, relu and sign are"),
    ("max(x, 1) + x", "max is"),
])
def test_complex_step_names_every_non_analytic_function_it_refuses(text, names):
    """The refusal lists the non-holomorphic functions of f in sorted order, joined as English does."""
    complex_step = row(text, {"x": 2.0}, "complex-step")
    assert complex_step["error"] == f"not applicable: {names} not analytic"
    assert complex_step["evaluations"] == 0


def test_complex_step_summary_names_the_functions_it_is_not_applicable_to():
    """The README: not applicable when f uses a function the primitive table marks as not holomorphic
    (abs relu min max sign step); ``diffcli methods`` says which, in the table's order."""
    summary = METHODS["complex-step"].summary
    assert summary.endswith("exact to rounding where f is analytic (not applicable to abs, relu, min, max, "
                            "sign, step)")


def test_complex_step_ignores_a_non_analytic_function_f_does_not_use():
    """``a = abs(x)`` is assigned but never reaches f (x*x): the complex step is applicable, and exact:
    d(x²)/dx = 2x = 4 at x = 2."""
    complex_step = row("a = abs(x)\nx*x", {"x": 2.0}, "complex-step")
    assert complex_step["error"] is None
    assert complex_step["gradient"] == {"x": 4.0}


def test_complex_step_counts_both_looks_beside_x_when_the_first_is_not_real():
    """sqrt(1e-7 − x) at x = 0 is real below 1e-7 only: f at x + 1e-6 is not real, at x − 1e-6 it is, so
    the check looks twice beside x (documented: 'two where it is not'), after f(x) and f(x + ih): 4
    evaluations.  f'(0) = −1/(2·sqrt(1e-7)) (mpmath)."""
    complex_step = row("sqrt(1e-7 - x)", {"x": 0.0}, "complex-step")
    exact = -1 / (2 * mpmath.sqrt(mpmath.mpf("1e-7")))
    assert complex_step["gradient"]["x"] == pytest.approx(float(exact), rel=4e-16, abs=0.0)
    assert complex_step["evaluations"] == 4


@pytest.mark.parametrize("x, h", [(-3.0, 1e-20 * 3.0), (-0.5, 1e-20), (0.0, 1e-20), (0.5, 1e-20),
                                  (1e6, 1e-20 * 1e6)])
def test_complex_step_takes_its_documented_step_in_a_row_and_in_eps_sweep(x, h):
    """h = 1e-20·max(1, |x|): the row reports the step it took, and eps-sweep's rule row the same step.
    d(x²)/dx = 2x is exact at any tiny step: Im (x + ih)² / h = 2x."""
    complex_step = row("x*x", {"x": x}, "complex-step")
    assert complex_step["step"] == {"x": h} and complex_step["gradient"] == {"x": 2 * x}
    rule = sweep_record("x*x", x)["rule"]
    assert rule["complex-step"]["h"] == h and rule["complex-step"]["estimate"] == 2 * x


def test_complex_step_with_eps_counts_one_more_evaluation_per_variable():
    """With --eps the step is the user's, and the analyticity check needs its own tiny step: documented as
    'one more per variable with --eps'.  x·z at (1, 2): f(x) once, then per variable f(x + ih) at the
    user's h, at the rule's h and one look beside x: 1 + 2·3 = 7.  Im (x + ih)·z / h = z exactly at any
    h, so the gradient is (z, x) = (2, 1)."""
    complex_step = row("x*z", {"x": 1.0, "z": 2.0}, "complex-step", eps=1e-8)
    assert complex_step["step"] == {"x": 1e-8, "z": 1e-8}
    assert complex_step["gradient"] == {"x": 2.0, "z": 1.0}
    assert complex_step["evaluations"] == 7


def test_complex_step_takes_f_that_is_exactly_0_beside_x_as_real():
    """x − x is 0 at x and beside it: Im f = 0 is within 1e-10·|f| = 0 (the check is inclusive), so f is
    real there, and its derivative 0 is answered after one look beside x (3 evaluations)."""
    complex_step = row("x - x", {"x": 1.0}, "complex-step")
    assert complex_step["errors"] == {} and complex_step["gradient"] == {"x": 0.0}
    assert complex_step["evaluations"] == 3


@pytest.mark.parametrize("value", [complex(1.0, math.inf), complex(math.nan, 1.0), complex(math.inf, 0.0)])
def test_complex_value_refuses_a_value_with_either_part_not_finite(value):
    """complex_value is documented to raise a DomainError where f has no finite complex value."""
    from diffcli.core.errors import DomainError
    from diffcli.methods.complex_step import complex_value

    assert complex_value(lambda x: (complex(x) * 2,), [1.5], 0, 0.25) == complex(3.0, 0.5)
    with pytest.raises(DomainError, match="f is not finite at the complex step"):
        complex_value(lambda x: (value,), [1.5])


@pytest.mark.parametrize("text", ["x*x*x*x", "-x*x*x*x"])
def test_eps_sweep_models_the_complex_step_as_second_order_with_no_round_off_term(text):
    """Im f(x + ih)/h = f'(x) − h²·f'''(x)/6 + …: order 2, C = |f'''|/6, and nothing subtracted, so no
    round-off term and no optimal step, only a floor of eps·|f'|.  For ±x⁴ at x = 2: f''' = ±24x = ±48, so
    C = 8; f' = ±4x³ = ±32, floor 32·eps (f'''' = 24 would give another C, 4, to a model of order 3)."""
    model = sweep_record(text, 2.0)["model"]["complex-step"]
    assert model == {"order": 2, "C": 8.0, "roundoff": 0.0, "floor": 32 * 2.0 ** -52,
                     "formula": "C·h^2 + eps·|f'|", "h_optimal": None}


@pytest.mark.parametrize("text, x, why", [
    ("abs(x) + x", 1.0, "not applicable: abs is not analytic"),
    ("sqrt(4e-12 - (x - 3.0)**2)", 3.0, "not applicable here: f's complex continuation is not real "
                                        "beside x = 3.0 (at x ± 3e-06): f is on a non-real branch, where "
                                        "Im f(x+ih)/h is not its derivative"),
])
def test_eps_sweep_refuses_the_complex_step_at_every_step_where_its_point_form_would(text, x, why):
    """eps-sweep checks once, at the rule's step, what the point form checks: a non-analytic function in f
    (abs), or f's continuation not real beside x (real only for |x − 3| ≤ 2e-6, looked at 3 ± 3e-6): every
    step of the grid, and the rule's, carries the refusal instead of a number."""
    record = sweep_record(text, x)
    for found in [record["rule"], *record["rows"]]:
        assert (found["complex-step"]["estimate"], found["complex-step"]["error"]) == (None, why)


def test_eps_sweep_draws_the_complex_step_first_and_central_differences_on_top():
    """The README's plot legend lists the schemes in their drawing order, the last drawn on top where curves
    overlap: complex-step, fd-5point, fd-forward, fd-central (central's V last, so that it shows)."""
    from diffcli.api import sweep
    from diffcli.render.sweep import terminal_plot

    record = sweep("sin(x)", {"x": 1.0}, "x", h_from=1e-6, h_to=1e-2, per_decade=1)
    assert record["schemes"] == ["fd-forward", "fd-central", "fd-5point", "complex-step"]
    legend = terminal_plot(record).splitlines()[-1]
    assert legend == "· model   i complex-step   5 fd-5point   f fd-forward   c fd-central"


def sweep_record(text, x):
    from diffcli.api import sweep

    return sweep(text, {"x": x}, "x", schemes=["complex-step"], h_from=1e-3, h_to=1e-2, per_decade=1)


@pytest.mark.parametrize("a, b, evaluations", [(1.5e-6, 5e-7, 4), (5e-7, 1.5e-6, 3)])
def test_complex_step_looks_one_step_to_either_side_of_x(a, b, evaluations):
    """sqrt((x + a)·(b − x)) is real for −a ≤ x ≤ b only, analytic inside.  At x = 0 with {a, b} = {1.5e-6,
    5e-7} one look (at ±1e-6, the rule's step at |x| ≤ 1) falls inside, the other outside, and a look twice
    as far would fall outside on both sides.  Real below only (a = 1.5e-6): the look above is not real, the
    one below is, 4 evaluations; real above only: the first look, above, is real, 3.  Both answer
    f'(0) = (b − a)/(2·sqrt(a·b)) (mpmath, at the doubles a and b: ∓1/sqrt(3) to 1e-16)."""
    complex_step = row(f"sqrt((x + {a!r})*({b!r} - x))", {"x": 0.0}, "complex-step")
    A, B = mpmath.mpf(a), mpmath.mpf(b)
    exact = (B - A) / (2 * mpmath.sqrt(A * B))
    assert complex_step["errors"] == {}
    assert complex_step["gradient"]["x"] == pytest.approx(float(exact), rel=4e-16, abs=0.0)
    assert complex_step["evaluations"] == evaluations


@pytest.mark.parametrize("x, delta", [(-3.0, "3e-06"), (-0.5, "1e-06"), (0.5, "1e-06"), (3.0, "3e-06")])
def test_complex_step_looks_beside_x_at_its_rule_at_negative_and_small_x(x, delta):
    """f = sqrt(w² − (x − c)²) with c the point: real only for |x − c| ≤ w, analytic at c.  The check looks at
    c ± 1e-6·max(1, |c|) (3e-6 at c = ±3, 1e-6 at c = ±0.5); with w = 2e-6 between the two, it refuses at
    |c| = 3, naming that step, and answers f'(c) = 0 at |c| = 0.5.  Evaluations: f(x), f(x + ih), and the
    looks beside x: both where it refuses (4), the first where that one is real (3)."""
    complex_step = row(f"sqrt(4e-12 - (x - ({x!r}))**2)", {"x": x}, "complex-step")
    if abs(x) > 1:
        assert complex_step["errors"]["x"] == (
            f"not applicable here: f's complex continuation is not real beside x = {x!r} (at x ± {delta}): "
            "f is on a non-real branch, where Im f(x+ih)/h is not its derivative")
        assert complex_step["evaluations"] == 4
    else:
        assert complex_step["errors"] == {} and complex_step["gradient"] == {"x": 0.0}
        assert complex_step["evaluations"] == 3



@pytest.mark.parametrize("text, point", [("2*x", {"x": 1.0}), ("2*x", {"x": -3.0}),
                                         ("x*z", {"x": 1.0, "z": 2.0})])
def test_complex_step_estimate_of_a_product_exact_at_every_step_is_zero(text, point):
    """The complex step's est. error adds |answer − forward mode's tracked tangent|, that tangent's rounding
    bound and |D(2h) − D(h)|/3, D(h) = Im f(x + ih)/h.  For 2x and x·z every operation is exact: Im f(x + ih)
    = 2h (or z·h) at h and 2h alike, the tangent is exactly 2 (or z, or x), its bound 0: the estimate is 0."""
    complex_step = row(text, point, "complex-step")
    assert complex_step["warnings"] == []
    assert set(complex_step["error_estimate"].values()) == {0.0}
    exact = {"2*x": {"x": 2.0}, "x*z": {"x": point.get("z"), "z": point["x"]}}[text]
    assert complex_step["gradient"] == exact

# ---------------------------------------------------------------- symbolic Hessian's bound (symbolic.py)

def test_symbolic_hessian_bound_adds_its_own_rounding_to_the_chain_rules():
    """symbolic's Hessian bound is the rounding of evaluating its derivative graph plus the chain rule's
    bound for the constants it folded, which is forward-over-reverse's bound: so every entry is at least
    forward-over-reverse's, and at least symbolic's true error against mpmath (∂²(sin x·e^z) = −sin x·e^z,
    cos x·e^z, sin x·e^z)."""
    record = hessian("sin(x)*exp(z)", {"x": 0.7, "z": 0.3})
    rows = {r["method"]: r for r in record["methods"]}
    symbolic, chain = rows["symbolic"], rows["forward-over-reverse"]
    x, z = mpmath.mpf(0.7), mpmath.mpf(0.3)
    exact = [[-mpmath.sin(x) * mpmath.exp(z), mpmath.cos(x) * mpmath.exp(z)],
             [mpmath.cos(x) * mpmath.exp(z), mpmath.sin(x) * mpmath.exp(z)]]
    for i in range(2):
        for j in range(2):
            bound = symbolic["error_estimate"][i][j]
            assert bound >= chain["error_estimate"][i][j] > 0
            assert bound >= abs(symbolic["hessian"][i][j] - exact[i][j])


def test_a_hessian_row_counts_its_passes_over_f():
    """The registry: a Hessian form counts forward(+backward) passes over f's tape.  Symbolic evaluates its
    derivative graph instead (0); forward-over-reverse takes one forward and backward pass per row (2 for
    x, z).  d²(x²z): [[2z, 2x], [2x, 0]] = [[4, 2], [2, 0]] at (1, 2), exact in both."""
    rows = {r["method"]: r for r in hessian("x*x*z", {"x": 1.0, "z": 2.0})["methods"]}
    assert {name: (r["passes"], r["hessian"]) for name, r in rows.items()} == {
        "symbolic": (0, [[4.0, 2.0], [2.0, 0.0]]), "forward-over-reverse": (2, [[4.0, 2.0], [2.0, 0.0]])}


def test_symbolic_answers_the_partials_it_can_where_the_compiled_gradient_fails():
    """(−x)**z at x = 2, z = 3: the compiled gradient fails (its ∂/∂z needs log(−2)), so each derivative is
    evaluated alone: ∂f/∂x = −z·(−x)^(z−1) = −12 stands, ∂f/∂z has no value (f is real at integer z only).
    It evaluates derivatives, never f: 0 evaluations of f, as where the compiled gradient runs."""
    symbolic = row("(-x)**z", {"x": 2.0, "z": 3.0}, "symbolic")
    assert symbolic["gradient"] == {"x": -12.0, "z": None} and symbolic["evaluations"] == 0
    assert symbolic["errors"]["z"].startswith("no derivative: f is undefined on both sides of z = 3.0: ")


@pytest.mark.parametrize("terms, bounded", [(4_166, True), (4_167, False)])
def test_symbolic_estimate_takes_three_passes_and_one_per_graph_its_derivative_adds(terms, bounded):
    """symbolic's tracked passes: 3 + len(derivative graph) // len(f), within MAX_TRACKED_NODES (50,000)
    node evaluations.  x*2 + … with n terms has 3n nodes; its derivative graph adds n + 1 or so (16,665 and
    16,669 nodes in all for n = 4,166 and 4,167, less than twice f): 4 passes, so 12,498 nodes are bounded
    (49,992) and 12,501 are not (50,004).  The gradient is 2 + 3 + … + (n + 1) = (n + 1)(n + 2)/2 − 1."""
    from diffcli.methods.symbolic import symbolic_gradient

    graph = parse(_sum_of_multiples(terms))
    derived = graph.copy()
    symbolic_gradient(derived)
    assert len(graph) == 3 * terms and len(graph) < len(derived) < 2 * len(graph)
    assert (4 * len(graph) <= 50_000) == bounded
    run = METHODS["symbolic"].prepare(graph)
    gradient = run([1.5])[0]
    assert gradient == [(terms + 1) * (terms + 2) / 2 - 1]
    details = run.details([1.5], gradient)
    assert ("error_estimate" in details) == bounded
    if not bounded:  # and it says why: 12,501 nodes, of which (50,000 − 0) // 4 = 12,500 fit
        assert details == {"warnings": [f"symbolic: no error estimate: f has {len(graph)} nodes, more than "
                                         "the 12500 whose rounding is measured"]}


def test_symbolic_hessian_bound_of_an_exact_entry_is_zero_beside_a_rounded_one():
    """x·z + sin z: ∂²/∂x∂z = 1 is a constant, exact (bound 0), beside ∂²/∂z² = −sin z, which is rounded
    (bound > 0, and at least its true error against mpmath); ∂²/∂x² = 0.  Each entry has its own bound."""
    symbolic = next(r for r in hessian("x*z + sin(z)", {"x": 0.5, "z": 1.0})["methods"]
                    if r["method"] == "symbolic")
    assert symbolic["hessian"][0] == [0.0, 1.0] and symbolic["hessian"][1][0] == 1.0
    bounds = symbolic["error_estimate"]
    assert bounds[0] == [0.0, 0.0] and bounds[1][0] == 0.0
    assert bounds[1][1] >= abs(symbolic["hessian"][1][1] + mpmath.sin(1)) and bounds[1][1] > 0


@pytest.mark.parametrize("text", ["-sqrt(x)", "x - sqrt(x)", "sqrt(x)", "1 + sqrt(x)", "sqrt(x) - 1"])
def test_complex_step_refuses_a_branch_point_whichever_way_the_real_part_moves(text):
    """At x = 0, h = 1e-20: sqrt(ih) = sqrt(h)·e^(iπ/4), whose real part sqrt(h/2) = 7.07e-11 is as large as
    its imaginary part, where an analytic f moves by O(h²).  −sqrt(x) moves down by as much as sqrt(x) moves
    up: both are branch points, and the message gives the size of the move from f(0), whatever f(0) is."""
    complex_step = row(text, {"x": 0.0}, "complex-step")
    assert complex_step["errors"]["x"] == ("not applicable here: f is not analytic at x = 0.0 (Re f(x+ih) "
                                           "moves by 7.1e-11, as at a branch point)")


def test_complex_step_allows_the_real_part_to_move_by_exactly_its_allowance():
    """1e10·x² at x = 0: Re f(ih) = −1e10·h² with h = 1e-20, computed as −(1e10·1e-20)·1e-20, which is the
    same double as the allowance for f(0) = 0, 1e-10·h (the premise is checked first).  The check is
    inclusive: f is analytic, and f'(0) = 0."""
    assert 1e10 * 1e-20 * 1e-20 == 1e-10 * 1e-20 * 1.0
    complex_step = row("1e10*x*x", {"x": 0.0}, "complex-step")
    assert complex_step["errors"] == {} and complex_step["gradient"] == {"x": 0.0}


def test_complex_step_allowance_where_f_is_0_is_one_part_in_1e10_of_the_step():
    """Just outside the allowance: 2e10·x² at x = 0 moves Re f by 2e10·h² = 2e-30, twice 1e-10·h·max(1, |f|)
    with f(0) = 0; the documented check (Re f(x+ih) = f(x) + O(h²) to 1e-10) cannot tell this curvature
    from a branch point and refuses, naming the move.  The price of a fixed tolerance, pinned here so that
    the allowance at f = 0 stays 1e-10·h, not a multiple of it."""
    complex_step = row("2e10*x*x", {"x": 0.0}, "complex-step")
    assert complex_step["errors"]["x"] == ("not applicable here: f is not analytic at x = 0.0 (Re f(x+ih) "
                                           "moves by 2e-30, as at a branch point)")


def test_complex_step_allowance_grows_with_the_size_of_the_imaginary_part_whatever_its_sign():
    """1e10·x² − x at x = 0: f(ih) = −1e10·h² − ih, so Re f moves by 1e-30 (h = 1e-20) while Im f = −h.  The
    allowance 1e-10·|Im f| + 8·eps·|f(0)| + 1e-10·h·max(1, |f(0)|) = 1e-30 + 0 + 1e-30 holds it: f is
    analytic, and f'(0) = −1 exactly (Im f(ih)/h = −h/h).  The move is half the allowance: 1e-10·Im f,
    negative here, would cancel the last term and refuse."""
    complex_step = row("1e10*x*x - x", {"x": 0.0}, "complex-step")
    assert complex_step["errors"] == {} and complex_step["gradient"] == {"x": -1.0}


@pytest.mark.parametrize("below, ulps, analytic", [(4, 12, True), (4, 13, False), (5, 12, False)])
def test_complex_step_allowance_where_f_is_not_0_is_8_ulps_and_a_part_in_1e10_of_the_step(below, ulps,
                                                                                           analytic):
    """The allowance for Re f(x+ih)'s move is 8·eps·|f| + 1e-10·h·max(1, |f|) (+ 1e-10·|Im f|, 0 here).
    f = c + K·x² at x = 0 with c = −(1.5 − below·2^-52): Re f(ih) = c + K·h², h = 1e-20, and
    K = ulps·2^-52/h² moves it by exactly that many ulps of c (2^-52 each, c staying in [−2, −1]).
    8·eps·|c| is 12 ulps less below·2^-101 (the allowance's own ulp), and 1e-10·h·|c| ≈ 1.5e-30 ≈
    3.85·2^-101: for below = 4 the sum rounds to 12 ulps exactly (1e-10·h alone, 2.56·2^-101, or
    1e-10·h/|c| would leave it an ulp short), for below = 5 it stays an ulp short (1e-10·h·2, 5.1·2^-101,
    would reach 12 ulps).  So a move of 12 ulps is allowed at below = 4 and not at 5, and one of 13 (below
    9·eps·|c| = 13.5 ulps) is not.  An analytic f of this curvature is refused: the price of a fixed
    tolerance."""
    c, K = -(1.5 - below * 2.0 ** -52), ulps * 2.0 ** -52 / 1e-40
    assert c + K * 1e-40 - c == ulps * 2.0 ** -52
    complex_step = row(f"{c!r} + {K!r}*x*x", {"x": 0.0}, "complex-step")
    if analytic:
        assert complex_step["errors"] == {} and complex_step["gradient"] == {"x": 0.0}
    else:
        assert complex_step["errors"]["x"] == ("not applicable here: f is not analytic at x = 0.0 (Re "
                                               f"f(x+ih) moves by {ulps * 2.0 ** -52:.2g}, as at a branch "
                                               "point)")


@pytest.mark.parametrize("text, x, slope", [("(-x)**z", 1.0, -1000001.0), ("x**z", -1.0, 1000001.0)])
def test_complex_step_takes_a_negative_base_to_a_large_odd_power(text, x, slope):
    """A negative base to the odd integer power z = 1000001 is real (−1), and so is its complex continuation
    (−1)^z·(−base)^z: d/dx (−x)^z = −z·(−x)^(z−1) = −1000001 at x = 1, d/dx x^z = z·x^(z−1) = 1000001 at
    x = −1, exactly (the complex step's h² term is far below the last bit).  Python's power of the complex
    base itself, exp(z·log(base)), rounded z·π ≈ 3.14e6 to its ulp and left Im f ≈ 4.7e-10 at the point, so
    the complex step used to refuse ∂f/∂x as 'on a non-real branch'.  ∂f/∂z has no value at all (f is real
    at integer z only).  Evaluations: f(x), f(x + ih) per variable, and the look beside x: 4."""
    complex_step = row(text, {"x": x, "z": 1000001.0}, "complex-step")
    assert complex_step["evaluations"] == 4
    assert complex_step["gradient"]["x"] == slope and "x" not in complex_step["errors"]
    assert complex_step["errors"]["z"].startswith("no derivative: f is undefined on both sides of z")


def test_a_complex_value_off_the_real_line_at_the_point_is_refused_without_looking_beside():
    """Where f's complex continuation at the real point itself has an imaginary part beyond the tolerance
    (1e-10 of |f|), the point is on a non-real branch: refused with that part, and f evaluated nowhere
    beside it (0 evaluations).  (No function of the table reaches this at a point where f is real since
    cpow takes integer powers of a negative base on the real branch; the check stays for any evaluator.)"""
    from diffcli.methods.complex_step import off_the_real_line

    def f(*args):  # never called: the point's own value decides
        raise AssertionError("f evaluated beside the point")
    for part in (1e-6, -1e-6):  # its size counts, whatever its sign
        why, evaluations = off_the_real_line(f, [2.0], 0, complex(3.0, part), "x")
        assert (why, evaluations) == ("not applicable here: f's complex value at the point is not real (Im f "
                                      f"= {part:.2g}): f is on a non-real branch", 0)


# ---------------------------------------------------------------- dual numbers (forward.py)

def test_dual_numbers_with_a_float_on_the_left_apply_the_table_in_that_order():
    """A float on the left of a Dual (the reflected operators): with x = 2 + 1·ε, 3 − x = 1 − ε,
    3/x = 1.5 − (3/4)·ε, 3·x = 6 + 3·ε, 3 + x = 5 + ε, 2**x = 4 + 4·ln 2·ε (d(2^x)/dx = 2^x·ln 2), and
    −x = −2 − ε."""
    from diffcli.methods.forward import Dual

    x = Dual(2.0, 1.0)
    found = [(y.value, y.tangent) for y in (3.0 - x, 3.0 / x, 3.0 * x, 3.0 + x, 2.0 ** x, -x)]
    assert found[:4] == [(1.0, -1.0), (1.5, -0.75), (6.0, 3.0), (5.0, 1.0)] and found[5] == (-2.0, -1.0)
    assert found[4][0] == 4.0 and found[4][1] == pytest.approx(4 * math.log(2.0), rel=1e-15, abs=0.0)


def test_dual_names_the_partial_a_constant_base_cannot_give():
    """(−2)**x·z at x = 3, z = 1.5: f = −12 is defined (an integer power), but ∂/∂x needs log(−2).  The
    compiled pass fails, and the interpreted one finds which argument's rule failed, passing over the
    constant base −2 (a float, with no tangent): ∂f/∂x has no value, f being real at integer x only, while
    ∂f/∂z = (−2)³ = −8 stands."""
    dual = row("(-2.0)**x*z", {"x": 3.0, "z": 1.5}, "dual")
    assert dual["error"] is None and dual["gradient"] == {"x": None, "z": -8.0}
    assert dual["errors"]["x"].startswith("no derivative: f is undefined on both sides of x = 3.0: ")


# ---------------------------------------------------------------- stencils (finite.py)

@pytest.fixture
def plugin_stencil():
    """A stencil a plugin adds: (f(x + 2h) − f(x)) / 2h, f(x) in it, offered for arrays of points, with no
    rank, marker or draw rank of its own.  Removed from the registry afterwards."""
    from diffcli.methods.finite import EPS, Stencil, register_stencil

    stencil = Stencil("fd-plugin-forward2", (0, 2), (-0.5, 0.5), 1, EPS ** 0.5, "sqrt(eps)",
                      "forward difference over 2h (f(x+2h) - f(x)) / 2h", arrays=True)
    register_stencil(stencil)
    yield stencil.id
    METHODS.pop(stencil.id)


def test_a_plugin_stencil_gets_the_documented_defaults(plugin_stencil):
    """Registered without a rank it goes after every built-in method (rank 1000); eps-sweep offers it, draws
    it first (draw_rank 0), with no marker, and does not run it unless asked (not a default scheme)."""
    entry = METHODS[plugin_stencil]
    assert (entry.rank, entry.marker, entry.draw_rank, entry.sweep_default) == (1000, None, 0, False)
    assert list(METHODS)[-1] == plugin_stencil
    assert entry.summary == ("forward difference over 2h (f(x+2h) - f(x)) / 2h, h = sqrt(eps)·max(1, |x|), "
                             "1 evaluation per variable plus f(x) once, error O(h)")


@pytest.mark.parametrize("x", [-3.0, 0.5, 1e6])
def test_a_plugin_stencil_with_f_x_in_it_runs_at_a_point_and_on_arrays(plugin_stencil, x):
    """d(x²)/dx = 2x.  The stencil's difference of x² is exactly 2x + 2h; h = 2^-26·max(1, |x|), so its
    relative error is h/|x| or h, below 1.5e-8, plus rounding (eps·x²/h over 2x: below 1e-8).  Its f(x) is
    counted once, its one moved point once per variable: 2 evaluations of f per point, on arrays as at one
    point."""
    import numpy as np

    point = row("x**2", {"x": x}, plugin_stencil)
    assert point["gradient"]["x"] == pytest.approx(2 * x, rel=3e-8, abs=0.0)
    assert point["evaluations"] == 2
    gradient, evaluations = METHODS[plugin_stencil].arrays(parse("x**2"))([np.array([x, -x])])
    assert gradient[0].tolist() == pytest.approx([2 * x, -2 * x], rel=3e-8, abs=0.0)
    assert evaluations == 2


@pytest.mark.parametrize("text, x, on_arrays", [("exp(x)", 0.5, False), ("1/exp(1000*x)", 1.0, True)])
def test_the_scalar_stencil_turns_to_arrays_only_where_f_has_no_finite_value_on_floats(text, x, on_arrays):
    """FloatStencil evaluates f with Python's math functions, f(x) included, and builds the array evaluator
    only at a point where that gives no finite value.  exp(x) at 0.5 with the forward stencil (offsets 0 and
    1, weights −1 and 1; h = 2^-26, exact beside 0.5): f(x) and f(x + h) are math.exp's, the estimate is
    their difference over h, and no evaluator is built.  1/exp(1000x) at 1 overflows on floats (e^1000): the
    arrays give 1/inf = 0 there, once built, and the forward difference of two zeros is 0."""
    from diffcli.methods.finite import STENCILS, Evaluator
    from diffcli.methods.float_stencil import FloatStencil

    built = []

    def arrays(graph):
        built.append(graph)
        return Evaluator(graph)

    estimates, taken, F, f0 = FloatStencil(parse(text), STENCILS["fd-forward"], arrays).at([x], [0])
    h = 2.0 ** -26
    assert taken == [h]
    if on_arrays:
        assert (estimates, F, f0, len(built)) == ([0.0], [[0.0]], 0.0, 1)
    else:
        assert f0 == math.exp(0.5) and F == [[math.exp(0.5 + h)]] and not built
        assert estimates == [(math.exp(0.5 + h) - math.exp(0.5)) / h]


@pytest.mark.parametrize("name, per_point", [("reverse", 1), ("symbolic", 0), ("dual", 2),
                                             ("fd-central", 4)])
def test_every_arrays_form_counts_its_evaluations_of_f_as_its_point_form_does(name, per_point):
    """The registry's definition: evaluations of f per point, 1 for reverse mode (its forward pass), 0 for
    symbolic (it evaluates the derivative instead), one pass per variable for dual, 2 per variable for
    central differences; here with two variables, x*z + sin(x) at (0.5, 2) and at (−1, 3), whose gradient
    is (z + cos x, x)."""
    import numpy as np

    gradient, evaluations = METHODS[name].arrays(parse("x*z + sin(x)"))([np.array([0.5, -1.0]),
                                                                          np.array([2.0, 3.0])])
    assert evaluations == per_point == row("x*z + sin(x)", {"x": 0.5, "z": 2.0}, name)["evaluations"]
    expected = [[2.0 + math.cos(0.5), 3.0 + math.cos(-1.0)], [0.5, -1.0]]
    for got, want in zip(gradient, expected):
        assert np.asarray(got).tolist() == pytest.approx(want, rel=1e-9, abs=0.0)


# ---------------------------------------------------------------- richardson (richardson.py)

EPS = 2.0 ** -52  # the machine epsilon of doubles (pytest.approx below always with abs=0.0: its default
# absolute tolerance, 1e-12, would swallow every estimate of this size)


@pytest.mark.parametrize("text, point, slope, units", [
    ("x", {"x": 0.0}, 1.0, 16 / 3),
    ("x", {"x": -0.0}, 1.0, 16 / 3),
    ("-x", {"x": 0.0}, -1.0, 16 / 3),
    ("0.5*x", {"x": 0.0}, 0.5, 16 / 3),
    ("2*x", {"x": 0.0}, 2.0, 16 / 3),
    ("x*z", {"x": 0.0, "z": 1.0}, 1.0, 16 / 3),
    ("z*x", {"z": 1.0, "x": 0.0}, 1.0, 16 / 3),      # x the second variable: its own row of steps
    ("relu(x)", {"x": 0.0}, 1.0, 14.0),             # a kink: forward differences only
    ("x + sqrt(x)*0", {"x": 0.0}, 1.0, 14.0),       # a domain edge: x − h is outside, forward differences
    ("x + 0*sqrt(-x)", {"x": 0.0}, 1.0, 14.0),      # x + h is outside: backward differences
])
def test_richardson_estimate_on_a_line_through_the_origin_is_its_round_off_model_doubled(text, point, slope,
                                                                                        units):
    """f = c·x at x = 0 with c a power of 2: x ± h are exact and f(x ± h) = ±c·h exactly, so every difference
    is exactly c, every extrapolation too (level 1: 4/3·c − 1/3·c rounds to c), the tableau's spread is 0,
    and the estimate is the README's round-off model alone, doubled.  Each value of f is off by eps·|f|
    = eps·|c|·h: a central difference over 2h carries 2·eps·|c|h/2h = eps·|c|, a one-sided one over h twice
    that.  The best candidate is at level 1 (the least round-off), which carries it with |weights| 4/3 + 1/3
    (central, 5/3·eps·|c|) or 2 + 1 (one-sided, 6·eps·|c|), plus eps·|T| = eps·|c|; doubled: 16/3·eps·|c|
    centrally, 14·eps·|c| one-sided, where only one side may be used (a kink: forward; a domain edge: the
    side inside it)."""
    richardson = row(text, point, "richardson")
    assert richardson["gradient"]["x"] == slope
    assert richardson["error_estimate"]["x"] == pytest.approx(units * EPS * abs(slope), rel=1e-14, abs=0.0)
    assert richardson["evaluations"] == 1 + 80 * len(point)  # one sequence of 40 steps a side per variable



@pytest.mark.parametrize("text, slope", [("x", 1.0), ("-x", -1.0), ("2*x", 2.0)])
def test_richardson_vouches_for_an_exact_slope_without_a_warning(text, slope):
    """A line through the origin: every difference is exact (see above), its estimate a few eps·|c|, far
    below 1e-10 relative: no warning, whatever the slope (1 included)."""
    richardson = row(text, {"x": 0.0}, "richardson")
    assert richardson["gradient"] == {"x": slope} and richardson["warnings"] == []


def test_richardson_runs_a_second_sequence_for_one_variable_beside_another():
    """At |x| < 2^-26 richardson adds a second sequence of steps at the scale of |x| (README); with a second
    variable that has one sequence, x's rows and z's must still be moved from their own values: sin(x)·z
    at x = 1e-300, z = 2 has ∂f/∂x = z·cos(x) = 2 and ∂f/∂z = sin(1e-300) = 1e-300, from 1 + 80·(2 + 1)
    = 241 evaluations, each estimate bounding its error."""
    richardson = row("sin(x)*z", {"x": 1e-300, "z": 2.0}, "richardson")
    assert richardson["evaluations"] == 241
    gradient, estimate = richardson["gradient"], richardson["error_estimate"]
    assert gradient["x"] == 2.0 and 0 < estimate["x"] < 1e-14
    assert gradient["z"] == pytest.approx(1e-300, rel=1e-14, abs=0.0)
    assert estimate["z"] >= abs(gradient["z"] - 1e-300)

def _level_one_estimate(noise, first: float, value: float, central: bool = True) -> float:
    """The README's estimate where every difference is exact (the tableau's spread is 0): the best candidate
    is the level-1 extrapolation at the first step h, whose estimate is the larger own estimate of itself
    and of its neighbour at the next step, the one at h/2: its round-off w·R0(h/4) + w'·R0(h/2) (R0(h) =
    ``noise(h)``, the difference's round-off at step h; |weights| 4/3 and 1/3 for central differences, 2
    and 1 for one-sided ones) plus eps·|T|; doubled."""
    from fractions import Fraction

    h = [Fraction(first) / 2 ** j for j in range(3)]
    later, here = (Fraction(4, 3), Fraction(1, 3)) if central else (Fraction(2), Fraction(1))
    level_one = later * noise(h[2]) + here * noise(h[1])
    return float(2 * (level_one + Fraction(EPS) * abs(Fraction(value))))


def test_richardson_estimate_counts_the_rounding_of_the_argument_inside_f():
    """f = 2x at x = 1 with --eps 0.25: steps 2^-2-j, so x ± h and f(x ± h) = 2 ± 2h are exact and every
    difference is exactly 2.  Each value of f is taken as off by eps·(|f| + |x·f'|) (the second term for
    an argument rounded inside f): eps·(2 + 2h + 2) at the larger value, so a central difference over 2h
    carries R0(h) = eps·(4 + 2h)·2/2h = eps·(4/h + 2)."""
    from fractions import Fraction

    richardson = row("2*x", {"x": 1.0}, "richardson", eps=0.25)
    assert richardson["gradient"]["x"] == 2.0 and richardson["warnings"] == []
    expected = _level_one_estimate(lambda h: Fraction(EPS) * (4 / h + 2), 0.25, 2.0)
    assert expected == pytest.approx(608 / 3 * EPS, rel=1e-15, abs=0.0)
    assert richardson["error_estimate"]["x"] == pytest.approx(expected, rel=1e-14, abs=0.0)


@pytest.mark.parametrize("text, slope, stall, central", [
    ("1 + 0.5*x", 0.5, 2.0 ** -52, True),        # 1 + 2^-53 rounds to 1: still at h = 2^-52
    ("1 + x + 0*sqrt(x)", 1.0, 2.0 ** -53, False),   # forward differences only (x − h is outside)
    ("1 + x + 0*sqrt(-x)", 1.0, 2.0 ** -54, False),  # backward only: 1 − 2^-54 rounds to 1, not 1 − 2^-53
])
def test_richardson_estimate_counts_the_quantum_f_reveals_where_it_stands_still(text, slope, stall, central):
    """f = 1 + c·x at x = 0 with --eps 2^-20: steps h = 2^-20-j down to 2^-59.  1 ± c·h is exact down to
    c·h = 2^-52 (2^-53 below 1), every difference there exactly c; below, f(x ± h) rounds to f(x): f stands
    still although f' = c.  The README's model then takes each value of f as off by the quantum this
    reveals as well, |f'|·h/2 with h the largest step where f stood still (``stall``, the step of the
    difference: h for a central one over 2h as for a one-sided one) and |f'| the largest difference at
    steps up to 64 times larger (c): c·stall/2, besides eps·|f| (eps·(1 + c·h) at the larger value).  A
    difference over the width w (2h central, h one-sided) carries R0(h) = 2·(eps·|f| + c·stall/2)/w; the
    estimate is past 1e-10 relative, so the row says it cannot vouch for 10 digits."""
    from fractions import Fraction

    richardson = row(text, {"x": 0.0}, "richardson", eps=2.0 ** -20)
    assert richardson["gradient"]["x"] == slope
    quantum = Fraction(slope) * Fraction(stall) / 2
    top = (lambda h: 1 + Fraction(slope) * h) if central or "sqrt(x)" in text else (lambda h: Fraction(1))
    width = (lambda h: 2 * h) if central else (lambda h: h)
    noise = lambda h: 2 * (Fraction(EPS) * top(h) + quantum) / width(h)  # noqa: E731
    expected = _level_one_estimate(noise, 2.0 ** -20, slope, central)
    assert richardson["error_estimate"]["x"] == pytest.approx(expected, rel=1e-14, abs=0.0)
    (warning,) = richardson["warnings"]
    assert warning.startswith("richardson: could not reach 1e-10 relative accuracy in ∂f/∂x: estimated "
                              f"error {expected:.2g} ({expected / slope:.2g} relative)")


@pytest.mark.parametrize("value", [2.0, -2.0])
@pytest.mark.parametrize("estimate, warned", [
    (2e-10, False),                                   # exactly 1e-10·|±2|: 2·1e-10 is exact in binary
    (math.nextafter(2e-10, math.inf), True),          # one ulp above it
    (0.0, False),
])
def test_richardson_warns_only_above_its_tolerance(monkeypatch, value, estimate, warned):
    """The row warns when the relative error estimate is above RICHARDSON_TOLERANCE (1e-10, documented as
    'above this'): an estimate of exactly 1e-10·|∂f/∂x| is vouched for, one ulp more is not.  The
    extrapolation is replaced by one that answers ±2 with the given estimate, so that only the row's
    verdict is tested."""
    import diffcli.methods.richardson as richardson

    assert richardson.RICHARDSON_TOLERANCE == 1e-10 and 1e-10 * 2.0 == 2e-10
    monkeypatch.setattr(richardson, "richardson_derivatives", lambda *args: ([value], [estimate], 81))
    found = row("x*x", {"x": value / 2}, "richardson")
    assert found["gradient"] == {"x": value} and found["error_estimate"] == {"x": estimate}
    warning = (f"richardson: could not reach 1e-10 relative accuracy in ∂f/∂x: estimated error "
               f"{estimate:.2g} (1e-10 relative); the values of f do not hold more (rounding in f, or f "
               "changing faster than the steps can resolve)")
    assert found["warnings"] == ([warning] if warned else [])


# ---------------------------------------------------------------- the estimates' size limit

def _sum_of_multiples(terms: int) -> str:
    """x*2 + x*3 + … : 1 variable, ``terms`` constants and products, ``terms`` − 1 sums, so 3·terms nodes."""
    return " + ".join(f"x*{c}" for c in range(2, terms + 2))


@pytest.mark.parametrize("name", ["fd-central", "complex-step", "dual"])
def test_an_estimate_takes_one_tracked_pass_over_f_and_one_per_variable(name):
    """The est. error of the stencils, the complex step and dual runs forward mode's tracked passes: one
    over f and one per variable, each node's rounding measured, within MAX_TRACKED_NODES (50,000) node
    evaluations.  With 1 variable: a graph of 20,001 nodes (6,667 terms) takes 2 passes, 40,002: it has its
    estimate; one of 25,002 nodes (8,334 terms) would take 50,004: it has none, and says so.  The
    derivative of the first is 2 + 3 + … + 6668 = 6668·6669/2 − 1 = 22,234,445."""
    from diffcli.methods.rounding import MAX_TRACKED_NODES

    assert MAX_TRACKED_NODES == 50_000
    small, large = parse(_sum_of_multiples(6_667)), parse(_sum_of_multiples(8_334))
    assert (len(small), len(large)) == (20_001, 25_002)
    run = METHODS[name].prepare(small)
    gradient = run([1.5])[0]
    assert gradient[0] == pytest.approx(22_234_445, rel=1e-9, abs=0.0)
    details = run.details([1.5], gradient)
    assert details.get("warnings", []) == [] and details["error_estimate"]["x"] is not None
    run = METHODS[name].prepare(large)
    gradient = run([1.5])[0]
    details = run.details([1.5], gradient)
    if name == "fd-central":  # the step taken is reported even where the estimate is refused:
        # cbrt(2^-52)·1.5 = 2^(-52/3)·1.5 ≈ 9.08e-6, as (1.5 + h) − 1.5 rounds it
        h = 2.0 ** (-52 / 3) * 1.5
        assert details.pop("step") == {"x": (1.5 + h) - 1.5}
    assert details == {"warnings": [
        f"{name}: no error estimate: f has 25002 nodes, more than the 25000 whose rounding is measured"]}


def test_reverse_and_symbolic_say_why_a_gradient_has_no_estimate_past_the_limit():
    """reverse's estimate takes two tracked passes (forward, backward): 25,000 nodes fit the 50,000 node
    evaluations, 25,002 (8,334 terms) do not, and the row says so instead of leaving the column out (the
    README promises a warning wherever ``error_estimate`` is absent).  symbolic's passes also count its
    derivative graph, so its limit is lower; past it, the same words.  The derivative of x·2 + … + x·8335
    is 2 + … + 8335 = 8335·8336/2 − 1 = 34,740,279."""
    large = parse(_sum_of_multiples(8_334))
    for name in ("reverse", "symbolic"):
        run = METHODS[name].prepare(large)
        gradient = run([1.5])[0]
        assert gradient == [34_740_279.0]
        details = run.details([1.5], gradient)
        assert "error_estimate" not in details
        (warning,) = details["warnings"]
        assert warning.startswith(f"{name}: no error estimate: f has 25002 nodes, more than the ")
        assert warning.endswith(" whose rounding is measured")
    assert METHODS["reverse"].prepare(large).details([1.5], [1.0])["warnings"] == [
        "reverse: no error estimate: f has 25002 nodes, more than the 25000 whose rounding is measured"]


@pytest.mark.parametrize("name, module, bounds", [("reverse", "diffcli.methods.reverse", "reverse_bounds"),
                                                  ("dual", "diffcli.methods.forward", "tangent_bounds")])
def test_a_gradient_bound_that_cannot_be_computed_says_so(monkeypatch, name, module, bounds):
    # As the Hessians' rows do: where the tracked passes fail (an overflow while bounding), the row keeps
    # its gradient and says why it has no est. error, instead of leaving the column out silently.
    def failing(*args, **kwargs):
        raise OverflowError("math range error")
    monkeypatch.setattr(f"{module}.{bounds}", failing)
    run = METHODS[name].prepare(parse("x*sin(y)"))
    gradient = run([1.0, 2.0])[0]
    assert gradient == [math.sin(2.0), math.cos(2.0)]
    why = "no error estimate: its rounding could not be bounded here (math range error)"
    assert run.details([1.0, 2.0], gradient) == {"warnings": [f"{name}: {why}"]}


def test_a_hessians_bound_fits_its_tracked_passes_within_the_limit():
    """The Hessian's bounds are documented by their tracked passes: forward-over-reverse's two over f per
    variable (len(f)·2·D node evaluations), symbolic's own over its derivative graph plus those
    (len(derived) + 2·len(f)·D), within MAX_TRACKED_NODES (50,000).  f = x·2 + x·3 + … + z with n
    multiples (3n + 2 nodes, D = 2, Hessian 0, its bound 0 where computed): forward-over-reverse bounds
    n = 4,166 (12,500 nodes: exactly 50,000) and not n = 4,167 (50,012).  For symbolic, with z·3 for z
    (3n + 4 nodes), its derivative graph is counted here by ``symbolic_hessian``: n = 3,124 fits (exactly
    50,000), n = 3,125 does not (50,016)."""
    from diffcli.methods.symbolic import symbolic_hessian

    def text(terms):
        return _sum_of_multiples(terms) + " + z"

    zero = [[0.0, 0.0], [0.0, 0.0]]
    for terms, bounded in ((4_166, True), (4_167, False)):
        graph = parse(text(terms))
        assert (len(graph) * 2 * 2 <= 50_000) == bounded
        run = METHODS["forward-over-reverse"].hessian(graph)
        rows = run([1.5, 2.0])[0]
        assert rows == zero
        found = run.details([1.5, 2.0], rows)
        assert found == {"error_estimate": zero} if bounded else \
            found["warnings"][0].startswith("forward-over-reverse: no error estimate: f has")
    fits = []
    for terms in (3_124, 3_125):
        graph = parse(_sum_of_multiples(terms) + " + z*3")
        derived = graph.copy()
        symbolic_hessian(derived)
        bounded = len(derived) + 2 * len(graph) * 2 <= 50_000
        fits.append(bounded)
        run = METHODS["symbolic"].hessian(graph)
        rows = run([1.5, 2.0])[0]
        assert rows == zero
        found = run.details([1.5, 2.0], rows)
        assert found == {"error_estimate": zero} if bounded else \
            found["warnings"][0].startswith("symbolic: no error estimate: f has")
    assert fits == [True, False]


@pytest.mark.parametrize("method, module", [("symbolic", "diffcli.methods.symbolic"),
                                            ("forward-over-reverse", "diffcli.methods.forward")])
def test_a_hessian_bound_that_cannot_be_computed_says_so(monkeypatch, method, module):
    # Where its tracked passes fail (an overflow while bounding), the row keeps its entries and says why it
    # has no est. error, as it says so past the size limit, instead of leaving the column out silently.
    def failing(*args, **kwargs):
        raise OverflowError("math range error")
    monkeypatch.setattr(f"{module}.hessian_bounds", failing)
    graph = parse("x*y*sin(x)")
    run = METHODS[method].hessian(graph)
    rows = run([1.0, 2.0])[0]
    assert rows[0][1] == pytest.approx(math.sin(1.0) + math.cos(1.0), rel=1e-15, abs=0)  # ∂²/∂x∂y
    why = "no error estimate: its rounding could not be bounded here (math range error)"
    assert run.details([1.0, 2.0], rows) == {"warnings": [f"{method}: {why}"]}


def test_guarded_numbers_stay_guarded_and_a_function_of_a_poison_is_that_poison():
    """Guarded floats turn a math error into a Poison instead of raising, also after a negation (−2, still
    guarded: −2/0 is a poison, −2·3 = −6); a table function applied by the poisoned loop's algebra gives a
    poison where it is undefined (log(−2)), and the same poison back where its argument is one."""
    from diffcli.methods.poison import Guarded, Poison, PoisonAlgebra

    minus_two = -Guarded(2.0)
    assert type(minus_two) is Guarded and minus_two == -2.0
    assert isinstance(minus_two / 0.0, Poison) and minus_two * 3.0 == -6.0
    functions = PoisonAlgebra(parse("x"), [1.0]).functions
    poison = functions.log(minus_two)
    assert isinstance(poison, Poison) and isinstance(poison.error, ValueError)
    assert functions.sin(poison) is poison and functions.exp(Guarded(0.0)) == 1.0


def test_a_poison_shows_its_message_once_the_loop_has_located_it():
    from diffcli.methods.poison import Poison

    poison = Poison(ValueError("math domain error"))
    assert repr(poison) == "Poison(ValueError('math domain error'))"
    poison.message = "log(-2) is undefined"
    assert repr(poison) == "Poison('log(-2) is undefined')" and poison + 1.0 is poison and -poison is poison
