"""Fixed cases of the core modules: each pins one behaviour at its boundary with a value known from outside
the code (a literal message, a count done by hand in a comment, a closed form, Python's own arithmetic).

The mutation run (tools/mutate.py) runs this file first against the mutants of printing, splitter, parse,
whitelist, graph, chain, derivation, errors, bounds, choices, evaluate, codegen, fragments, statements,
memory and lazy, so it stays fast (a few seconds for the whole file).
"""

import math

import pytest

from diffcli.core.bounds import SEED, Bound, expression, flag, names, point, real, text, whole
from diffcli.core.choices import choose, did_you_mean
from diffcli.core.errors import DiffcliError, ParseError, UsageError, cut
from diffcli.core.lazy import LazyNumpy

# ---------------------------------------------------------------- bounds


def _usage(call, *args, **kwargs) -> str:
    with pytest.raises(UsageError) as error:
        call(*args, **kwargs)
    return str(error.value)


def test_a_bound_holds_at_both_ends_and_not_past_them():
    bound = Bound(2, 5, "why")
    assert bound.check(2, "n") == 2 and bound.check(5, "n") == 5
    assert _usage(bound.check, 1, "n") == "n must be a whole number of at least 2 and at most 5 (why), not 1"
    assert _usage(bound.check, 6, "n") == "n must be a whole number of at least 2 and at most 5 (why), not 6"


def test_a_bound_with_its_high_end_excluded():
    bound = Bound(0.5, 2.0, "why", whole=False, below=True)
    assert bound.check(0.5, "h") == 0.5 and bound.check(1.9375, "h") == 1.9375
    assert _usage(bound.check, 2.0, "h") == "h must be a number of at least 0.5 and below 2 (why), not 2"
    assert _usage(bound.check, 0.25, "h") == "h must be a number of at least 0.5 and below 2 (why), not 0.25"
    assert isinstance(bound.check(1, "h"), float)


def test_the_seed_bound_is_numpys_32_bits():
    assert SEED.check(0, "seed") == 0 and SEED.check(4294967295, "seed") == 4294967295  # 2**32 - 1
    assert _usage(SEED.check, 4294967296, "seed").endswith("not 4,294,967,296")
    assert _usage(SEED.check, -1, "seed").startswith("seed must be a whole number of at least 0 and at most "
                                                     "4,294,967,295 (")


def test_huge_whole_numbers_are_shown_by_their_digit_count():
    bound = Bound(0, 10, "why")
    assert _usage(bound.check, 10**18 - 1, "n").endswith("not 999,999,999,999,999,999")
    assert _usage(bound.check, 10**18, "n").endswith("not a number of 19 digits")
    assert _usage(bound.check, -(10**20), "n").endswith("not a number of 21 digits")  # the sign is no digit
    assert _usage(bound.check, 1000, "n").endswith("not 1,000")


def test_whole_and_real_refuse_what_is_not_their_kind():
    assert whole(7, "n") == 7
    assert _usage(whole, True, "n") == "n must be a whole number, not True (bool)"
    assert _usage(whole, 2.0, "n") == "n must be a whole number, not 2.0 (float)"
    assert real(3, "x") == 3.0 and type(real(3, "x")) is float
    assert _usage(real, False, "x") == "x must be a real number, not False (bool)"
    assert _usage(real, 1j, "x") == "x must be a real number, not 1j (complex)"
    assert _usage(real, 10**400, "x") == "x is too large for a float (401 digits)"
    assert _usage(real, math.inf, "x") == "x must be a finite number, not inf"
    assert real(-1e300, "x") == -1e300


def test_flags_text_and_expressions():
    assert flag(False, "f") is False and flag(True, "f") is True
    assert _usage(flag, 1, "f") == "f must be True or False, not 1 (int)"
    assert text("x", "e") == "x" and text(" ", "e", empty=True) == " "
    assert _usage(text, " ", "e") == "e must be a non-empty string, not ' ' (str)"
    assert _usage(text, 3, "e", empty=True) == "e must be a string, not 3 (int)"
    assert expression("x + 1") == "x + 1"
    from diffcli.core.parse import parse

    graph = parse("x")
    assert expression(graph) is graph


def test_names_from_text_or_a_list():
    assert names(" x, z ", "wrt") == ["x", "z"] and names(("y",), "wrt") == ["y"]
    message = "wrt must be a variable name or a comma-separated list of names (or a list of them), not "
    assert _usage(names, [], "wrt") == message + "[] (list)"
    assert _usage(names, {"x": 1}, "wrt") == message + "{'x': 1} (dict)"
    assert _usage(names, ["x", 2], "wrt") == message + "['x', 2] (list)"
    assert _usage(names, "x,1y", "wrt") == message + "['x', '1y'] (list)"


def test_a_point_is_a_dict_of_names_to_floats():
    checked = point({"x": 2, "y": 0.5})
    assert checked == {"x": 2.0, "y": 0.5} and type(checked["x"]) is float
    assert _usage(point, [("x", 1.0)]) == "point must be a dict of variable names to numbers, not " \
                                          "[('x', 1.0)] (list)"
    assert _usage(point, {1: 2.0}) == "point must have variable names as keys, not 1 (int)"
    assert _usage(point, {"x": True}) == "point['x'] must be a real number, not True (bool)"
    assert _usage(point, {"x": "2"}) == "point['x'] must be a real number, not '2' (str)"
    assert _usage(point, {"x": 10**400}) == "point['x'] is too large for a float"


def test_a_long_value_is_cut_to_forty_characters_in_a_message():
    forty = "a" * 38  # repr adds two quotes: 40 characters, shown whole
    assert _usage(flag, forty, "f") == f"f must be True or False, not '{forty}' (str)"
    longer = "a" * 39  # 41 characters: the first 37, then "..."
    assert _usage(flag, longer, "f") == f"f must be True or False, not '{'a' * 36}... (str)"


