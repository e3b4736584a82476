"""Richardson's tableau (diffcli/methods/tableau.py) against one built by hand, entry by entry.

What it guards: every number :func:`tableau.candidates` writes — by level, sequence, family and step the
candidate T, its round-off bound R, its estimate E and E/|T|, the nan pads and the inf of a difference that
is no candidate — and the choice :func:`tableau.best` makes, on values of f given directly (arbitrary
numbers, so that a wrong weight moves an entry by as much as the entry; smooth, quantized, with holes and
with an overflowing difference).  The table here is the textbook one written in plain Python, one loop per
quantity, from the module's docstrings: level 0 the central, forward and backward differences over the
distance really stepped, level k ``(r·T[k-1, j+1] − T[k-1, j]) / (r − 1)`` with r = 4^k central and 2^k
one-sided.  Its weights are the doubles r/(r−1) and 1/(r−1), applied in that order, so that it is the same
arithmetic and the entries agree to the bit (ties between estimates then break alike).  The answers
richardson builds from these are pinned against mpmath and closed forms in tests/test_finite.py and
tests/test_fixed_methods.py; that the kept arrays carry nothing between calls, in
tests/test_richardson_scalar.py.
"""

import math

import numpy as np
import pytest

from diffcli.methods import tableau

EPS = 2.0 ** -52
NAN, INF = math.nan, math.inf
CENTRAL, FORWARD, BACKWARD = range(3)


# ---------------------------------------------------------------- the table by hand

def fmax(*values):
    """numpy's fmax over several numbers: the largest that is not nan (nan if all are)."""
    kept = [v for v in values if not math.isnan(v)]
    return max(kept) if kept else NAN


def fmin(*values):
    kept = [v for v in values if not math.isnan(v)]
    return min(kept) if kept else NAN


def divide(a, b):
    """a / b as IEEE doubles divide (inf, nan for 0/0) — Python raises at 0."""
    with np.errstate(all="ignore"):
        return float(np.float64(a) / np.float64(b))


def at(row, s):
    """row[s], nan past either end (a neighbour across a pad)."""
    return row[s] if 0 <= s < len(row) else NAN


def abscissae(x, h0, n):
    """x + h_j for j < n, then x − h_j, with h_j = h0 / 2^j."""
    return [x + h0 * 2.0 ** -j for j in range(n)], [x - h0 * 2.0 ** -j for j in range(n)]


