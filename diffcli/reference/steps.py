"""One partial derivative in one run of the reference: the complex step, the one-sided slopes on the real
line where the complex step leaves f's domain while f is real on both sides of the point, and mpmath.diff
(the reverse-mode reference's cross-check).

The complex step ``Im f(x + ih) / h`` moves the real parts of the nodes by about h² (``x*x`` at x = 0 is
``-h²``), so a node whose real part sits at an edge of its domain is taken out of it although f is real
beside the point: ``(x*x)**1.75`` is ``|x|^3.5``, real everywhere, with ∂f/∂x = 0 at 0.  There
:func:`real_slope` takes the right and the left difference quotients (:func:`~.neighbourhood.edge_slope`),
which never leave the real line, at two steps: where they meet (their gap shrinks as the step does) the
partial is the right one at the smaller step, and the reference's two runs still decide its digits; where
they stay apart (``sqrt(x*x)`` at 0) f has a kink there and the partial is refused
(:class:`NotDifferentiable`).

The *scale* of a partial is the largest term met on the way, times ``10^-digits`` the floor within which
both runs' values count as 0 (:func:`diffcli.reference._agreement`): the largest ``|∂n/∂x|`` over the nodes
n that move with x (1 for x itself), and in the last pair of runs, where the adjoints at the point are
known, at least the largest ``|∂n/∂x|·|∂f/∂n|``, the size with which node n's move reaches f
(``exp(x)*exp(-x)*1e200`` at x = 1: e·e⁻¹·1e200 through ``exp(x)``, where the product's own ``|∂n/∂x|`` is
only its residue, and the runs' residues of ∂f/∂x are 1e200 times that).
"""

from __future__ import annotations

import math

from diffcli.core.evaluate import depends_on, evaluate_mp
from diffcli.core.graph import Graph
from diffcli.reference.cancellation import Loss, assess
from diffcli.reference.neighbourhood import edge_slope
from diffcli.reference.runs import agreeing_digits, at_point, largest, lazy_sensitivities, private_context


class NotDifferentiable(Exception):
    """The one-sided slopes on the real line stay apart: f has a kink at the point (``message`` says so)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def complex_step(m, graph: Graph, at: dict, values: list, name: str, exponent: int,
                 adjoint: dict | None = None):
    """∂f/∂name as Im f(x + ih)/h in mpmath, h = 2^-k·|x| (2^-k at x = 0) with 2^-k just below 10^-exponent;
    the :class:`Loss` of that run (weighed by the adjoints at x + ih, whose imaginary parts carry the
    real parts' errors into the derivative); and its scale (the module's docstring), ``adjoint`` the
    adjoints at the point (None where unknown).  Raises DomainError where x + ih leaves f's domain."""
    x = at[name]
    h = m.ldexp(abs(x) if x else m.one, -math.ceil(exponent * math.log2(10)))
    changed = depends_on(graph, graph.variables[graph.variable_names.index(name)])
    perturbed = evaluate_mp(graph, {**at, name: m.mpc(x, h)}, m, base=values, changed=changed,
                            complex_step=True, every=True)
    loss = assess(m, graph, perturbed, True, lazy_sensitivities(m, graph, perturbed), scale=h)
    scale = largest([v.imag for v, moves in zip(perturbed, changed) if moves and v is not None], h)
    if adjoint is not None:
        terms = [v.imag * adjoint[node] for node, (v, moves) in enumerate(zip(perturbed, changed))
                 if moves and v is not None and node in adjoint]
        scale = max(scale, largest(terms, scale))
    return m.im(perturbed[graph.output]) / h, loss, scale / h


class Scales(dict):
    """A run's scale of each partial: ``scales[name]`` the largest ``|∂n/∂x|`` over the nodes, and
    :meth:`weighed` the larger of that and the largest ``|∂n/∂x|·|∂f/∂n|`` (the module's docstring),
    computed when first asked for by ``weigh(name)`` (a backward pass and a second complex walk; None
    where the adjoints are unknown): only the last pair of the reference's runs asks, for a partial on which
    they disagree.  A partial not taken by the complex step (:meth:`weighed` of it) keeps its scale."""

    def __init__(self, weigh=None):
        super().__init__()
        self._weigh, self._weighed, self._stepped = weigh, {}, set()

    def stepped(self, name: str, scale) -> None:
        """``scale`` is the unweighted scale of ``name``'s complex step, which :meth:`weighed` weighs."""
        self[name] = scale
        self._stepped.add(name)

    def weighed(self, name: str):
        if name not in self._weighed:
            weighed = self._weigh(name) if name in self._stepped else None
            self._weighed[name] = self[name] if weighed is None else max(self[name], weighed)
        return self._weighed[name]


def independent_complex_step(mpmath, graph: Graph, exact: dict, name: str, dps: int):
    """∂f/∂name by the complex step, which never leaves the point's real parts, with room for its step."""
    exponent = dps // 2 + 5
    m = private_context(mpmath, dps + exponent)
    at = at_point(m, exact)
    return complex_step(m, graph, at, evaluate_mp(graph, at, m, every=True), name, exponent)[0]


def real_slope(m, graph: Graph, at: dict, values: list, name: str, digits: int) -> tuple:
    """``(∂f/∂name, its Loss)`` from the right and left difference quotients of
    :func:`~.neighbourhood.edge_slope`, at its step δ (about the square of the context's precision) and
    at δ² (twice the precision): the right one at δ², where the two sides agree there to ``digits`` digits
    or their gap at δ² is at most half their gap at δ (it shrinks with the step: ``|x|^3.5`` at 0, ±δ^2.5
    apart); a slope lost beside larger numbers is unresolved (as :func:`~.neighbourhood.edge_loss`).
    Raises :class:`NotDifferentiable` where the gap stays (a kink: ``sqrt(x*x)`` at 0, 1 and -1 at both
    steps), DomainError where f is not real on one side after all."""
    pairs = []
    for precision in (m.prec, 2 * m.prec):
        with m.workprec(precision):
            pairs.append([edge_slope(m, graph, at, values, name, side) for side in (1, -1)])
    if any(slope is None for pair in pairs for slope in pair):
        return m.zero, Loss(unresolved=True)
    (right, left), (closer_right, closer_left) = pairs
    gap = abs(closer_right - closer_left)
    if gap and agreeing_digits(m, closer_left, closer_right, digits) < digits and 2 * gap > abs(right - left):
        shown = agreeing_digits(m, closer_left, closer_right) + 2  # enough to tell them apart
        raise NotDifferentiable(f"no reference for ∂f/∂{name}: f is not differentiable here in {name}: its "
                                f"slopes from the left ({m.nstr(closer_left, shown)}) and from the right "
                                f"({m.nstr(closer_right, shown)}) differ")
    return +closer_right, Loss()


def one_diff(m, graph: Graph, at: dict, values: list, name: str):
    """mpmath.diff in one variable (the cross-check); nodes that do not depend on it keep their values."""
    changed = depends_on(graph, graph.variables[graph.variable_names.index(name)])

    def f(t):
        return evaluate_mp(graph, {**at, name: t}, m, base=values, changed=changed)
    return m.diff(f, at[name])
