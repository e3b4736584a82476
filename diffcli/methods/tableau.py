"""Richardson's tableau for every sequence and family at once (:mod:`diffcli.methods.richardson`'s numbers).

:func:`candidates` fills, for each sequence of halving steps, the central, forward and backward differences
(level 0), their extrapolations to h → 0 (levels 1 on, Neville) with a bound of their round-off, and each
candidate's error estimate; :func:`best` picks each family's best.  At a few variables every operation
costs mostly numpy's fixed cost per call, and making an array or a view, or converting a Python number to
an operand, costs as much: so every array and view a call uses is made once per number of sequences and
thread (:class:`Work`) and every constant is an array.  The operations are the same on the same doubles in
the same order whatever the layout, so the answers are the same bits.
"""

from __future__ import annotations

import functools
import sys
import threading
import typing

from diffcli.core.lazy import LazyNumpy

np = LazyNumpy(globals())
EPS = sys.float_info.epsilon


class _Layout(typing.NamedTuple):
    """Constant arrays for a number of sequences (see :func:`_layout`)."""

    multiples: object
    gather: object
    half: object
    later: object
    here: object
    columns: object
    families: object


@functools.lru_cache(maxsize=16)
def _layout(rows: int, n: int, levels: int) -> _Layout:
    """Constant arrays for ``rows`` sequences of ``n`` steps and ``levels`` levels (level 0 the plain
    differences), built once per number of rows.

    Each sequence q has a *grid* row of abscissae (and one of f): x + h_j, x − h_j, then x and a nan, which
    is x + h_0·``multiples``.  The candidates of one level are a flat *plane*: one element per (row,
    family, step), each (row, family) padded with a nan step at each end, so that the next step is the next
    element and a neighbour across two rows or families is a nan.  ``gather`` picks from the flat grid, for
    every element of a plane, the upper end of its difference, then the lower end, then x (the nan at the
    padding steps).  ``half`` is per element the step of the difference in units of its width (1/2 central,
    1 one-sided).  By level k, ``later`` and ``here`` are the weights of T[k-1, j+1] (the smaller step) and
    of T[k-1, j] (−1/(r−1) in T, +1/(r−1) in the bound R) over T's plane then R's, less the last element
    (which has no next), where r is the factor by which the error term that level k removes shrinks when
    the step halves (4^k central, 2^k one-sided).  ``columns`` and ``families`` count the elements of a
    plane and its (row, family) rows.
    """
    halvings = 2.0 ** -np.arange(n)
    multiples = np.concatenate([halvings, -halvings, [0.0, np.nan]])
    steps = np.arange(n + 2)
    padding = (steps == 0) | (steps == n + 1)
    j = np.clip(steps - 1, 0, n - 1)
    plus, minus, at = (np.where(padding, 2 * n + 1, end) for end in (j, n + j, np.full(n + 2, 2 * n)))
    base = (np.arange(rows) * (2 * n + 2))[:, None, None]
    gather = np.concatenate([(base + np.array(side)).reshape(-1)
                             for side in ([plus, plus, at], [minus, at, minus], [at, at, at])])
    per_element = lambda family: np.repeat(np.tile(family, rows), n + 2)  # noqa: E731
    half = per_element([0.5, 1.0, 1.0])
    plane = half.size
    later, here = np.full((2, levels, 2 * plane - 1), np.nan)
    for k in range(1, levels):
        r = per_element([4.0 ** k, 2.0 ** k, 2.0 ** k])
        later[k] = np.tile(r / (r - 1), 2)[:-1]
        here[k] = np.concatenate([-1.0 / (r - 1), 1.0 / (r - 1)])[:-1]
    layout = _Layout(multiples, gather, half, later, here, np.arange(plane), np.arange(3 * rows)[:, None])
    for constant in layout:                                       # shared by every call (and thread)
        constant.flags.writeable = False
    return layout


_T, _E, _RELATIVE, _R = range(4)  # the planes of Z (see Work): value, error estimate, estimate / |value|, R