class Hand:
    """The tableau of one call built by hand: ``T[k][q][c][s]`` etc., s = 0 and n + 1 the pads of
    the steps s − 1 = 0 … n − 1."""

    def __init__(self, xs, firsts, F, f0, n, levels):
        self.n, self.levels, self.rows = n, levels, len(xs)
        width = n + 2
        blank = lambda: [[[NAN] * width for _ in range(3)] for _ in xs]  # noqa: E731
        self.T, self.R = [blank() for _ in range(levels)], [blank() for _ in range(levels)]
        still = [[F[q][k] == f0[q] for k in range(2 * n)] for q in range(len(xs))]
        reach, slope, runs = blank(), blank(), blank()
        self.quanta = [[0.0] * 3 for _ in xs]
        for q, (x, h0) in enumerate(zip(xs, firsts)):
            plus, minus = abscissae(x, h0, n)
            for j in range(n):
                ends = {CENTRAL: ((plus[j], F[q][j]), (minus[j], F[q][n + j])),
                        FORWARD: ((plus[j], F[q][j]), (x, f0[q])),
                        BACKWARD: ((x, f0[q]), (minus[j], F[q][n + j]))}
                for c, ((a_up, f_up), (a_low, f_low)) in ends.items():
                    run = a_up - a_low                                  # the distance really stepped
                    D = divide(f_up - f_low, run)
                    if math.isinf(D):
                        D = NAN
                    # each value of f off by eps·(|f| + |x·f'|), the difference by twice that over the run
                    bound = (fmax(abs(f_up), abs(f_low)) + abs(x) * abs(D)) * EPS
                    self.T[0][q][c][j + 1], self.R[0][q][c][j + 1] = D, bound
                    runs[q][c][j + 1], reach[q][c][j + 1] = run, run * (0.5 if c == CENTRAL else 1.0)
                    slope[q][c][j + 1] = abs(D)
            for c in range(3):
                if any(still[q]):                       # |f'|·h/2 for each value of f
                    self.quanta[q][c] = quantum = self.quantum(still[q], reach[q][c], slope[q][c], c)
                    self.R[0][q][c] = [b + quantum for b in self.R[0][q][c]]
                self.R[0][q][c] = [b * divide(2.0, run) for b, run in zip(self.R[0][q][c], runs[q][c])]
        for k in range(1, levels):
            for q in range(len(xs)):
                for c in range(3):
                    r = 4.0 ** k if c == CENTRAL else 2.0 ** k    # (r·T[k-1, j+1] − T[k-1, j]) / (r − 1)
                    for s in range(width):
                        T, R = self.T[k - 1][q][c], self.R[k - 1][q][c]
                        self.T[k][q][c][s] = r / (r - 1) * at(T, s + 1) + -1.0 / (r - 1) * T[s]
                        self.R[k][q][c][s] = r / (r - 1) * at(R, s + 1) + 1.0 / (r - 1) * R[s]
        self.estimates()

    def quantum(self, still, reach, slope, c):
        """|f'|·h/2: h the largest step at which f(x ± h) == f(x) on an end of the difference, |f'| the
        largest difference at steps h … 64·h."""
        n = self.n
        stood = [NAN] + [float(still[j] if c == FORWARD else still[n + j] if c == BACKWARD
                               else still[j] or still[n + j]) for j in range(n)] + [NAN]
        h = fmax(0.0, *(r * s for r, s in zip(reach, stood)))
        steep = fmax(0.0, *(d for r, d in zip(reach, slope) if h <= r <= 64 * h))
        return 0.5 * h * steep

    def estimates(self):
        """E and E/|T|: the spread to the neighbours in the table plus R and eps·|T|, the largest of that
        over the next and previous step, then widened to the claimed intervals of each step's best."""
        levels, width = self.levels, self.n + 2
        own = [[[[NAN] * width for _ in range(3)] for _ in range(self.rows)] for _ in range(levels)]
        self.E = [[[[INF] * width for _ in range(3)] for _ in range(self.rows)] for _ in range(levels)]
        for k in range(1, levels):
            for q in range(self.rows):
                for c in range(3):
                    T, below = self.T[k][q][c], self.T[k - 1][q][c]
                    for s in range(width):
                        t = T[s]
                        spread = fmax(abs(t - below[s]), abs(t - at(below, s + 1)))
                        spread = fmax(spread, fmax(abs(at(T, s + 1) - t), abs(t - at(T, s - 1))))
                        own[k][q][c][s] = spread + self.R[k][q][c][s] + abs(t) * EPS
                    for s in range(width):
                        o = own[k][q][c]
                        e = fmax(at(o, s - 1), at(o, s + 1), o[s])
                        self.E[k][q][c][s] = INF if math.isnan(o[s]) else e
        for q in range(self.rows):
            for c in range(3):
                lows, highs = [], []
                for s in range(width):
                    column = [self.E[k][q][c][s] for k in range(levels)]
                    k = column.index(min(column))                      # the step's best level
                    t, e = self.T[k][q][c][s], self.E[k][q][c][s]
                    size = e if e < abs(t) else INF                    # claims a first digit, or nothing
                    lows.append(t - size)
                    highs.append(t + size)
                low, high = fmax(*lows), fmin(*highs)
                for k in range(1, levels):
                    for s in range(width):
                        t = self.T[k][q][c][s]
                        self.E[k][q][c][s] = fmax(self.E[k][q][c][s], fmax(t - high, low - t))
        self.relative = [[[[INF if math.isnan(v) else v for v in (
            [divide(e, abs(t)) for e, t in zip(self.E[k][q][c], self.T[k][q][c])] if k else [INF] * width)]
            for c in range(3)] for q in range(self.rows)] for k in range(levels)]

    def best(self):
        """Per sequence and family: (T, E, E/|T|) of the smallest E, then of the smallest E/|T| (the
        first in the order of levels, then steps)."""
        found = []
        for q in range(self.rows):
            row = []
            for c in range(3):
                places = [(k, s) for k in range(self.levels) for s in range(self.n + 2)]
                pick = []
                for table in (self.E, self.relative):
                    k, s = min(places, key=lambda p: table[p[0]][q][c][p[1]])   # the first at a tie
                    pick.append((self.T[k][q][c][s], self.E[k][q][c][s], self.relative[k][q][c][s]))
                row.append(tuple(pick))
            found.append(row)
        return found

    def plane(self, table, k):
        return [v for q in range(self.rows) for c in range(3) for v in table[k][q][c]]


