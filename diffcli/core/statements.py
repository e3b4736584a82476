"""Generated statements read back: which names each one reads and writes.

Three passes over the straight-line code of :mod:`diffcli.core.codegen` need that: :func:`reuse_names`
reassigns names as registers, :func:`needed_lines` keeps only the statements a gradient's return reads, and
:func:`in_parts` cuts a long function into parts that CPython compiles one at a time.
They read the generated text with one regular expression rather than take a structure from the generator:
the text holds no user input, its names are all ``v<n>``, ``g<n>`` or ``d<n>`` (so the expression finds
exactly them), and the fragments of :mod:`diffcli.core.fragments` that write it are plain strings that
fold and simplify as they combine — making each carry the names it reads would put that bookkeeping in
every rewrite there, for passes that each cost one scan of the text.
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
                slot[target] = free.pop() if free else f"r{len(slot)}"
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


def in_parts(source: str, size: int) -> list[str]:
    r"""The generated function as sources to compile one by one into one namespace: ``[source]`` itself up to
    ``size`` statements; beyond, parts of at most ``size`` statements each, ``<name>_part<k>``, and the
    function ``<name>`` calling them in turn.  A part takes the values it reads that earlier parts computed
    and returns those it computes that later parts read; the statements themselves are unchanged, and the
    function lets go of a value once no later part reads it.  CPython's compiler holds a whole function's
    syntax tree at once, about 60 bytes per character of source (a 3.8 MB gradient took 240 MB).

    >>> print("".join(in_parts("def f(v0):\n    v1 = v0 * v0\n    v2 = sin(v1)\n    v3 = v2 + v0\n"
    ...                            "    return (v3,)\n", 2)), end="")
    def f(v0):
        v2, = f_part0(v0)
        return f_part1(v2, v0)
    def f_part0(v0):
        v1 = v0 * v0
        v2 = sin(v1)
        return (v2, )
    def f_part1(v2, v0):
        v3 = v2 + v0
        return (v3,)
    """
    head, *body = source.rstrip("\n").split("\n")
    if len(body) <= size:
        return [source]
    name = head[4:head.index("(")]
    chunks = [body[i:i + size] for i in range(0, len(body), size)]
    # Each name is bound once (``v3 = …``) and may then be updated (``g3 += …``, which reads it too), so a
    # part's names, in order, are what it reads from earlier parts (those bound before it) and what later
    # parts read from it (those it binds that appear later): one scan of each part's text.
    names = [list(dict.fromkeys(_NAME_SPLIT.findall("\n".join(chunk)))) for chunk in chunks]
    writes = [{line.split(None, 1)[0] for line in chunk} for chunk in chunks]
    later: set[str] = set()
    outs = []
    for k in range(len(chunks) - 1, -1, -1):
        outs.append([value for value in names[k] if value in writes[k] and value in later])
        later.update(names[k])
    outs.reverse()
    known = set(_NAME_SPLIT.findall(head))
    ins = []
    for k in range(len(chunks)):
        ins.append([value for value in names[k] if value in known])
        known.update(writes[k])
    last = {value: k for k in range(len(chunks)) for value in ins[k]}
    driver, sources = [head], []
    for k, chunk in enumerate(chunks):
        call = f"{name}_part{k}({', '.join(ins[k])})"
        returned = "".join(value + ", " for value in outs[k])  # a tuple's items, even of one
        if k == len(chunks) - 1:
            driver.append(f"    return {call}")
            sources.append(f"def {name}_part{k}({', '.join(ins[k])}):\n" + "\n".join(chunk) + "\n")
            break
        driver.append(f"    {returned}= {call}" if returned else f"    {call}")
        done = [value for value in ins[k] if last[value] == k]  # a value returned is read later
        if done:
            driver.append(f"    del {', '.join(done)}")
        sources.append(f"def {name}_part{k}({', '.join(ins[k])}):\n" + "\n".join(chunk)
                       + f"\n    return ({returned})\n")
    return ["\n".join(driver) + "\n", *sources]
