"""Choosing ids from a list the user gives (``--methods reverse,symbolic``), the same way everywhere."""

from __future__ import annotations

import difflib
from typing import Iterable

from diffcli.core.errors import UsageError


def did_you_mean(given: str, available: Iterable[str]) -> str:
    """``" (did you mean 'reverse'?)"`` when ``given`` is a near miss of one of ``available``, else ``""``.

    >>> did_you_mean("revers", ["reverse", "symbolic"])
    " (did you mean 'reverse'?)"
    >>> did_you_mean("zzz", ["reverse"])
    ''
    """
    close = difflib.get_close_matches(given, list(available), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def choose(given, available: Iterable[str], default: Iterable[str] | None = None, what: str = "method",
           unknown_message: str = "unknown {what} {id!r}", why=None) -> list[str]:
    """Ids from a list or a comma-separated string, in the order given, without repeats; ``None`` means
    ``default`` (all of ``available`` when that is None).  An unknown id or an empty choice is a UsageError
    listing what can be chosen: ``unknown_message`` (with ``{what}`` and ``{id}``) starts it, ``why(id)``
    may add a reason the id is not available, and a near miss gets a did-you-mean.

    >>> choose("b, a,b", ["a", "b", "c"])
    ['b', 'a']
    """
    available = list(available)
    if given is None:
        return list(available if default is None else default)
    if isinstance(given, str):
        given = [item.strip() for item in given.split(",") if item.strip()]
    if not isinstance(given, (list, tuple)) or not all(isinstance(item, str) for item in given):
        raise UsageError(f"{what}s must be a comma-separated string or a list of ids, not {given!r:.60}")
    unknown = [item for item in given if item not in available]
    if unknown or not given:
        reason = why(unknown[0]) if why and unknown else ""
        hint = did_you_mean(unknown[0], available) if unknown and not reason else ""
        problem = (unknown_message.format(what=what, id=unknown[0]) + reason + hint
                   if unknown else f"no {what} given")
        raise UsageError(f"{problem}; choose from {', '.join(available)}")
    return list(dict.fromkeys(given))