def computed(xs, firsts, F, f0, n, levels, still=True):
    """candidates and best of tableau.py for these values of f, on arrays made afresh."""
    work = tableau.Work(len(xs), n, levels)
    # the grid's abscissae as richardson writes them, x + h0·multiples: x ± h_j, then x and a nan
    np.multiply(np.array(firsts)[:, None], work.layout.multiples, out=work.abscissae)
    work.abscissae += np.array(xs)[:, None]
    np.testing.assert_array_equal(work.points, [sum(abscissae(x, h0, n), []) for x, h0 in zip(xs, firsts)])
    np.testing.assert_array_equal(work.abscissae[:, 2 * n:], [[x, NAN] for x in xs])
    F, f0 = np.array(F, dtype=float), np.array(f0, dtype=float)
    stood = F == f0[:, None]
    with np.errstate(all="ignore"):
        tableau.candidates(work, F, f0, stood if still and stood.any() else None)
    return work, tableau.best(work, len(xs))


def check(xs, firsts, F, f0, n, levels):
    hand = Hand(xs, firsts, F, f0, n, levels)
    work, chosen = computed(xs, firsts, F, f0, n, levels)
    for k in range(levels):
        for plane, table in ((tableau._T, hand.T), (tableau._R, hand.R), (tableau._E, hand.E),
                             (tableau._RELATIVE, hand.relative)):
            np.testing.assert_array_equal(work.Z[plane, k], hand.plane(table, k), err_msg=f"{plane}, {k}")
    assert repr(chosen) == repr(hand.best())
    return hand, chosen


# ---------------------------------------------------------------- the values of f

def sampled(f, xs, firsts, n):
    """f at every abscissa of each sequence, and at x."""
    F = []
    for x, h0 in zip(xs, firsts):
        plus, minus = abscissae(x, h0, n)
        F.append([f(a) for a in plus + minus])
    return F, [f(x) for x in xs]


def arbitrary(count, seed):
    """Fixed numbers in (−2, 2), none repeated: a table of them has O(1) entries at every level."""
    state, found = seed, []
    for _ in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) % 2 ** 64
        found.append(4.0 * (state >> 11) / 2 ** 53 - 2.0)
    return found


def test_arbitrary_values_give_the_textbook_table():
    """Two sequences of 6 steps, 5 levels, f's values arbitrary: no entry is small, so every weight of every
    level and family shows."""
    n, levels, xs, firsts = 6, 5, [0.5, -3.0], [0.2, 0.75]
    values = arbitrary(2 * (2 * n + 1), 7)
    F = [values[:2 * n], values[2 * n + 1:4 * n + 1]]
    f0 = [values[2 * n], values[4 * n + 1]]
    hand, _ = check(xs, firsts, F, f0, n, levels)
    assert all(abs(v) > 1e-3 for k in range(levels) for v in hand.plane(hand.T, k) if v == v)
    # level 3 of the forward family at the first step: 3 levels of (2^k·T[j+1] − T[j]) / (2^k − 1)
    D = hand.T[0][0][FORWARD]
    assert hand.T[3][0][FORWARD][1] == pytest.approx(
        (8 * (4 * (2 * D[4] - D[3]) - (2 * D[3] - D[2])) / 3
         - (4 * (2 * D[3] - D[2]) - (2 * D[2] - D[1])) / 3) / 7, rel=1e-12, abs=0)


def test_a_smooth_function_converges_and_claims_its_digits():
    """exp at 0.3 and 1.7 (one sequence each, 10 steps): the best candidate of every family claims many
    digits, and its value is exp(x) within them."""
    n, levels, xs, firsts = 10, 6, [0.3, 1.7], [0.2, 0.34]
    F, f0 = sampled(math.exp, xs, firsts, n)
    _, chosen = check(xs, firsts, F, f0, n, levels)
    for x, row in zip(xs, chosen):
        for _, relative in row:
            assert relative[2] < 1e-10 and abs(relative[0] - math.exp(x)) <= relative[1]


