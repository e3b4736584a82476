"""The long-chain splitter builds exactly the graph CPython's parser would, on the texts that trip a scanner.

Forcing the split (CHAIN_SPLIT_CHARS = 0) on short texts CPython parses whole, the graph must be the same:
same printed structure (the printer keeps every parenthesis of the association) and the same value to the
bit.  Each text below is a case a character scanner gets wrong when one rule slips: the sign of an exponent
(``1e-3``, ``.5e-3``, ``2.5E+2``), a literal at the very start of the text, a name ending in ``e`` before a
binary minus (``te - 1`` is a subtraction, not an exponent), ``**`` and unary signs, newlines.
"""

import pytest

import diffcli.core.splitter as splitter
from diffcli.core.errors import ParseError
from diffcli.core.evaluate import evaluate
from diffcli.core.parse import parse
from diffcli.core.printing import to_text

CHAINS = [
    "1e-3 + x - 2",            # a literal with a signed exponent at index 0
    "x + 1e-3*x - 2",          # a one-digit mantissa
    "x + .5e-3*x - 2",         # a mantissa starting with '.'
    "x - 2.5E+2*x + 1",        # capital E, '+' exponent
    "x + 12e-1 - x",
    "te - 1 + te - 2",         # a name ending in e: these minus signs are binary
    "x - e1 - 1",              # a name starting with e
    "x + te-1",                # no spaces
    "x*-y + -x - -y",          # unary signs after operators
    "x ** -y - x**2 + 1",      # '**' is not a split point
    "x * y / 2 * -x / y",      # a chain of * and / alone
    "(x + y) - (x - y) + y",   # parentheses are not top level
    "x + (y -\n 1e-3) + y",    # a newline inside a part
    "z-1",                     # a one-character operand before the first operator
]


def _graph(text, monkeypatch=None, split=False, run=None):
    if split:
        monkeypatch.setattr(splitter, "CHAIN_SPLIT_CHARS", 0)
    if run:
        monkeypatch.setattr(splitter, "CHAIN_RUN", run)
    return parse(text)


def _value(graph):
    point = {name: 0.7 + 0.1 * k for k, name in enumerate(graph.variable_names)}
    return evaluate(graph, point)[graph.output]


@pytest.mark.parametrize("run", [None, 2])
@pytest.mark.parametrize("text", CHAINS)
def test_a_forced_split_builds_the_graph_python_would(monkeypatch, text, run):
    whole = parse(text)
    split = _graph(text, monkeypatch, split=True, run=run)
    assert to_text(split, split.output) == to_text(whole, whole.output)
    assert _value(split) == _value(whole)


def test_the_split_parts_of_a_chain(monkeypatch):
    # The value of each chain computed by Python itself at y = 0.7, te = 0.7, x = 0.8 (no diffcli involved).
    x, te = 0.8, 0.7
    cases = {"x + .5e-3*x - 2": x + .5e-3 * x - 2, "te - 1 + te - 2": te - 1 + te - 2,
             "1e-3 + x - 2": 1e-3 + x - 2}
    for text, expected in cases.items():
        graph = _graph(text, monkeypatch, split=True)
        assert evaluate(graph, {"x": x, "te": te})[graph.output] == expected


def test_an_operator_of_a_split_chain_is_located_at_its_own_column(monkeypatch):
    text = "x * 2 * 3 / (x - x) * 5"
    with pytest.raises(Exception) as whole:
        evaluate(parse(text), {"x": 1.0})
    graph = _graph(text, monkeypatch, split=True)
    with pytest.raises(Exception) as split:
        evaluate(graph, {"x": 1.0})
    # CPython places a binary operation where its left operand starts: column 1 for every link of a
    # left-associated chain; the split chain must say the same, not point at its operator.
    assert str(whole.value).startswith("column 1: x * 2 * 3 / (x - x) is undefined")
    assert str(split.value) == str(whole.value)


def test_a_syntax_error_in_a_split_chain_is_reported_where_python_reports_it(monkeypatch):
    text = "x + 1e-3 + (x * ) + y"
    with pytest.raises(ParseError) as whole:
        parse(text)
    monkeypatch.setattr(splitter, "CHAIN_SPLIT_CHARS", 0)
    with pytest.raises(ParseError) as split:
        parse(text)
    assert (split.value.line, split.value.column) == (whole.value.line, whole.value.column)


# (text, line, column) of the first error; each column is the 1-based position of the character named in
# the comment, counted by hand in that line of the text.
ERRORS = [
    ("(x +\n  * y)", 2, 3),                 # line 2 "  * y)": the '*'
    ("(x +\n  y ** * 2)", 2, 8),            # line 2 "  y ** * 2)": the lone '*'
    ("a = 1;   (x + * y)", 1, 15),          # the '*' after "(x + " in the second statement
    ("   x + * 2", 1, 8),                   # leading blanks count: the '*'
    ("(2x +\n y)", 1, 2),                   # the '2' of "2x"
    ("a = 2; (x +\n 2y)", 2, 2),            # line 2 " 2y)": the '2'
    ("(x +\n y) + lambda", 2, 7),           # line 2 " y) + lambda": the 'l'
    ("(lambda\n) * x", 1, 2),               # the 'l'
    ("x + \0", 1, 5),                        # the NUL character
    (") + x", 1, 1),                        # CPython's offset 1, the first character: not "ends early"
    ("   ) + x", 1, 4),                     # the same after three blanks
    ("x + 1" + "0" * 5000, 1, 5),           # a number too long for int(): where it starts
    ("x +", 1, 4),                          # just past the end
    ("   x +", 1, 7),                       # just past the end, after three blanks
    ("a = 1;   x +", 1, 13),                # just past the end of the second statement
]