# ---------------------------------------------------------------- choices


def test_choose_reads_a_list_or_text_in_the_order_given():
    assert choose(None, ["a", "b"]) == ["a", "b"]
    assert choose(None, ["a", "b"], default=["b"]) == ["b"]
    assert choose("b, a,b", ["a", "b", "c"]) == ["b", "a"]
    assert choose(["c"], ("a", "b", "c")) == ["c"]


def test_choose_refuses_with_the_choices_and_a_near_miss():
    available = ["reverse", "symbolic"]
    assert _usage(choose, "revers", available) == \
        "unknown method 'revers' (did you mean 'reverse'?); choose from reverse, symbolic"
    assert _usage(choose, "zz,revers", available) == "unknown method 'zz'; choose from reverse, symbolic"
    assert _usage(choose, ["revers", "zz"], available) == \
        "unknown method 'revers' (did you mean 'reverse'?); choose from reverse, symbolic"
    assert _usage(choose, " , ", available, what="format") == "no format given; choose from reverse, symbolic"
    assert _usage(choose, 5, available) == "methods must be a comma-separated string or a list of ids, not 5"
    assert _usage(choose, ["reverse", 5], available) == \
        "methods must be a comma-separated string or a list of ids, not ['reverse', 5]"


def test_choose_gives_the_reason_an_id_is_not_available_instead_of_a_near_miss():
    def why(method):
        return f" ({method} needs numpy)"

    available = ["reverse", "symbolic"]
    assert _usage(choose, ["revers", "zz"], available, why=why) == \
        "unknown method 'revers' (revers needs numpy); choose from reverse, symbolic"
    assert _usage(choose, "revers", available, why=lambda method: "") == \
        "unknown method 'revers' (did you mean 'reverse'?); choose from reverse, symbolic"
    assert _usage(choose, "", available, why=why) == "no method given; choose from reverse, symbolic"
    assert _usage(choose, "zz", available, unknown_message="no {what} called {id}") == \
        "no method called zz; choose from reverse, symbolic"


def test_did_you_mean():
    assert did_you_mean("symbolc", ["reverse", "symbolic"]) == " (did you mean 'symbolic'?)"
    assert did_you_mean("zzz", ["reverse"]) == ""


# ---------------------------------------------------------------- lazy numpy


def test_lazy_numpy_imports_on_first_use():
    import numpy

    namespace = {"np": None}
    lazy = LazyNumpy(namespace)
    assert lazy.pi == numpy.pi and namespace["np"] is numpy
    functions = LazyNumpy()
    hypot = functions.hypot
    assert hypot(3.0, 4.0) == 5.0 and hypot(5.0, 12.0) == 13.0
    assert functions.hypot is hypot and hypot.__name__ == "numpy.hypot"
    assert LazyNumpy().sqrt(6.25) == 2.5
    with pytest.raises(AttributeError):
        functions.__wrapped__  # noqa: B018


# ---------------------------------------------------------------- errors


def test_an_error_names_its_line_only_in_a_text_of_several_lines():
    assert str(DiffcliError("bad", column=3, text="x +\n", line=1)) == "column 3: bad"
    assert str(DiffcliError("bad", column=3, text="x\n+ y", line=2)) == "line 2, column 3: bad"
    assert str(DiffcliError("bad", column=3, text="x\n+ y")) == "column 3: bad"
    assert str(DiffcliError("bad", column=3)) == "column 3: bad"
    assert str(DiffcliError("bad", text="x\n+ y", line=2)) == "bad"
    error = ParseError.at("oops", "a\nbc", (2, 1))
    assert (error.line, error.column, error.text, error.message) == (2, 1, "a\nbc", "oops")


def test_the_caret_stands_under_its_column_on_its_line():
    assert DiffcliError("e", column=2, text="ab\ncd\nef", line=2).caret() == ["  cd", "   ^"]
    assert DiffcliError("e", column=1, text="ab\ncd\nef").caret() == ["  ab", "  ^"]  # no line: the first
    assert DiffcliError("e", column=1, text="ab\ncd\nef", line=3).caret() == ["  ef", "  ^"]
    assert DiffcliError("e", column=2, text="ab\ncd\nef", line=5).caret() == ["  ef", "   ^"]  # past the end
    assert DiffcliError("e", text="ab").caret() == [] and DiffcliError("e", column=1).caret() == []


def test_the_caret_window_of_a_long_line_at_its_boundary():
    digits = "0123456789" * 30
    line = digits[:200]  # exactly 200 characters: shown whole
    assert DiffcliError("e", column=150, text=line).caret() == ["  " + line, "  " + " " * 149 + "^"]
    longer = digits[:201]  # 201: a window of 200 starting 100 before the column
    shown, caret = DiffcliError("e", column=150, text=longer).caret()
    assert shown == "  " + longer[50:201] and caret == "  " + " " * 99 + "^"
    shown, caret = DiffcliError("e", column=30, text=digits).caret()  # near the start: from the start
    assert shown == "  " + digits[:200] and caret == "  " + " " * 29 + "^"
    shown, caret = DiffcliError("e", column=101, text=digits).caret()  # starts at the line's 2nd character
    assert shown == "  " + digits[1:201] and caret == "  " + " " * 99 + "^"


def test_cut_keeps_text_of_its_width_and_ends_longer_text_with_an_ellipsis():
    assert cut("abcdef", 6) == "abcdef"
    assert cut("abcdefg", 6) == "abcde…"
    assert len(cut("x" * 100, 41)) == 41
