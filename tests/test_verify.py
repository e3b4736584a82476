"""``verify``: a right claim exits 0, a wrong one exits 1 and names the term it got wrong."""

import json

import mpmath
import pytest
from conftest import LECTURE

from diffcli.tasks.verify import verify

# The lecture's hand-derived dy/dx, term by term.
LECTURE_DYDX_TERMS = ["z*exp(x*z)", "z/log(x)", "- z/log(x)**2", "cos(log(x))/(x**2*z)",
                      "- sin(log(x))/(x**2*z)"]
LECTURE_DYDX = " + ".join(LECTURE_DYDX_TERMS).replace("+ -", "-")
DROPPED = LECTURE_DYDX.replace(" - sin(log(x))/(x**2*z)", "")

M = mpmath.MPContext()
M.dps = 40


def test_the_lecture_claim_holds(cli):
    code, out, err = cli("verify", LECTURE, "--wrt", "x", "--claim", LECTURE_DYDX, "x=2", "z=3")
    assert (code, err) == (0, "")
    assert "the claim holds at the point" in out


def test_the_lecture_claim_without_its_last_term_fails_and_names_it(cli):
    assert DROPPED != LECTURE_DYDX and "sin" not in DROPPED.split("+")[-1]
    code, out, err = cli("verify", LECTURE, "--wrt", "x", "--claim", DROPPED, "x=2", "z=3")
    assert code == 1 and err == ""
    assert "the claim is WRONG" in out
    assert "dropped the term -(sin(log(x)) / (x * z) / (x * z) * z)" in out


def test_the_named_term_is_the_missing_one():
    record = verify(LECTURE, "x", DROPPED, {"x": 2, "z": 3})
    diagnosis = record["diagnosis"]
    assert diagnosis["mistake"] == "dropped" and diagnosis["kind"] == "path"
    x, z = M.mpf(2), M.mpf(3)
    missing = -M.sin(M.log(x)) / (x ** 2 * z)  # the lecture's −sin(ln x)/(x²z)
    assert diagnosis["values"][0] == pytest.approx(float(missing), rel=1e-14, abs=0)
    assert record["points"][0]["claim"] - float(M.mpf(record["points"][0]["derivative"])) == \
        pytest.approx(float(-missing), rel=1e-9, abs=0)


def test_random_points_are_reproducible_and_inside_both_domains():
    first = verify(LECTURE, "x", DROPPED, seed=7)
    again = verify(LECTURE, "x", DROPPED, seed=7)
    other = verify(LECTURE, "x", DROPPED, seed=8)
    assert [p["point"] for p in first["points"]] == [p["point"] for p in again["points"]]
    assert [p["point"] for p in first["points"]] != [p["point"] for p in other["points"]]
    assert len(first["points"]) == 5 and all(p["point"]["x"] > 0 for p in first["points"])
    assert not first["holds"] and first["diagnosis"]["mistake"] == "dropped"
    assert verify(LECTURE, "x", LECTURE_DYDX, seed=7)["holds"]


@pytest.mark.parametrize("expression, claim, mistake, term", [
    ("x*sin(x)", "x*cos(x) - sin(x)", "sign", "sin(x)"),
    ("x*sin(x)", "x*cos(x) + 2*sin(x)", "twice", "sin(x)"),
])
def test_diagnosis_kinds(expression, claim, mistake, term):
    record = verify(expression, "x", claim)
    assert not record["holds"]
    assert (record["diagnosis"]["mistake"], record["diagnosis"]["term"]) == (mistake, term)


def test_no_diagnosis_when_no_single_mistake_explains_it(cli):
    """A claim unrelated to the derivative is not dressed up as a named mistake."""
    assert verify("exp(x**2)", "x", "1 + x")["diagnosis"] is None
    code, out, _ = cli("verify", "exp(x**2)", "--wrt", "x", "--claim", "1 + x")
    assert code == 1 and "no single mistake explains the difference" in out


@pytest.mark.parametrize("expression, claim, inner", [
    ("sin(x**2)", "cos(x**2)", "d/dx[x**2] = 2 * x"),
    ("exp(x**2)", "exp(x**2)", "d/dx[x**2] = 2 * x"),
    ("sin(x)**2", "2*sin(x)", "d/dx[sin(x)] = cos(x)"),
    ("log(1 + x**2) + x", "1/(1 + x**2) + 1", "d/dx[x**2] = 2 * x"),
])
def test_a_missing_chain_rule_factor_is_named(cli, expression, claim, inner):
    record = verify(expression, "x", claim)
    assert not record["holds"] and record["diagnosis"]["mistake"] == "missing-factor"
    assert record["diagnosis"]["message"].startswith(f"the chain-rule factor {inner} is missing")
    code, out, _ = cli("verify", expression, "--wrt", "x", "--claim", claim)
    assert code == 1 and f"{inner} is missing" in out