def test_the_real_layout_of_richardson():
    """richardson's 40 steps and 6 levels, three sequences (tiny x gets two)."""
    from diffcli.methods import richardson
    n, levels = richardson.RICHARDSON_STEPS, richardson.RICHARDSON_LEVELS + 1
    xs, firsts = [1e-30, 1e-30, 2.5], [0.2, 2e-31, 0.5]
    F, f0 = sampled(lambda a: math.sin(a) + a * a, xs, firsts, n)
    check(xs, firsts, F, f0, n, levels)


def test_a_quantized_function_adds_the_quantum_it_reveals():
    """1e10 + sin(x): f(x ± h) == f(x) at the small steps; each family's R carries |f'|·h/2 of the largest
    such step (tested on both sides alone and together: x where only f(x + h) stands still too)."""
    n, levels = 30, 5
    quantized = lambda a: 1e10 + math.sin(a)  # noqa: E731
    xs, firsts = [0.3, 1.0, -2.0], [0.2, 0.4, 0.1]
    F, f0 = sampled(quantized, xs, firsts, n)
    assert any(F[0][j] == f0[0] for j in range(n)) and any(F[0][n + j] == f0[0] for j in range(n))
    hand, _ = check(xs, firsts, F, f0, n, levels)
    assert all(quantum > 0 for quantum in hand.quanta[0])
    # x + h alone standing still at the small steps of the second sequence: its central and forward
    # differences reveal a quantum, its backward differences none
    F[1] = [f0[1] if 20 <= j < n else v for j, v in enumerate(F[1])]
    F[1][n:] = [v if v != f0[1] else f0[1] - (j + 1) * 1e-3 for j, v in enumerate(F[1][n:])]
    hand, _ = check(xs, firsts, F, f0, n, levels)
    assert hand.quanta[1][CENTRAL] > 0 and hand.quanta[1][FORWARD] > 0 and hand.quanta[1][BACKWARD] == 0


def test_the_slope_of_the_quantum_is_the_largest_up_to_64_steps_larger():
    """f(x ± h) == f(x) from the step 2^-10 on; the differences are 1 at the steps 2^-9 … 2^-5, 3 at 2^-4
    (64 times 2^-10: still in reach) and 10 above it: the quantum of each family is 2^-10·3/2."""
    n, levels, xs, firsts = 16, 3, [0.0], [1.0]
    slopes = [10.0] * 4 + [3.0] + [1.0] * 5 + [0.0] * 6
    F = [[5.0 + d * 2.0 ** -j for j, d in enumerate(slopes)]
         + [5.0 - d * 2.0 ** -j for j, d in enumerate(slopes)]]
    hand, _ = check(xs, firsts, F, [5.0], n, levels)
    assert hand.quanta[0] == [2.0 ** -10 * 3 / 2] * 3


def test_holes_and_overflowing_differences_are_no_candidates():
    """sqrt-like values undefined left of x (nan), and a difference that overflows (inf → nan): every
    candidate built on them is nan with an infinite estimate, the rest as by hand."""
    n, levels, xs, firsts = 8, 5, [0.0, 1.0], [0.5, 4.0]
    F, f0 = sampled(lambda a: math.sqrt(a) if a >= 0 else NAN, xs, firsts, n)
    F[1][0], F[1][n] = 1.7e308, -1.7e308                     # f(x ± 4): their difference overflows
    hand, chosen = check(xs, firsts, F, f0, n, levels)
    assert math.isnan(hand.T[0][0][CENTRAL][1]) and hand.E[1][0][CENTRAL][1] == INF
    assert math.isnan(hand.T[0][1][CENTRAL][1])
    assert math.isfinite(hand.T[0][1][FORWARD][1]) and math.isfinite(hand.T[0][1][BACKWARD][1])
    assert math.isnan(chosen[0][CENTRAL][0][0]) and chosen[0][CENTRAL][0][1] == INF


