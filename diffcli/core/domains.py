"""Domain errors in the user's words.

The primitive table states each domain in terms of its parameters (``div``: "y != 0"); a user wrote
``1/(z-3)``, not ``x / y``.  :func:`failure` words the failure of one application with the texts of its
arguments put in the parameters' place and the values they had::

    1/(z-3) is undefined: z-3 = 0.0 (needs z-3 != 0)

The texts come from the caller (:func:`diffcli.core.printing.words` gives them for a graph node: program
names, the text as written, else the printed expression); without them, the values themselves are the text
(a constant folded while parsing: ``log(-1.0) is undefined (needs -1.0 > 0)``).  Long texts are cut with an
ellipsis (:data:`SHOWN_CHARS`), so a message stays one readable line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diffcli.core.errors import cut
from diffcli.core.primitives import PARAMETERS

SHOWN_CHARS = 40
"""Longest sub-expression text a message shows; a longer one is cut and ends with '…'."""

OUTSIDE, OVERFLOW, NOT_REAL = "outside", "overflow", "not real"
"""Reasons an application fails, besides the text of an exception its evaluator raised."""

_PARAMETER = re.compile(r"\b(" + "|".join(PARAMETERS) + r")\b")


@dataclass(frozen=True)
class Words:
    """How one application reads: the whole, each argument's text, and whether each argument's value is
    worth showing (not for a number, whose text is its value)."""

    whole: str
    arguments: tuple
    shown: tuple


def shorten(text: str) -> str:
    """``text`` on one line, cut to :data:`SHOWN_CHARS` characters with an ellipsis.

    >>> shorten("exp(a) +\\n  b")
    'exp(a) + b'
    """
    return cut(" ".join(text.split()), SHOWN_CHARS)


def condition(primitive, texts) -> str:
    """The primitive's domain with each parameter replaced by its argument's text.

    >>> from diffcli.core.primitives import PRIMITIVES
    >>> condition(PRIMITIVES["div"], ["1", "z-3"])
    'z-3 != 0'
    """
    return _PARAMETER.sub(lambda match: texts[PARAMETERS.index(match.group())], primitive.domain)


def number_words(primitive, values) -> Words:
    """Words for an application to numbers: the numbers are the arguments' text."""
    texts = tuple(repr(float(v)) for v in values)
    shown = tuple(f"({t})" if t.startswith("-") else t for t in texts)
    if primitive.symbol is None:
        whole = f"{primitive.name}({', '.join(texts)})"
    elif primitive.arity == 1:
        whole = f"{primitive.symbol}{shown[0]}"
    else:
        whole = f" {primitive.symbol} ".join(shown)
    return Words(whole, texts, (False,) * len(texts))


def failure(primitive, values, reason: str, words: Words | None = None) -> str:
    """The message for ``primitive`` failing on ``values`` (floats or mpmath reals) for ``reason``:
    :data:`OUTSIDE` its domain, :data:`OVERFLOW`, :data:`NOT_REAL`, or an evaluator's error text.

    >>> from diffcli.core.primitives import PRIMITIVES
    >>> failure(PRIMITIVES["log"], [-1.0], OUTSIDE, Words("log(z)", ("z",), (True,)))
    'log(z) is undefined: z = -1.0 (needs z > 0)'
    >>> failure(PRIMITIVES["exp"], [1000.0], OVERFLOW)
    'exp(1000.0) overflows float64'
    """
    words = words or number_words(primitive, values)
    pairs = dict.fromkeys(f"{text} = {float(value)!r}"  # x**x: x once
                          for text, value, shown in zip(words.arguments, values, words.shown) if shown)
    at = (": " + ", ".join(pairs)) if pairs else ""
    if reason == OUTSIDE:
        return f"{words.whole} is undefined{at} (needs {condition(primitive, words.arguments)})"
    if reason == OVERFLOW:
        return f"{words.whole} overflows float64{at}"
    if reason == NOT_REAL:
        return f"{words.whole} has no finite real value{at}"
    return f"{words.whole} is undefined{at} ({reason})"