class Work:
    """The arrays one call of :func:`richardson_derivatives` fills for ``rows`` sequences, and every view
    of them it uses, made once per number of rows (and thread): at a few variables, making a view, a
    temporary or a constant from a Python number costs as much as the arithmetic on it.  Nothing one call
    reads is left from another: every element is written before it is read, except the constants set here
    (the nan pads and the inf estimates of level 0).

    ``grid`` (2, rows, 2·steps + 2): abscissae and f (see :func:`_layout`).  ``X`` (levels, 2, plane): by
    level T then R, where the tableau runs (:func:`_tableau`).  ``Z`` (4, levels, plane): by level the
    candidates' T, E, E/|T| and R (see :func:`candidates`).
    """

    def __init__(self, rows: int, n: int, levels: int):
        layout = _layout(rows, n, levels)
        self.layout, self.rows, self.n, self.levels = layout, rows, n, levels
        plane = len(layout.half)
        blocks, width = len(layout.families), n + 2
        self.plane, self.blocks, self.width = plane, blocks, width
        self.grid = np.full((2, rows, 2 * n + 2), np.nan)
        self.abscissae, self.points, self.F = self.grid[0], self.grid[0, :, :-2], self.grid[1, :, :-2]
        self.f0 = self.grid[1, :, -2]
        self.ends = np.empty((2, 3 * plane))                      # abscissa, f; at upper, lower, x
        self.flat_grid = self.grid.reshape(2, -1)
        self.width_rise = np.empty((2, plane))
        self.upper, self.lower = self.ends[:, :plane], self.ends[:, plane:2 * plane]
        self.f_upper, self.f_lower = self.ends[1, :plane], self.ends[1, plane:2 * plane]
        self.x_at = self.ends[0, 2 * plane:]
        self.infinite = np.empty(plane, dtype=bool)
        self.slopes, self.bound, self.product = np.empty(plane), np.empty(plane), np.empty(plane)
        self.two, self.nan, self.eps_plane = np.full(plane, 2.0), np.full(plane, np.nan), np.full(plane, EPS)
        self.X = X = np.full((levels, 2, plane), np.nan)         # R's last element above level 0: a pad
        planes = X.reshape(levels, -1)
        self.T0, self.R0 = X[0]
        self.tableau_levels = [(planes[k, :-1], planes[k - 1, 1:], planes[k - 1, :-1], layout.later[k],
                        layout.here[k]) for k in range(1, levels)]
        self.tableau_product = np.empty(2 * plane - 1)
        self.Z = Z = np.empty((4, levels, plane))
        Z[_E, 0] = Z[_RELATIVE, 0] = np.inf                        # a plain difference is no candidate
        self.Z_TR, self.X_TR = Z[::_R], X.transpose(1, 0, 2)
        self._for_spread(levels, plane)
        self._for_claims(levels, plane, blocks, width)

    def _for_spread(self, levels: int, plane: int) -> None:
        """The views :func:`_spread` uses, over the flat planes of every level: t is each candidate above
        level 0 (and its pads)."""
        Z = self.Z
        T, R = Z[_T].reshape(-1), Z[_R].reshape(-1)
        self.t, self.R_t = T[plane + 1:-1], R[plane + 1:-1]
        self.T_next, self.T_here = T[plane + 1:], T[plane:-1]
        self.T_below, self.T_below_next = T[1:-plane - 1], T[2:-plane]
        size = len(self.t)
        self.steps = np.empty(size + 1)                            # |T[e+1] − T[e]|, from e = plane on
        self.step_after, self.step_before = self.steps[1:], self.steps[:-1]
        self.spread, self.scratch = np.empty(size), np.empty(size)
        self.eps = np.full(size, EPS)
        own = np.full(levels * plane + 2, np.nan)                  # each candidate's own estimate by flat
        self.own_here = own[plane + 2:-2]                          # index + 1 (nan: none; a nan each end)
        self.own_before, self.own_after, self.own = own[plane:-2], own[plane + 2:], own[plane + 1:-1]
        self.E_above = Z[_E].reshape(-1)[plane:]
        self.infinities = np.full(len(self.E_above), np.inf)
        self.T_above = T[plane:]

    def _for_claims(self, levels: int, plane: int, blocks: int, width: int) -> None:
        """The arrays and views of :func:`_widen_to_claims`, the relative estimates and :func:`best`."""
        Z = self.Z
        self.E = Z[_E]
        self.best = np.empty(plane, dtype=np.intp)
        self.TE = Z[_T:_E + 1].reshape(2, -1)
        self.TbEb = np.empty((2, plane))
        self.Tb, self.Eb = self.TbEb
        self.below_one, self.size = np.empty(plane, dtype=bool), np.empty(plane)
        self.infinite_plane = np.full(plane, np.inf)
        self.intervals = np.empty((2, plane))
        self.low_ends, self.high_ends = self.intervals
        self.low_rows, self.high_rows = self.intervals.reshape(2, blocks, width)
        self.low_high = np.empty(2 * blocks)                       # low, then high, by (row, family)
        self.low, self.high = self.low_high.reshape(2, blocks)
        block_of = np.tile(np.repeat(np.arange(blocks), width), levels - 1)
        self.bounds_index = np.concatenate([block_of, blocks + block_of])
        self.bounds = np.empty(len(self.bounds_index))
        self.low_full, self.high_full = self.bounds.reshape(2, -1)
        self.outside, self.outside_low = np.empty(len(self.T_above)), np.empty(len(self.T_above))
        # relative estimates, levels 1 on
        self.relative_above = Z[_RELATIVE].reshape(-1)[plane:]
        self.absolute_above = np.empty(len(self.T_above))
        # _best: E and E/|T| by (row, family) over levels then steps
        self.by_block = np.empty((2, blocks, levels, width))
        self.by_block_source = Z[_E:_RELATIVE + 1].reshape(2, levels, blocks, width).transpose(0, 2, 1, 3)
        self.by_block_rows = self.by_block.reshape(2 * blocks, levels * width)
        self.TER = Z[:_RELATIVE + 1].reshape(3, -1)
        self.smallest, self.where = np.empty(2 * blocks, dtype=np.intp), np.empty(2 * blocks, dtype=np.intp)
        by_level = np.arange(levels * width)                      # an index over levels then steps, as
        self.flat_index = by_level // width * plane + by_level % width   # a block's first in Z's plane
        self.block_offsets = np.tile(np.arange(blocks) * width, 2)