def test_intervals_that_do_not_meet_widen_every_estimate():
    """Forward differences 2 at the large steps and 3 at the small ones (backward ones 2 throughout): each
    plateau claims its value to a few ulps, the claims do not meet, so every forward candidate is at least
    the distance to the nearer end of the other claim off (about 1), the backward ones are not widened."""
    n, levels, xs, firsts = 12, 2, [0.0], [1.0]
    slopes = [2.0] * 5 + [2.5] + [3.0] * 6
    F = [[d * 2.0 ** -j for j, d in enumerate(slopes)] + [-2.0 * 2.0 ** -j for j in range(n)]]
    hand, chosen = check(xs, firsts, F, [0.0], n, levels)
    forward = [e for e in hand.E[1][0][FORWARD] if e < INF]
    backward = [e for e in hand.E[1][0][BACKWARD] if e < INF]
    assert len(forward) == n - 1 and min(forward) > 0.9 and max(backward) < 1e-13
    assert chosen[0][FORWARD][1][2] > 0.3 and chosen[0][BACKWARD][1][0] == 2.0


# ---------------------------------------------------------------- the arrays kept per thread

def test_up_to_kept_rows_sequences_the_arrays_are_kept():
    """KEPT_ROWS sequences are kept (up to, inclusive), one more is not."""
    n, levels = 3, 2
    for rows, kept in ((tableau.KEPT_ROWS, True), (tableau.KEPT_ROWS + 1, False)):
        work = tableau.work_for(rows, n, levels)
        tableau.keep(work)
        assert (tableau.work_for(rows, n, levels) is work) is kept


# ---------------------------------------------------------------- richardson's choice from the table

def chosen_by_hand(hand, rows, variables, one_sided):
    """richardson's answer from the table, as its docstring says: per variable, over the sequences and
    families kept, the candidate with the smallest relative estimate (if below 1; else the smallest
    absolute one), its estimate widened to its distance to every other family's and sequence's best, and
    doubled (RICHARDSON_SAFETY)."""
    picks = hand.best()
    gradient, estimates = [], []
    for i in range(variables):
        found = [(*relative, *absolute[:2]) for q, r in enumerate(rows) if r == i
                 for c, (absolute, relative) in enumerate(picks[q]) if c == FORWARD or not one_sided]
        found = [c for c in found if math.isfinite(c[4])]
        if not found:
            gradient.append(NAN)
            estimates.append(NAN)
            continue
        best = min(found, key=lambda c: c[2])
        if best[2] < 1:
            value, estimate = best[:2]
        else:
            value, estimate = min((c[3:] for c in found), key=lambda c: c[1])
        for v_r, e_r, rel, v_a, e_a in found:
            other, other_estimate = (v_r, e_r) if rel < 1 else (v_a, e_a)
            estimate = max(estimate, abs(value - other) - other_estimate)
        gradient.append(value)
        estimates.append(2.0 * estimate)
    return gradient, estimates


def sampled_at(f, point, rows, points):
    """f with variable rows[q] moved to each of points[q]."""
    return [[f([p if k == r else v for k, v in enumerate(point)]) for p in row]
            for r, row in zip(rows, points)]


RICHARDSON_CASES = [  # f of a list of values, the point: smooth, slowly converging, tiny and huge x
    (lambda v: math.exp(20 * v[0]) + v[0] * v[1] ** 3, [0.1, -1.5]),
    (lambda v: 1 / (1 + 25 * v[0] ** 2) + math.sin(v[1]), [0.3, 1e-30]),
    (lambda v: math.atan(v[0] * 1e-27) + math.sqrt(abs(v[1])), [3e27, 2.0]),
]


