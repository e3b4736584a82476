"""What the failing coordinates of a ``gradcheck`` have in common, in the words ``verify`` uses for
expressions: the gradient of an input scaled by one factor (its sign flipped, for −1), a matrix gradient
transposed, a single coordinate wrong, a wrong branch (several coordinates, only where the input is ≤ 0),
one row or one column wrong, the right values in the wrong places, the right total spread wrongly (a sum
over the wrong axis), every coordinate off by a varying factor (a chain-rule factor?); otherwise how many
fail.  One sentence per input with a failure, worst input first.

A pattern is named only when every checked coordinate of the input that it covers agrees with it within
that coordinate's own bound (see :mod:`diffcli.tasks.gradcheck`), and — for the patterns of a whole input
(scaled, transposed, a row, a column) — when every coordinate of that input was checked.
"""

from __future__ import annotations

import math

from diffcli.core.lazy import LazyNumpy
from diffcli.tasks.mistakes import short_fraction

np = LazyNumpy(globals())

SIMPLE = 8
"""A factor shown as a fraction p/q when it is one with |p|, q at most this (``scaled by 1/2``)."""


def worst_first(rows: list) -> list:
    """Rows ordered failures first (largest difference in units of the allowed bound first), then the
    undecided, then the passes in their order."""
    def key(row):
        rank = {"fail": 0, "undecided": 1, "pass": 2}[row["status"]]
        excess = row["difference"] / row["allowed"] if row["allowed"] > 0 else math.inf
        return rank, -excess if rank == 0 else 0.0
    return sorted(rows, key=key)


def factor_text(r: float) -> str:
    """``2/3``, ``-1``, ``1.0001``: a factor as a short fraction when it is one."""
    simple = short_fraction(r, SIMPLE, 1e-9 * abs(r))
    return f"{r:.6g}" if simple is None else str(simple)


def name(rows: list, directional: list, inputs, x) -> list[dict]:
    """The patterns of one point's failures, worst input first (see the module docstring)."""
    by_input: dict = {}
    for row in worst_first(rows):
        by_input.setdefault(row["input"], []).append(row)
    found = []
    for label, group in by_input.items():
        failing = [r for r in group if r["status"] == "fail"]
        if failing:
            found.append(_pattern(label, group, failing, inputs))
    failed_directions = [r for r in directional if r["status"] == "fail"]
    if failed_directions and not found:
        found.append({"input": None, "pattern": "directions", "worst": _worst(failed_directions[0]),
                      "failed": len(failed_directions), "checked": len(directional),
                      "message": f"{len(failed_directions)} of {len(directional)} random directions fail "
                                 "although no sampled coordinate does: the error is in coordinates outside "
                                 "the sample, or spread thinly over many (check every one with a larger "
                                 "--max-coordinates)"})
    return found


