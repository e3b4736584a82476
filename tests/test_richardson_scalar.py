"""richardson at a few variables: its arrays are made once per number of sequences (and thread) and kept
(``tableau.Work``), so that a call spends its time on arithmetic rather than on making arrays.  What
a call reads must be what it wrote, or a constant: an answer may never depend on an earlier call, on
another thread, or on the one element no call writes (R's last element above level 0, which has no next
step).

The answers compared here are each against the same computation made with arrays made afresh; the values
themselves are pinned against mpmath and closed forms in tests/test_finite.py and tests/test_fixed_methods.py.
"""

import math
import threading

import numpy as np
import pytest

from diffcli.core.parse import parse
from diffcli.methods import richardson, tableau
from diffcli.methods.finite import Evaluator
from diffcli.methods.richardson import richardson_derivatives

CASES = [  # (expression, point): smooth, at a domain edge, quantized, tiny and huge x (two sequences)
    ("exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)", [2.0, 3.0]),
    ("sqrt(x) + z**3", [0.0, 1.5]),
    ("1e10 + sin(x) + cos(z)", [0.3, -0.7]),
    ("x*z + 1/x", [1e-300, 2.0]),
    ("log(x) - z*z", [1e200, 0.5]),
    ("x*x*x - z", [-3.0, 7.0]),
]


def fresh(expression, point, **options):
    """The answer with arrays made afresh for this call (the kept ones set aside)."""
    kept = getattr(tableau._KEPT, "kept", None)
    tableau._KEPT.kept = {}
    try:
        return richardson_derivatives(Evaluator(parse(expression)), point, **options)
    finally:
        tableau._KEPT.kept = kept


def kept_for(point):
    """The kept arrays of a point's number of sequences."""
    rows = sum(len(richardson._sequences(x, None)) for x in point)
    work = tableau.work_for(rows, richardson.RICHARDSON_STEPS, richardson.RICHARDSON_LEVELS + 1)
    tableau.keep(work)
    return work


def same(a, b) -> bool:
    """The same answers to the bit (nan where nan)."""
    return repr(a) == repr(b)


def test_kept_arrays_carry_nothing_from_one_call_to_the_next():
    """Every case run after every other on the same kept arrays gives its fresh answer."""
    expected = [fresh(text, point) for text, point in CASES]
    for _ in range(2):
        for (text, point), answer in zip(CASES, expected):
            found = richardson_derivatives(Evaluator(parse(text)), point)
            assert same(found, answer), text


@pytest.mark.parametrize("text, point", CASES)
def test_the_element_no_call_writes_is_never_read(text, point):
    """R's last element at each level above 0 has no next step: the tableau never writes it, and an answer
    does not change whatever it holds (here 1.0 and 1e300 instead of its nan)."""
    expected = fresh(text, point)
    evaluate = Evaluator(parse(text))
    richardson_derivatives(evaluate, point)  # makes (or finds) the kept arrays for this many sequences
    work = kept_for(point)
    for poison in (1.0, 1e300):
        work.X[1:, 1, -1] = poison
        assert same(richardson_derivatives(evaluate, point), expected)
    work.X[1:, 1, -1] = np.nan


def test_threads_each_keep_their_own_arrays():
    """Two threads computing different functions at once get what each gets alone."""
    texts = [CASES[0], CASES[2]]
    expected = [fresh(text, point) for text, point in texts]
    found: dict = {}
    start = threading.Barrier(2)

    def work(k):
        text, point = texts[k]
        evaluate = Evaluator(parse(text))
        start.wait()
        found[k] = [richardson_derivatives(evaluate, point) for _ in range(40)]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for k in range(2):
        assert all(same(answer, expected[k]) for answer in found[k])


def test_many_sequences_get_arrays_of_their_own():
    """Past KEPT_ROWS sequences the arrays are made for the call and not kept: 70 variables of a
    separable sum, each ∂f/∂x_i = cos(x_i) within richardson's own estimate."""
    names = [f"x{i}" for i in range(70)]
    values = [0.5 + i / 100 for i in range(70)]
    assert len(values) > tableau.KEPT_ROWS
    gradient, estimates, evaluations = richardson_derivatives(Evaluator(parse(" + ".join(
        f"sin({n})" for n in names))), values)
    assert evaluations == 1 + 80 * 70
    assert all(rows <= tableau.KEPT_ROWS for rows, _, _ in tableau._KEPT.kept)
    for g, e, x in zip(gradient, estimates, values):
        assert abs(g - math.cos(x)) <= e


def test_a_step_given_and_one_sided_runs_reuse_the_arrays_cleanly():
    """--eps (one sequence of the given first step) and forward differences only (at a kink) after other
    calls on the same kept arrays give their fresh answers."""
    for options in ({"step": 1e-3}, {"one_sided": True}, {"step": 0.5, "one_sided": True}):
        expected = fresh(CASES[0][0], CASES[0][1], **options)
        richardson_derivatives(Evaluator(parse(CASES[5][0])), CASES[5][1])
        assert same(richardson_derivatives(Evaluator(parse(CASES[0][0])), CASES[0][1], **options), expected)


@pytest.mark.parametrize("text, point", CASES)
def test_what_a_call_writes_it_writes_whole(text, point):
    """f's values and f(x) in the grid, T and R of every level and every estimate: a call overwrites them
    all before reading them, so filling them with 1e300 beforehand changes no answer."""
    expected = fresh(text, point)
    evaluate = Evaluator(parse(text))
    richardson_derivatives(evaluate, point)
    work = kept_for(point)
    work.grid[:, :, :-1] = 1e300                              # the last column: the constant pad
    work.X[:, 0] = work.X[0, 1] = work.X[1:, 1, :-1] = 1e300  # R's last element above level 0: a pad
    work.Z[:, 1:] = work.Z[tableau._T, 0] = work.Z[tableau._R, 0] = 1e300
    assert same(richardson_derivatives(evaluate, point), expected)


def test_a_call_inside_another_gets_arrays_of_its_own():
    """f computing a gradient itself (richardson inside richardson's evaluation, at the same number of
    sequences): each call gets its fresh answer."""
    outer, inner = CASES[0], CASES[5]
    expected_outer, expected_inner = fresh(*outer), fresh(*inner)
    evaluate, found = Evaluator(parse(outer[0])), []

    def nested(values, rows, points, center=False):
        found.append(richardson_derivatives(Evaluator(parse(inner[0])), inner[1]))
        return evaluate(values, rows, points, center=center)
    assert same(richardson_derivatives(nested, outer[1]), expected_outer)
    assert same(found, [expected_inner])