_KEPT = threading.local()
KEPT_ROWS = 64
"""Sequences up to which :class:`Work` is kept (per thread) from one call to the next."""


def work_for(rows: int, n: int, levels: int) -> Work:
    """The arrays for ``rows`` sequences: those kept by this thread (:func:`keep`), or new ones.  Taken
    out while in use, so that a call made inside another (f itself computing a gradient) gets its own."""
    kept = getattr(_KEPT, "kept", None)
    work = kept.pop((rows, n, levels), None) if kept else None
    return work if work is not None else Work(rows, n, levels)


def keep(work: Work) -> None:
    """Keep ``work`` for the next call of this thread, for a few variables (:data:`KEPT_ROWS`)."""
    if work.rows > KEPT_ROWS:
        return
    kept = getattr(_KEPT, "kept", None)
    if kept is None:
        kept = _KEPT.kept = {}
    elif len(kept) >= 8:
        kept.clear()
    kept[work.rows, work.n, work.levels] = work


def _differences(work: Work, F, f0: float, still) -> None:
    """Level 0 of the tableau: the central, forward and backward difference at every step in T and a bound
    of its round-off in R (``work.T0``, ``work.R0``).  ``work.grid[0]`` holds the abscissae (see
    :func:`_layout`), ``F`` f at its first 2·steps columns (x + h_j then x − h_j; nan where undefined),
    ``f0`` f at x, ``still`` where F == f0 (None if nowhere).

    Each value of f is taken to be off by eps·(|f| + |x·f'|) (the second term for arguments rounded inside
    f, as in ``exp(100*x)``) and, where f(x ± h) == f(x) although f' ≠ 0 (f is quantized, as in
    ``1e10 + sin(x)``), by the quantum this reveals (:func:`_quantum`).
    """
    layout = work.layout
    work.F[...] = F
    work.f0[...] = f0
    work.flat_grid.take(layout.gather, axis=1, out=work.ends, mode="wrap")
    width, rise = work.width_rise
    np.subtract(work.upper, work.lower, out=work.width_rise)      # width: the distance really stepped
    np.abs(work.ends, out=work.ends)
    D = work.T0
    np.divide(rise, width, out=D)
    np.isinf(D, out=work.infinite)
    np.copyto(D, work.nan, where=work.infinite)
    slopes, bound = work.slopes, work.bound
    np.abs(D, out=slopes)
    np.fmax(work.f_upper, work.f_lower, out=bound)
    bound += np.multiply(work.x_at, slopes, out=work.product)
    np.multiply(bound, work.eps_plane, out=bound)
    if still is not None:
        quantum = _quantum(still, width * layout.half, slopes, layout.gather[:2 * len(layout.half)])
        bound = (bound.reshape(len(layout.families), -1) + quantum).reshape(-1)
    np.multiply(bound, np.divide(work.two, width, out=width), out=work.R0)