def _pattern(label: str, group: list, failing: list, inputs) -> dict:
    """``{"input", "pattern", "message", "worst"}``: the pattern's kind, its sentence, the worst failure."""
    start, shape = inputs.input_of(label)
    complete = len(group) == math.prod(shape)
    ratio = _common_ratio(failing)
    found = {"input": label, "worst": _worst(failing[0]), "failed": len(failing), "checked": len(group)}
    if complete and ratio is not None and all(
            abs(r["gradient"] - ratio * r["estimate"]) <= r["allowed"] * max(1.0, abs(ratio)) for r in group):
        if ratio == -1.0:
            return {**found, "pattern": "sign", "message": f"the gradient of {label} has its sign flipped"}
        return {**found, "pattern": "scaled", "factor": ratio,
                "message": f"the gradient of {label} is scaled by {factor_text(ratio)}"}
    if complete and len(shape) == 2 and shape[0] == shape[1] and _transposed(group, shape):
        return {**found, "pattern": "transposed", "message": f"the gradient of {label} is transposed"}
    if len(failing) == 1:
        word = "has its sign flipped" if ratio == -1.0 else \
            f"is scaled by {factor_text(ratio)}" if ratio else "is wrong"
        return {**found, "pattern": "one", "message": f"only {failing[0]['coordinate']} {word}"}
    if len(failing) > 1 and all(r["x"] is not None and r["x"] <= 0 for r in failing) and \
            any(r["x"] > 0 for r in group if r["status"] == "pass"):
        return {**found, "pattern": "branch",
                "message": f"the gradient of {label} is wrong only where {label} ≤ 0 (a wrong branch?)"}
    if complete and len(shape) == 2:
        for axis, word in ((0, "row"), (1, "column")):
            lines = {r["index"][axis] for r in failing}
            if len(lines) == 1:
                return {**found, "pattern": word, "message": f"only {word} {lines.pop()} of {label} is wrong"}
    if complete:
        shuffled = _shuffled(label, group)
        if shuffled:
            return {**found, **shuffled}
    if len(failing) == len(group) > 1:
        ratios = [r["gradient"] / r["estimate"] for r in failing if r["estimate"] != 0]
        if ratios:
            return {**found, "pattern": "factor",
                    "message": f"the gradient of {label} is wrong at every coordinate, off by a factor that "
                               f"varies from {min(ratios):.3g} to {max(ratios):.3g} (a missing or extra "
                               "chain-rule factor?)"}
    return {**found, "pattern": "some", "message": f"the gradient of {label} is wrong at {len(failing)} of "
                                                   f"{len(group)} checked coordinates"}


def _worst(row: dict) -> str:
    head = f"{row['coordinate']}: "
    return (f"{head}gradient {row['gradient']:.6g}, finite differences {row['estimate']:.6g} "
            f"(allowed ± {row['allowed']:.2g})")


def _common_ratio(failing: list) -> float | None:
    """The one factor r with g = r·d at every failing coordinate (within each one's bound), or None."""
    if any(r["estimate"] == 0 for r in failing):
        return None
    ratios = sorted(r["gradient"] / r["estimate"] for r in failing)
    r = ratios[len(ratios) // 2]
    if all(abs(w["gradient"] - r * w["estimate"]) <= w["allowed"] * max(1.0, abs(r)) for w in failing):
        simple = short_fraction(r, SIMPLE, max(w["allowed"] / abs(w["estimate"]) for w in failing))
        return r if simple is None else float(simple)
    return None


def _shuffled(label: str, group: list) -> dict | None:
    """The right numbers in the wrong places (the sorted values agree), or the right total spread wrongly
    over the coordinates (a reduction over the wrong axis keeps the sum): a pattern, or None."""
    slack = sum(r["allowed"] for r in group)
    gradient = sorted(r["gradient"] for r in group)
    estimate = sorted(r["estimate"] for r in group)
    if all(abs(a - b) <= slack for a, b in zip(gradient, estimate)):
        return {"pattern": "permuted",
                "message": f"the gradient of {label} has the right values in the wrong places (permuted?)"}
    total = abs(sum(gradient) - sum(estimate))
    if total <= slack and sum(abs(v) for v in estimate) > 1000 * slack:
        return {"pattern": "spread", "message": f"the gradient of {label} adds up to the right total but is "
                                                "spread wrongly over its coordinates (summed over the wrong "
                                                "axis?)"}
    return None


def _transposed(group: list, shape: tuple) -> bool:
    """Whether the gradient is the transpose of the finite differences, coordinate by coordinate."""
    estimate = np.empty(shape)
    for row in group:
        estimate[tuple(row["index"])] = row["estimate"]
    return all(abs(row["gradient"] - estimate[tuple(row["index"][::-1])]) <= row["allowed"] for row in group)


def merged(points: list) -> list[dict]:
    """The patterns of every point, one per input and kind and message, with the points they were seen at
    (worst first: the order of the first point that shows each)."""
    found: dict = {}
    for point in points:
        for pattern in point["patterns"]:
            key = (pattern["input"], pattern["pattern"], pattern["message"])
            entry = found.setdefault(key, {**pattern, "points": []})
            entry["points"].append(point["point"])
    return list(found.values())
