"""Choosing ids from a list the user gives (``--methods reverse,symbolic``), the same way everywhere."""

from __future__ import annotations

from typing import Iterable

from diffcli.core.errors import UsageError


def choose(given, available: Iterable[str], default: Iterable[str] | None = None, what: str = "method",
           unknown_message: str = "unknown {what} {id!r}", why=None) -> list[str]:
    """Ids from a list or a comma-separated string, in the order given, without repeats; ``None`` means
    ``default`` (all of ``available`` when that is None).  An unknown id or an empty choice is a UsageError
    listing what can be chosen: ``unknown_message`` (with ``{what}`` and ``{id}``) starts it, and ``why(id)``
    may add a reason the id is not available.

    >>> choose("b, a,b", ["a", "b", "c"])
    ['b', 'a']
    """
    available = list(available)
    if given is None:
        return list(available if default is None else default)
    if isinstance(given, str):
        given = [item.strip() for item in given.split(",") if item.strip()]
    unknown = [item for item in given if item not in available]
    if unknown or not given:
        problem = (unknown_message.format(what=what, id=unknown[0]) + (why(unknown[0]) if why else "")
                   if unknown else f"no {what} given")
        raise UsageError(f"{problem}; choose from {', '.join(available)}")
    return list(dict.fromkeys(given))