def _quantum(still, reach, slopes, gather):
    """The error |f'|·h/2 of each value of f that f(x ± h) == f(x) (``still``, shaped like ``F``) reveals,
    by (row, family): h the largest step where f stood still, |f'| the largest difference at steps up to 64
    times larger.  ``reach`` is the step h of each difference, ``slopes`` its absolute value (both flat
    planes), ``gather`` the ends of each difference in the grid (see :func:`_layout`)."""
    q = len(still)
    n = still.shape[1] // 2
    stood = np.zeros((q, 2 * n + 2))
    stood[:, :-2] = still
    stood = stood.reshape(-1).take(gather).reshape(2, -1)
    rows = (3 * q, n + 2)
    stood = np.fmax(stood[0], stood[1]).reshape(rows)
    reach, slopes = reach.reshape(rows), slopes.reshape(rows)
    quantum = np.fmax.reduce(reach * stood, axis=1, keepdims=True, initial=0.0)
    near = (reach >= quantum) & (reach <= 64 * quantum)
    slope = np.fmax.reduce(slopes, axis=1, keepdims=True, where=near, initial=0.0)
    return 0.5 * quantum * slope


def _tableau(work: Work) -> None:
    """Richardson's tableau for steps that halve, every sequence and family at once, filled in place above
    level 0 of ``work.X`` (:func:`_differences`): ``X[k, 0, j]`` (T) extrapolates the differences at steps
    j … j+k to h = 0.  The central difference's error is a series in h², so level k removes the h^(2k) term
    with ``(4^k·T[k-1, j+1] − T[k-1, j]) / (4^k − 1)``; one-sided differences have every power of h, so
    ``2^k`` instead.  The same combination with |weights| carries the round-off bound of each difference to
    ``X[k, 1]`` (R).  A candidate whose steps run past the last, or that meets a nan difference, is nan: R's
    last element above level 0, which has no next, is never written (the nan :class:`Work` put there).
    (The steps really taken differ from halving by a few units in the last place of x: far below the error
    terms the extrapolation removes.)
    """
    product = work.tableau_product
    for out, later, here, later_weight, here_weight in work.tableau_levels:
        np.multiply(later_weight, later, out=out)
        out += np.multiply(here_weight, here, out=product)


def candidates(work: Work, F, f0: float, still) -> None:
    """Every candidate extrapolation and its error estimate, for each row q of ``work.grid`` (whose
    abscissae are x[q] + h_j then x[q] − h_j, halving steps): ``F`` = f there (nan where f is undefined),
    ``f0`` f at x, ``still`` where F == f0 (None if nowhere).

    Fills ``work.Z`` shaped (4, levels + 1, plane): for every candidate its value T, its error estimate E,
    E/|T| and R (see :func:`_tableau`) — a nan step pads each end of the steps of each (row, family); E (and
    E/|T|) is inf where a candidate does not exist, as at every level 0 entry (a plain difference is not
    extrapolated).  The families are central, forward and backward differences.  A candidate's estimate is

    * the largest difference to its neighbours in the tableau (same step at the level below, next step at
      the level below, the next and previous step at the same level) — the truncation error;
    * plus R, the round-off of f (see :func:`_differences`) carried through the extrapolation weights;
    * then the largest estimate of its neighbours at the next and previous step (a lucky agreement of a few
      numbers stays isolated), and at least its distance to the error interval of every row-best
      candidate of its family that claims a relative error below 1 (if that one's estimate is honest, this
      one is at least that far off; a candidate that does not even claim its first digit, like a central
      difference straddling a pole, constrains nothing).
    """
    _differences(work, F, f0, still)
    _tableau(work)
    np.copyto(work.Z_TR, work.X_TR)
    _spread(work)
    _widen_to_claims(work)
    relative = work.relative_above
    np.divide(work.E_above, np.abs(work.T_above, out=work.absolute_above), out=relative)
    np.fmin(relative, work.infinities, out=relative)                         # nan (no candidate) → inf