@pytest.mark.parametrize("one_sided", [False, True])
@pytest.mark.parametrize("case", range(len(RICHARDSON_CASES)))
def test_richardson_answers_the_choice_of_the_table_built_by_hand(case, one_sided):
    """The steps richardson takes (0.2·max(1, |x|) halving 40 times; a second sequence from 0.2·|x| for
    tiny x, from 0.2 for huge x), its 6 levels, and its choice among families and sequences, against the
    table by hand; the evaluations it counts are 1 + 80 per sequence."""
    from diffcli.methods import richardson
    f, point = RICHARDSON_CASES[case]
    calls = []

    def evaluate(values, rows, points, center=False):
        assert center and list(values) == point
        calls.append((list(rows), points.tolist()))
        return np.array(sampled_at(f, point, rows, points)), f(point)

    gradient, estimates, evaluations = richardson.richardson_derivatives(evaluate, point, one_sided=one_sided)
    ((rows, points),) = calls
    firsts, expected_rows = [], []
    for i, x in enumerate(point):
        sequences = [0.2 * max(1.0, abs(x))] + ([0.2 * abs(x)] if abs(x) < 2.0 ** -26 else
                                                [0.2] if abs(x) > 2.0 ** 26 else [])
        firsts += sequences
        expected_rows += [i] * len(sequences)
    xs = [point[r] for r in rows]
    assert rows == expected_rows
    assert points == [sum(abscissae(x, h0, 40), []) for x, h0 in zip(xs, firsts)]
    hand = Hand(xs, firsts, sampled_at(f, point, rows, points), [f(point)] * len(rows), 40, 6)
    assert (gradient, estimates) == chosen_by_hand(hand, rows, len(point), one_sided)
    assert evaluations == 1 + 80 * len(rows)


def test_a_family_that_claims_no_digit_constrains_only_through_its_smallest_estimate():
    """f = −x right of 0 and x·(1 + 5·sin(0.05/x)) left of it, at 0: the forward differences are −1 at every
    step and claim it to a few ulps; the central and backward ones wander, and the best of each by E/|T|
    claims no first digit (E/|T| between 1 and 2).  Such a candidate constrains the answer only through its
    family's smallest absolute estimate, which covers −1: the estimate stays the forward one's, a few ulps."""
    from diffcli.methods import richardson

    def f(v):
        x = v[0]
        return -x if x >= 0 else x * (1 + 5 * math.sin(0.05 / x))

    def evaluate(values, rows, points, center=False):
        return np.array(sampled_at(f, [0.0], rows, points.tolist())), f([0.0])

    gradient, estimates, _ = richardson.richardson_derivatives(evaluate, [0.0])
    assert gradient == [-1.0] and estimates[0] < 1e-14
    hand = Hand([0.0], [0.2], sampled_at(f, [0.0], [0], [sum(abscissae(0.0, 0.2, 40), [])]), [0.0], 40, 6)
    (central, forward, backward), = hand.best()
    assert forward[1][0] == -1.0 and estimates == [2 * forward[1][1]]
    assert 1 <= central[1][2] < 2 and 1 <= backward[1][2] < 2


def test_where_no_candidate_claims_a_digit_the_smallest_absolute_estimate_is_kept():
    """f = x + 0.3·|x|·sin(0.5/x) + 2x·cos(0.07/x) oscillates ever faster towards 0 and has no derivative
    there: every family's best E/|T| is above 1 (the smallest about 1.03), so richardson keeps the candidate
    with the smallest absolute estimate, not the one with the smallest relative estimate."""
    from diffcli.methods import richardson

    def f(v):
        x = v[0]
        return x + 0.3 * abs(x) * math.sin(0.5 / x) + 2 * x * math.cos(0.07 / x) if x else 0.0

    def evaluate(values, rows, points, center=False):
        return np.array(sampled_at(f, [0.0], rows, points.tolist())), f([0.0])

    gradient, estimates, _ = richardson.richardson_derivatives(evaluate, [0.0])
    hand = Hand([0.0], [0.2], sampled_at(f, [0.0], [0], [sum(abscissae(0.0, 0.2, 40), [])]), [0.0], 40, 6)
    (families,) = hand.best()
    assert 1 <= min(relative[2] for _, relative in families) < 2
    absolute = min((absolute for absolute, _ in families), key=lambda c: c[1])
    assert gradient == [absolute[0]] and estimates[0] >= 2 * absolute[1]
    assert (gradient, estimates) == chosen_by_hand(hand, [0], 1, False)