@pytest.mark.parametrize("text, line, column", ERRORS)
def test_a_syntax_error_is_located_at_its_character(text, line, column):
    with pytest.raises(ParseError) as error:
        parse(text)
    assert (error.value.line, error.value.column) == (line, column), str(error.value)


@pytest.mark.parametrize("text, line, column", [
    ("(x +\n log(-x))", 2, 2),                # line 2 " log(-x))": the 'l'
    ("  (x +\n log(-x))", 2, 2),              # the same after leading blanks
    ("(log(-x) +\n x)", 1, 2),                # line 1: the 'l'
])
def test_a_domain_error_in_a_multi_line_statement_is_located_at_its_function(text, line, column):
    graph = parse(text)
    with pytest.raises(Exception) as error:
        evaluate(graph, {"x": 1.0})
    assert (error.value.line, error.value.column) == (line, column), str(error.value)
    # the text the user wrote for the failing call, found from its (line, column) span
    assert str(error.value).endswith("log(-x) is undefined: -x = -1.0 (needs -x > 0)")


def test_errors_say_what_is_wrong():
    with pytest.raises(ParseError, match="^column 4: syntax error: the expression ends too early$"):
        parse("x +")  # CPython says "invalid syntax" one past the end: that is the text ending early
    with pytest.raises(ParseError, match="unmatched"):
        parse(") + x")
    with pytest.raises(ParseError, match="a whole number of 5001 digits; at most 4300"):
        parse("x + 1" + "0" * 5000)


@pytest.mark.parametrize("text, line, column", [
    ("\nx + \x07", 2, 5),                   # line 2 "x + \a": the BEL, after a newline at index 0
    ("x^y^z + * 1", 1, 9),                  # two carets before the error: columns of the text as written
    ("x^2 + y^2 + (x * )", 1, 18),          # the ')'
])
def test_errors_after_newlines_and_carets_are_located_in_the_text_as_written(text, line, column):
    with pytest.raises(ParseError) as error:
        parse(text)
    assert (error.value.line, error.value.column) == (line, column), str(error.value)


def test_a_domain_error_after_several_carets_is_located_at_its_function():
    graph = parse("x^2 + y^2 + z^2 + log(-x)")
    with pytest.raises(Exception) as error:
        evaluate(graph, {"x": 1.0, "y": 1.0, "z": 1.0})
    assert (error.value.line, error.value.column) == (1, 19)  # the 'l' of log, counted in the text


def test_the_input_limit_holds_at_its_boundary(monkeypatch):
    import diffcli.core.parse as parsing
    from diffcli.core.errors import LimitError

    monkeypatch.setattr(parsing, "MAX_INPUT_CHARS", 9)
    assert parse("x + y + z").variable_names == ["x", "y", "z"]  # exactly 9 characters: accepted
    with pytest.raises(LimitError, match="the input has 10 characters; the limit is 9"):
        parse("x + y + zz")


def test_the_span_of_a_call_before_a_second_caret_is_the_text_as_written():
    graph = parse("x^2 + log(y - 3)^2")  # carets at 1 and 16: the call ends where the second one starts
    with pytest.raises(Exception) as error:
        evaluate(graph, {"x": 1.0, "y": 1.0})
    assert str(error.value) == "column 7: log(y - 3) is undefined: y - 3 = -2.0 (needs y - 3 > 0)"


@pytest.mark.parametrize("text, column", [
    ("   x" + "**x" * 5000, 4),                 # where the piece starts, after its blanks
    ("a = 1; b = 2;   x" + "**x" * 5000, 17),   # the third statement's first character
])
def test_too_deep_nesting_is_located_where_the_piece_starts(text, column):
    from diffcli.core.errors import LimitError

    with pytest.raises(LimitError, match="too deeply nested") as error:
        parse(text)
    assert (error.value.line, error.value.column) == (1, column)


@pytest.mark.parametrize("text, message", [
    ("x + lambda", "'lambda' is a Python keyword and cannot be a name"),  # a keyword where a name belongs
    ("lambda y", "syntax error: the expression ends too early"),       # a keyword used as one: no hint
    ("in x", "syntax error: invalid syntax"),
])
def test_a_keyword_gets_the_hint_only_where_a_name_belongs(text, message):
    with pytest.raises(ParseError) as error:
        parse(text)
    assert message in str(error.value)


def test_an_error_on_the_middle_line_of_three_is_located_there():
    with pytest.raises(ParseError) as error:
        parse("(x +\n  * y\n + 1)")  # line 2 "  * y": the '*'
    assert (error.value.line, error.value.column) == (2, 3)


def test_an_empty_point_is_no_binding():
    from diffcli.core.parse import parse_point

    assert parse_point("") == parse_point("   ") == parse_point([]) == {}


def test_nesting_limit_at_its_boundary():
    from diffcli.core.errors import LimitError
    from diffcli.core.parse import MAX_NESTING

    assert MAX_NESTING == 100
    parse("(" * 100 + "x" + ")" * 100)  # exactly the limit: accepted
    with pytest.raises(LimitError, match="^column 101: parentheses nest deeper than 100"):
        parse("(" * 101 + "x" + ")" * 101)  # the 101st '(' is where it goes too deep