@pytest.mark.parametrize("claim, written", [("cos(x**2)*x", "x"), ("2*cos(x**2)", "2"),
                                            ("cos(x**2)*(2*x**2)", "2 * x**2")])
def test_a_wrong_chain_rule_factor_is_named_with_what_the_claim_wrote(claim, written):
    diagnosis = verify("sin(x**2)", "x", claim)["diagnosis"]
    assert diagnosis["mistake"] == "wrong-factor"
    wrong = f"the chain-rule factor d/dx[x**2] = 2 * x is wrong: the claim has {written} instead"
    assert diagnosis["message"].startswith(wrong)


@pytest.mark.parametrize("expression, claim, mistake, factor", [
    ("x*sin(x)", "-(sin(x) + x*cos(x))", "flipped", -1.0),
    ("sin(x**2)", "-2*x*cos(x**2)", "flipped", -1.0),
    ("x*sin(x)", "3*sin(x) + 3*x*cos(x)", "scaled", 3.0),
    ("exp(x)*x", "(exp(x) + x*exp(x))/2", "scaled", 0.5),
])
def test_sign_flips_and_constant_factors_of_the_whole_derivative(expression, claim, mistake, factor):
    diagnosis = verify(expression, "x", claim)["diagnosis"]
    assert (diagnosis["mistake"], diagnosis["factor"]) == (mistake, pytest.approx(factor, rel=1e-9, abs=0))


def test_a_constant_factor_at_one_point_is_named_only_when_it_is_a_simple_ratio():
    assert verify("x*sin(x)", "x", "3*(sin(x) + x*cos(x))", {"x": 1.0})["diagnosis"]["mistake"] == "scaled"
    assert verify("x*sin(x)", "x", "1.37*(sin(x) + x*cos(x))", {"x": 1.0})["diagnosis"] is None


def test_tolerance_decides(cli):
    code, *_ = cli("verify", "sin(x)", "--wrt", "x", "--claim", "cos(x) + 1e-12", "x=1")
    assert code == 0
    code, *_ = cli("verify", "sin(x)", "--wrt", "x", "--claim", "cos(x) + 1e-12", "x=1",
                   "--tolerance", "1e-14")
    assert code == 1


def test_zero_derivative_uses_absolute_error():
    assert verify("x**2", "x", "2*x", {"x": 0.0})["holds"]
    assert not verify("x**2", "x", "2*x + 1e-9", {"x": 0.0})["holds"]


def test_claim_undefined_at_the_point_fails():
    record = verify("sqrt(x)", "x", "1/(2*sqrt(x - 1))", {"x": 0.5})
    assert not record["holds"] and "undefined" in record["points"][0]["error"]


def test_json_record(cli):
    code, out, _ = cli("verify", "x*z", "--wrt", "z", "--claim", "x", "--format", "json", "--samples", "3")
    record = json.loads(out)
    assert code == 0 and record["holds"] and record["seed"] == 0 and len(record["points"]) == 3
    assert set(record["points"][0]) == {"point", "derivative", "claim", "abs_error", "rel_error", "holds",
                                        "error"}


@pytest.mark.parametrize("args, words", [
    (("x*z", "--wrt", "y", "--claim", "z"), "'y' is not a variable"),
    (("x*z", "--wrt", "x", "--claim", "w"), "the claim uses 'w'"),
    (("x*z", "--wrt", "x", "--claim", "z +"), "syntax error"),
    (("log(x)", "--wrt", "x", "--claim", "1/x", "x=-1"), "log(x) is undefined: x = -1.0 (needs x > 0)"),
    (("acosh(x) + acosh(-x)", "--wrt", "x", "--claim", "1"), "found no point"),
])
def test_bad_input_exits_2(cli, args, words):
    code, out, err = cli("verify", *args)
    assert code == 2 and out == "" and words in err and err.count("\n") == 1


def test_a_claim_in_one_variable_is_checked_where_another_partial_does_not_exist():
    # (-x)**z at x=2, z=3: d/dz does not exist there, d/dx = -z*(-x)**(z-1) = -12 does
    result = verify("(-x)**z", "x", "-z*(-x)**(z-1)", {"x": 2.0, "z": 3.0})
    assert result["holds"] is True
