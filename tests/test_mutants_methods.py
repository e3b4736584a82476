"""Fixed tests for mistakes in the methods that ``tools/mutate.py`` planted and no other test noticed.

Each test names the behaviour it pins; its expected values come from closed forms or from counting what
the method is documented to do, never from the method's own output.
"""

import pytest

from diffcli.api import compare


@pytest.mark.parametrize("text", [
    "x*z",       # the compiled gradient runs
    "(-x)**z",   # at x=2, z=3 the compiled gradient fails (log(-2)) and the poisoned loop runs instead
])
def test_reverse_mode_costs_one_evaluation_of_f(text):
    """Reverse mode evaluates f once (the forward pass that stores every intermediate), then one backward
    pass: its row counts 1 evaluation, also where a partial has no value and the poisoned loop answers."""
    row = next(r for r in compare(text, {"x": 2.0, "z": 3.0}, timing=False)["methods"]
               if r["method"] == "reverse")
    assert row["gradient"]["x"] == (3.0 if text == "x*z" else -12.0)  # z; -z·(-x)^(z-1) = -3·4
    assert row["evaluations"] == 1


def test_symbolic_rounding_estimate_counts_its_passes_over_the_graph():
    """x*2 + x*3 + … + x*4001 is a graph of 12,000 nodes (4,000 constants, products, sums) whose symbolic
    gradient extends it to 16,001: symbolic's tracked passes are 3 + 16,001 // 12,000 = 4, so 48,000 node
    evaluations, within MAX_TRACKED_NODES (50,000): the row has its rounding estimate.  The derivative is
    2 + 3 + … + 4001 = 4001·4002/2 − 1 = 8,006,000."""
    from diffcli.methods.rounding import MAX_TRACKED_NODES

    assert MAX_TRACKED_NODES == 50_000
    text = " + ".join(f"x*{c}" for c in range(2, 4002))
    row = compare(text, {"x": 1.5}, methods=["symbolic"], timing=False)["methods"][0]
    assert row["gradient"] == {"x": 8_006_000.0}
    assert 0 < row["error_estimate"]["x"] < 1e-6 * 8_006_000


def test_forward_over_reverse_hessian_of_a_cube_is_exact_and_its_bound_is_zero():
    """d²(x·x·x)/dx² = 6x.  Forward-over-reverse builds it from the tangents 2x, 4x and 6x, each a small
    multiple of x = 1.1 that is itself a double (6·1.1 in mpmath equals the double 6.6000000000000005), so
    every operation it takes is exact and its rounding bound is 0; x·x = 1.2100000000000002, which is
    rounded, enters the gradient only, never this entry."""
    import mpmath

    from diffcli.api import hessian

    exact = mpmath.mpf(6) * mpmath.mpf(1.1)
    assert mpmath.mpf(float(exact)) == exact
    row = next(r for r in hessian("x*x*x", {"x": 1.1})["methods"] if r["method"] == "forward-over-reverse")
    assert row["hessian"] == [[float(exact)]]
    assert row["error_estimate"] == [[0.0]]


def test_complex_step_looks_beside_the_point_at_its_documented_step():
    """sqrt(2e-12 − (x − 1)²) is real for |x − 1| ≤ 1.41e-6 only.  The complex step checks that f is real
    beside the point at x ± 1e-6·max(1, |x|) (inside that interval here, so f is analytic at x = 1) and
    answers: f'(1) = −(x − 1)/sqrt(…) = 0.  Checked at twice that step it would find f non-real on both
    sides and refuse."""
    record = compare("sqrt(2e-12 - (x - 1)**2)", {"x": 1.0}, methods=["complex-step"], timing=False)
    row = record["methods"][0]
    assert row["errors"] == {} and row["error"] is None
    assert row["gradient"] == {"x": 0.0}


def test_richardson_warning_gives_its_relative_error_as_a_size_for_a_negative_derivative():
    """d(1e8 − sin x)/dx = −cos 1 ≈ −0.54, but f's values carry 1e8·eps of rounding, so richardson cannot
    vouch for 10 digits and says so, with the estimated error relative to |∂f/∂x|: a positive size."""
    row = compare("1e8 - sin(x)", {"x": 1.0}, methods=["richardson"], timing=False)["methods"][0]
    assert row["gradient"]["x"] < 0
    estimate = row["error_estimate"]["x"]
    (warning,) = row["warnings"]
    assert f"estimated error {estimate:.2g} ({estimate / abs(row['gradient']['x']):.2g} relative)" in warning


@pytest.mark.parametrize("text, x, method, point", [
    ("sqrt(1 - x)", 0.9999999999, "fd-forward", "x + h"),     # h = 1.49e-8 steps past 1
    ("sqrt(1 - x)", 0.9999999999, "fd-5point", "x + h"),      # x - 2h, x - h are inside; x + h is not
    ("sqrt(x - 1)", 1.0000000001, "fd-backward", "x - h"),
    ("sqrt(x - 1)", 1.0000000001, "fd-5point", "x - 2·h"),    # the first stencil point, and outside
])
def test_a_stencil_names_the_point_it_stepped_out_of_the_domain_at(text, x, method, point):
    row = compare(text, {"x": x}, methods=[method], timing=False)["methods"][0]
    assert row["gradient"] is None  # its only partial has no value
    assert row["errors"]["x"].startswith(f"f is undefined at a stencil point: {point} = ")


@pytest.mark.parametrize("text, gradient", [("x*z", [3.0, 2.0]), ("(-x)**z", [-12.0, None])])
def test_reverse_mode_timed_runs_its_compiled_gradient_with_one_evaluation(text, gradient):
    """With timing (no ``once``) reverse mode runs its compiled code: the gradient of x·z at (2, 3) is
    (z, x) = (3, 2), one evaluation of f; where the compiled code fails ((−x)**z: log(−2) in ∂/∂z) the
    poisoned loop answers ∂f/∂x = −z·(−x)^(z−1) = −12 alone, still one evaluation."""
    from diffcli.core.parse import parse
    from diffcli.methods import METHODS
    from diffcli.methods.partials import Undefined

    found, evaluations = METHODS["reverse"].prepare(parse(text))([2.0, 3.0])[:2]
    assert evaluations == 1
    assert [None if isinstance(g, Undefined) else g for g in found] == gradient
