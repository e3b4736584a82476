"""Bounds on numeric arguments, and the type checks every public function runs on its arguments.

A :class:`Bound` is defined once, as a named constant next to the code it protects (``DIGITS`` beside the
reference, ``MAX_STEPS`` beside the optimizer loop, …); the library function checks its argument with it
(naming the argument as Python spells it, ``digits``) and the command line checks the option with the same
constant when it reads it (naming ``--digits``), so neither declares the numbers a second time.  The
README's table of bounds says each one and why.

Every check raises :class:`~diffcli.core.errors.UsageError` naming the argument, for a wrong type as for a
wrong value: the Python API refuses what the command line refuses, never with a TypeError, a ValueError or
an OverflowError, and never accepting a wrong value silently (``"2"`` is not a number here).

>>> DIGITS_EXAMPLE = Bound(1, 1000, "the reference's cost grows like digits²")
>>> DIGITS_EXAMPLE.check(50, "digits")
50
>>> DIGITS_EXAMPLE.check("50", "digits")
Traceback (most recent call last):
...
diffcli.core.errors.UsageError: digits must be a whole number, not '50' (str)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

from diffcli.core.errors import UsageError

LARGEST = 1e300
"""The largest magnitude a real-valued option may have: a little room below float overflow (1.8e308), so
that a difference or a product of two such values does not overflow at once."""


@dataclass(frozen=True)
class Bound:
    """The range ``low ≤ value ≤ high`` of a numeric argument (``high`` excluded with ``below``), whether
    it is a whole number, and why the range is what it is (the README's table says it too)."""

    low: float
    high: float
    why: str
    whole: bool = True
    below: bool = False

    def check(self, value, name: str):
        """``value`` (an int for a whole-number bound, else a float) when it is inside the bound; otherwise
        a UsageError naming ``name``."""
        value = whole(value, name) if self.whole else real(value, name)
        inside = self.low <= value and (value < self.high if self.below else value <= self.high)
        if not inside:
            kind = "a whole number" if self.whole else "a number"
            upper = f"below {_shown(self.high)}" if self.below else f"at most {_shown(self.high)}"
            raise UsageError(f"{name} must be {kind} of at least {_shown(self.low)} and {upper} "
                             f"({self.why}), not {_shown(value)}")
        return value


def _shown(value) -> str:
    if isinstance(value, int):
        return f"{value:,}" if abs(value) < 10**18 else f"a number of {len(str(abs(value)))} digits"
    return f"{value:g}"


def whole(value, name: str) -> int:
    """``value`` as an int: an int (or numpy integer), never a bool, a float or a string."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise UsageError(f"{name} must be a whole number, not {_brief(value)}")
    return int(value)


def real(value, name: str) -> float:
    """``value`` as a finite float: an int or a float (numpy's too), never a bool, a complex or a string."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise UsageError(f"{name} must be a real number, not {_brief(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise UsageError(f"{name} is too large for a float ({len(str(int(value)))} digits)") from None
    if not math.isfinite(number):
        raise UsageError(f"{name} must be a finite number, not {number!r}")
    return number


def flag(value, name: str) -> bool:
    """``value`` when it is a bool (True or False, not 1 or 'yes')."""
    if not isinstance(value, bool):
        raise UsageError(f"{name} must be True or False, not {_brief(value)}")
    return value


def text(value, name: str, empty: bool = False) -> str:
    """``value`` when it is a string (non-empty unless ``empty``)."""
    if not isinstance(value, str) or not (empty or value.strip()):
        raise UsageError(f"{name} must be a {'' if empty else 'non-empty '}string, not {_brief(value)}")
    return value


def expression(value, name: str = "expression"):
    """An expression argument: its text, or a parsed Graph (left to :func:`~diffcli.core.parse.as_graph`)."""
    from diffcli.core.graph import Graph

    return value if isinstance(value, Graph) else text(value, name)


def names(value, name: str) -> list[str]:
    """Variable names from ``"x,z"`` or a list/tuple of strings (not a dict, a number or None)."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    if not isinstance(value, (list, tuple)) or not value or \
            not all(isinstance(item, str) and item.strip().isidentifier() for item in value):
        raise UsageError(f"{name} must be a variable name or a comma-separated list of names "
                         f"(or a list of them), not {_brief(value)}")
    return [item.strip() for item in value]


def point(value, name: str = "point") -> dict:
    """A point ``{variable: number}`` with float values; values given as text (``"2"``), complex numbers,
    None, lists and integers too large for a float are refused, naming the variable."""
    if not isinstance(value, Mapping):
        raise UsageError(f"{name} must be a dict of variable names to numbers, not {_brief(value)}")
    checked = {}
    for key, number in value.items():
        if not isinstance(key, str):
            raise UsageError(f"{name} must have variable names as keys, not {_brief(key)}")
        if isinstance(number, bool) or not isinstance(number, numbers.Real):
            raise UsageError(f"{name}[{key!r}] must be a real number, not {_brief(number)}")
        try:
            checked[key] = float(number)
        except OverflowError:
            raise UsageError(f"{name}[{key!r}] is too large for a float") from None
    return checked


def _brief(value) -> str:
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return f"{shown} ({type(value).__name__})"


SEED = Bound(0, 2**32 - 1, "a seed of numpy's generator; more bits give no more distinct draws here")
"""Seeds of the random draws (``--seed`` of ``verify`` and ``optimize``)."""