def _spread(work: Work) -> None:
    """E from T and R, levels 1 on: each candidate's largest difference to its neighbours in the tableau
    plus its R and eps·|T|, then the largest of that over its neighbours at the next and previous step (inf
    where there is no candidate)."""
    steps, spread, scratch, t = work.steps, work.spread, work.scratch, work.t
    np.subtract(work.T_next, work.T_here, out=steps)              # to the next step at the same level
    np.abs(steps, out=steps)
    np.subtract(t, work.T_below, out=spread)
    np.abs(spread, out=spread)
    np.subtract(t, work.T_below_next, out=scratch)
    np.abs(scratch, out=scratch)
    np.fmax(spread, scratch, out=spread)
    np.fmax(spread, np.fmax(work.step_after, work.step_before, out=scratch), out=spread)
    spread += work.R_t
    np.abs(t, out=scratch)
    scratch *= work.eps
    np.add(spread, scratch, out=work.own_here)
    E, own = work.E_above, work.own
    np.fmax(np.fmax(work.own_before, work.own_after, out=E), own, out=E)
    np.maximum(E, own, out=E)                                    # nan where there is no candidate, then
    np.fmin(E, work.infinities, out=E)                           # inf there (E is not nan where own is not)


def _widen_to_claims(work: Work) -> None:
    """Widen E (in place) to at least each candidate's distance to the error interval of every row-best
    candidate (the best level at a step) of its family and sequence that claims a first digit.  T and E
    are by level a plane of (sequence, family) rows; E is inf at level 0 (and nowhere nan)."""
    best, Tb, Eb = work.best, work.Tb, work.Eb
    work.E.argmin(axis=0, out=best)                               # each step's best level
    best *= work.plane
    best += work.layout.columns
    work.TE.take(best, axis=1, out=work.TbEb, mode="wrap")
    below_one, size = work.below_one, work.size
    np.less(Eb, np.abs(Tb, out=size), out=below_one)
    np.copyto(size, work.infinite_plane)
    np.copyto(size, Eb, where=below_one)                          # the claimed half-widths (inf: none)
    np.subtract(Tb, size, out=work.low_ends)
    np.add(Tb, size, out=work.high_ends)
    np.fmax.reduce(work.low_rows, axis=-1, out=work.low)          # the claimed intervals meet in [low, high]
    np.fmin.reduce(work.high_rows, axis=-1, out=work.high)        # (nan: no interval is claimed)
    work.low_high.take(work.bounds_index, out=work.bounds, mode="wrap")
    T, outside, outside_low = work.T_above, work.outside, work.outside_low
    np.subtract(T, work.high_full, out=outside)
    np.subtract(work.low_full, T, out=outside_low)
    np.fmax(outside, outside_low, out=outside)
    np.fmax(work.E_above, outside, out=work.E_above)


def best(work: Work, rows: int):
    """For each sequence and family: ``(value, estimate, relative estimate)`` of the candidate with the
    smallest absolute estimate, and of the one with the smallest relative estimate (the first in the order
    of levels, then steps, at a tie); nested lists shaped (rows, families, 2), each a tuple of 3."""
    np.copyto(work.by_block, work.by_block_source)
    smallest = work.smallest
    work.by_block_rows.argmin(axis=1, out=smallest)               # E's for every block, then E/|T|'s
    where = work.flat_index.take(smallest, out=work.where, mode="wrap")
    where += work.block_offsets                                   # each one's place in Z's planes
    value, estimate, relative = work.TER.take(where, axis=1).tolist()
    chosen = list(zip(value, estimate, relative))
    blocks = work.blocks
    return [[(chosen[b], chosen[blocks + b]) for b in range(3 * q, 3 * q + 3)] for q in range(rows)]
