"""Generated statements read back: which names each one reads and writes.

Two passes over the straight-line code of :mod:`diffcli.core.codegen` need that: :func:`reuse_names`
reassigns names as registers, and :func:`needed_lines` keeps only the statements a gradient's return reads.
They read the generated text with one regular expression rather than take a structure from the generator:
the text holds no user input, its names are all ``v<n>``, ``g<n>`` or ``d<n>`` (so the expression finds
exactly them), and the fragments of :mod:`diffcli.core.fragments` that write it are plain strings that
fold and simplify as they combine — making each carry the names it reads would put that bookkeeping in
every rewrite there, for two passes that each cost one scan of the text.
"""

from __future__ import annotations

import re

_NAME_SPLIT = re.compile(r"\b([vgd]\d+)\b")
"""The names generated code gives values (v: forward, g: adjoint, d: tangent), captured for re.split."""


def _statement(line: str):
    """A generated statement split around its names (the names at the odd places), the name it writes
    (``v3 = …`` and ``g3 += …`` write names[0]; ``return …`` writes none) and whether it binds that name
    afresh (``=``) rather than updating it (``+=``, which reads it too)."""
    parts = _NAME_SPLIT.split(line.strip())
    if parts[0]:  # ``return …``
        return parts, None, False
    return parts, parts[1], parts[2].startswith(" = ")


def reuse_names(source: str) -> str:
    r"""The generated function with its names reassigned as registers are: each value gets a name ``r<k>``
    that no live value holds, reused once its last reader has run.  A straight-line function then has as
    many locals as values live at once (a few thousand for 100,000 nodes, not 100,000), which CPython
    compiles faster and calls with a smaller frame, and on numpy arrays each dead intermediate is freed
    when its name is taken over, so memory stays warm in the cache.  The parameters keep their names.

    >>> print(reuse_names("def f(v0):\n    v1 = v0 * v0\n    v2 = sin(v1)\n    v3 = v2 + v0\n"
    ...                   "    v3 += v2\n    return (v3,)\n"), end="")
    def f(v0):
        r0 = v0 * v0
        r0 = sin(r0)
        r1 = r0 + v0
        r1 += r0
        return (r1,)
    """
    head, *body = source.rstrip("\n").split("\n")
    parameters = set(_NAME_SPLIT.findall(head))
    lines = []  # per statement: its text split around its names (names at odd places), and the target
    last: dict[str, int] = {}  # the last statement that reads each name
    for i, line in enumerate(body):
        parts, written, fresh = _statement(line)
        target = written if fresh else None
        for name in parts[3::2] if fresh else parts[1::2]:
            last[name] = i
        lines.append((parts, target))
    slot: dict[str, str] = {}
    free: list[str] = []
    out = [head]
    for i, (parts, target) in enumerate(lines):
        names = parts[1::2]
        renamed = [slot.get(name, name) for name in names]
        for name in names:  # the right-hand side is evaluated before the target is bound: its slot is free
            if last.get(name) == i and name in slot:
                free.append(slot.pop(name))
        if target is not None and target not in parameters:
            if target not in slot:
                slot[target] = free.pop() if free else f"r{len(slot) + len(free)}"
            renamed[0] = slot[target]
            if target not in last:  # never read (generated code has no such line, but it costs nothing)
                free.append(slot.pop(target))
        parts[1::2] = renamed
        out.append("    " + "".join(parts))
    return "\n".join(out) + "\n"


def needed_lines(lines: list[str]) -> list[str]:
    """The statements whose results the last one (the return) reads, directly or through others."""
    read, kept = set(), []
    for line in reversed(lines):
        parts, written, _ = _statement(line)
        if written is not None and written not in read:
            continue
        read.update(parts[1::2])
        kept.append(line)
    return kept[::-1]
