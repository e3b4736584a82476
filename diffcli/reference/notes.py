"""The words of a reference's answers it cannot give: why a partial has no reference, and the note on the
quantities that cancel beyond the largest working precision (shown as 0 within a bound where the run
computed them within it of 0, refused otherwise)."""

from __future__ import annotations

from diffcli.core.errors import PrecisionError


def unsettled_reason(name: str, value: float, side, kinked: list, growing: bool) -> str:
    """Why the two runs of ∂f/∂name agree on no digit: an edge of f's domain where the one-sided slope
    grows without bound as the step shrinks (or settles too slowly), a kink, or (neither seen) not
    differentiable or too ill-conditioned."""
    if side is not None and growing:
        return (f"∂f/∂{name} does not exist: {side.message(name, value)} and the one-sided slope at "
                f"{value!r} grows without bound")
    if side is not None:
        return (f"no reference for ∂f/∂{name}: {side.message(name, value)} and the one-sided slope at "
                f"{value!r} changes with the step too slowly to settle (like t^a with 1 < a < 1.5)")
    if kinked:
        return (f"no reference for ∂f/∂{name}: f has a kink here, where it is not differentiable "
                f"({'; '.join(kinked)})")
    return (f"no reference for ∂f/∂{name}: f is not differentiable here in {name}, or too ill-conditioned "
            "(two working precisions do not agree on a single digit)")


def unknown_note(result, unknown: dict) -> str:
    """The note on the quantities of ``unknown`` (``"value"`` or a variable's name → its ``Loss``), each
    set to 0 in ``result`` (a ``Reference``): their digits are unknown, 0 within the loss's bound."""
    m = result.context
    shown = []
    for q, loss in unknown.items():
        if q == "value":
            result.value = m.zero
        else:
            result.gradient[q] = m.zero
        label = "f" if q == "value" else f"∂f/∂{q}"
        shown.append(f"{label} is 0 within ±{m.nstr(loss.bound, 2)}")
    return ("cancellation beyond the largest working precision: " + ", ".join(shown)
            + "; shown as 0, its digits are unknown")


def refuse_unknown(result, unknown: dict) -> dict:
    """The quantities of ``unknown`` (no digit known past the largest precision) that ``result`` (a
    ``Reference``) may show as 0 within their bound: those the run computed within that bound of 0
    (``Loss.zero``).  Each of the others is refused, never shown as 0: a partial gets an error in
    ``result.errors``, f's value refuses the whole reference."""
    for q in [q for q, loss in unknown.items() if not loss.zero and q not in result.errors]:
        if q == "value":
            raise PrecisionError("no reference: f cancels beyond the largest working precision here, so its "
                                 "digits are unknown")
        result.errors[q] = (f"no reference for ∂f/∂{q}: it cancels beyond the largest working precision "
                            "here, so its digits are unknown")
    return {q: loss for q, loss in unknown.items() if loss.zero}