@pytest.mark.parametrize("x, expected", [
    (0.0, [0.2]), (1.5, [0.2 * 1.5]), (-3.0, [0.2 * 3.0]),
    (2.0 ** -26, [0.2]), (-(2.0 ** -26), [0.2]),                                  # not below 2^-26: one
    (2.0 ** -27, [0.2, 0.2 * 2.0 ** -27]), (-(2.0 ** -27), [0.2, 0.2 * 2.0 ** -27]),  # below: two
    (2.0 ** 26, [0.2 * 2.0 ** 26]), (-(2.0 ** 26), [0.2 * 2.0 ** 26]),            # not above 2^26: one
    (2.0 ** 27, [0.2 * 2.0 ** 27, 0.2]), (-(2.0 ** 27), [0.2 * 2.0 ** 27, 0.2]),  # above: two
])
def test_the_first_steps_of_the_sequences(x, expected):
    """h_0 = 0.2·max(1, |x|); a second sequence from 0.2·|x| for 0 < |x| < 2^-26 and from 0.2 for |x| >
    2^26 (the bounds themselves get one); --eps gives the one first step."""
    from diffcli.methods import richardson
    assert richardson._sequences(x, None) == expected
    assert richardson._sequences(x, 0.125) == [0.125]


def test_the_variables_at_which_f_never_moves_are_named():
    """f = 1 + y + z at x = 0.5, y = 1e-30, z = 2: f is the same double at every step of x; y moves it at
    the first sequence's steps (from 0.2) though not at the second's (from 2e-31, lost beside 1); z moves
    it everywhere.  Only x is flat."""
    from diffcli.methods import richardson

    def f(v):
        return 1.0 + v[1] + v[2]

    def evaluate(values, rows, points, center=False):
        return np.array(sampled_at(f, list(values), rows, points.tolist())), f(list(values))

    flat: list = []
    richardson.richardson_derivatives(evaluate, [0.5, 1e-30, 2.0], flat=flat)
    assert flat == [0]


def test_families_that_disagree_at_a_kink_widen_the_estimate_to_the_farthest():
    """f = −x + x² right of 0 and −3x left of it, a kink richardson is not told of (f is plain Python here):
    backward differences claim −3 to a few ulps and are kept (the smallest relative estimate); forward ones
    claim −1, central ones about −2, both above it.  The estimate covers the distance to the farthest, about
    2, doubled."""
    from diffcli.methods import richardson

    def f(v):
        x = v[0]
        return -x + x * x if x >= 0 else -3 * x

    def evaluate(values, rows, points, center=False):
        return np.array(sampled_at(f, [0.0], rows, points.tolist())), f([0.0])

    (value,), (estimate,), _ = richardson.richardson_derivatives(evaluate, [0.0])
    assert value == pytest.approx(-3.0, rel=1e-14, abs=0)
    assert estimate == pytest.approx(2 * 2.0, rel=1e-13, abs=0)


def test_a_relative_estimate_of_exactly_one_claims_no_digit():
    """E/|T| = 1 means the estimate is as large as the value: no first digit is claimed, so the answer is
    the candidate with the smallest absolute estimate, and another candidate at E/|T| = 1 is reached
    through its absolute interval, not its relative one.  Candidates by hand, each
    (value, estimate, E/|T|, value, estimate): (2, 2, 1.0, 0.5, 0.25) and (1, 1, 1.0, 0.25, 0.5).  Kept:
    0.5 ± 0.25, which the second's absolute interval 0.25 ± 0.5 reaches; reported 2 × 0.25 = 0.5.  Just
    below 1, the relative candidate 2 ± 2·(1 − 2^-53) is kept instead."""
    from diffcli.methods.richardson import _chosen

    assert _chosen([(2.0, 2.0, 1.0, 0.5, 0.25), (1.0, 1.0, 1.0, 0.25, 0.5)]) == (0.5, 0.5)
    below = 1.0 - 2.0 ** -53
    assert _chosen([(2.0, 2.0 * below, below, 0.5, 0.25)]) == (2.0, 2.0 * 2.0 * below)
    # a second best at exactly 1 widens through its absolute interval: 5 ± 0.5 is 4.25 past 0.5 ± 0.25's
    # value (|0.5 − 5| − 0.5 = 4), while its relative one, 9 ± 9, would reach it (|0.5 − 9| − 9 < 0)
    assert _chosen([(2.0, 2.0, 1.0, 0.5, 0.25), (9.0, 9.0, 1.0, 5.0, 0.5)]) == (0.5, 2 * 4.0)
    # no finite absolute estimate: no candidate, nan and nan (the row's 'no finite estimate')
    assert all(math.isnan(v) for v in _chosen([(1.0, 1.0, 0.5, 1.0, math.inf)]))
