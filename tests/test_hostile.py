"""Bad input: exit 2, exactly one line on stderr, no traceback, nothing evaluated, no hang."""

import subprocess
import sys

import pytest

import diffcli
from diffcli.core.errors import DiffcliError

BAD = [
    "__import__('os')", "().__class__", "x.real", "foo(x)", "lambda: 1", "x +", "exp(x", "2x", "x = 1",
    "True + x", "'a'*9", "9**9**9**9", "ｅｘｐ(x)", "x−1", "(" * 300 + "x" + ")" * 300,
    "__import__('os').system('touch /tmp/diffcli-pwned')", "open('/etc/passwd')", "x if x else 1",
    "x\x00", "[x]", "{x: 1}", "x @ x", "not x", "~x", "x and 1", "*x", "await x", "x[::]", "globals()",
]


@pytest.mark.parametrize("text", BAD)
def test_bad_expression(cli, text):
    code, out, err = cli("compare", text, "x=1", "--no-timing")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("diffcli: error: "), err
    assert "Traceback" not in err


@pytest.mark.parametrize("args, words", [
    (("compare", "x*y", "x=1"), "no value for variable 'y'"),
    (("compare", "x", "x=abc"), "not a known constant"),
    (("compare", "log(x)", "x=-1"), "log(x) is undefined: x = -1.0 (needs x > 0)"),
    (("compare", "x", "x=1", "--methods", "magic"), "unknown method 'magic'"),
    (("compare", "x", "x"), "NAME=VALUE"),
    (("compare", "x", "x=1", "--digits", "0"), "--digits"),
    (("compare", "x", "x=1", "--format", "yaml"), "--format"),
    (("compare", "x", "x=1", "--bogus"), "--bogus"),
    (("diff", "x**2", "--wrt", "y"), "'y' is not a variable"),
    (("diff", "x*y"), "--wrt"),
    (("frobnicate",), "frobnicate"),
])
def test_bad_usage(cli, args, words):
    code, out, err = cli(*args)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("diffcli: error: ") and words in err, err


def test_long_chain_gives_answer_or_one_line(cli):
    code, out, err = cli("compare", "+".join(["x"] * 5000), "x=1", "--methods", "reverse", "--no-timing")
    assert code in (0, 2)
    if code == 2:
        assert err.count("\n") == 1 and "program of assignments" in err
    else:
        assert "5000" in out


@pytest.mark.parametrize("literal, term", [(".5e-3", 0.0005), (".25E+2", 25.0), ("1.e-3", 0.001),
                                           ("5E-3", 0.005)])
def test_a_long_chain_keeps_the_sign_of_an_exponent(literal, term):
    """A chain over 20,000 characters is split at its top-level operators before CPython parses it; the
    sign of an exponent (.5e-3, which starts with a point) is not one of them: x + … + x (7000 terms) +
    .5e-3*x at x = 1 is 7000.0005, not 6999.0005."""
    from diffcli.core.evaluate import evaluate
    from diffcli.core.parse import parse

    text = " + ".join(["x"] * 7000) + f" + {literal}*x"
    assert len(text) > 20_000
    graph = parse(text)
    assert evaluate(graph, {"x": 1.0})[graph.output] == 7000.0 + term


def test_nothing_is_executed(tmp_path):
    target = tmp_path / "pwned"
    for text in (f"__import__('os').system('touch {target}')", f"exec('open(\"{target}\", \"w\")')"):
        with pytest.raises(DiffcliError):
            diffcli.gradient(text, {})
    assert not target.exists()


def test_api_refuses_like_the_command_line():
    with pytest.raises(DiffcliError, match="unknown function '__import__'"):
        diffcli.compare("__import__('os')", {})
    with pytest.raises(DiffcliError, match="expression must be a non-empty string, not 42"):
        diffcli.gradient(42, {})


def test_real_process_one_line_no_traceback():
    """The installed entry point, in a real process, with a hang guard (not a timing assertion)."""
    for text in ("9**9**9**9", "(" * 300 + "x" + ")" * 300, "x.real"):
        result = subprocess.run([sys.executable, "-m", "diffcli", "compare", text, "x=1"],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("diffcli: error: ")
        assert result.stdout == ""


@pytest.mark.parametrize("command", [
    ("trace",), ("graph",), ("hessian",), ("verify", "--wrt", "x", "--claim", "1"), ("diff", "--wrt", "x")])
@pytest.mark.parametrize("text", ["__import__('os').system('touch /tmp/diffcli-pwned')", "x.real",
                                  "9**9**9**9"])
def test_bad_expression_in_every_command(cli, command, text):
    code, out, err = cli(command[0], text, *command[1:], *(("x=1",) if command[0] != "diff" else ()))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("diffcli: error: ") and "Traceback" not in err


def test_hostile_claim_is_rejected(cli):
    code, out, err = cli("verify", "x", "--wrt", "x", "--claim", "open('/etc/passwd')", "x=1")
    assert code == 2 and out == "" and "unknown function 'open'" in err
