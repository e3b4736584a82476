"""Fixed tests for mistakes in the methods that ``tools/mutate.py`` planted and no other test noticed.

Each test names the behaviour it pins; its expected values come from closed forms or from counting what
the method is documented to do, never from the method's own output.
"""

import pytest

from diffcli.api import compare


@pytest.mark.parametrize("text", [
    "x*z",       # the compiled gradient runs
    "(-x)**z",   # at x=2, z=3 the compiled gradient fails (log(-2)) and the poisoned loop runs instead
])
def test_reverse_mode_costs_one_evaluation_of_f(text):
    """Reverse mode evaluates f once (the forward pass that stores every intermediate), then one backward
    pass: its row counts 1 evaluation, also where a partial has no value and the poisoned loop answers."""
    row = next(r for r in compare(text, {"x": 2.0, "z": 3.0}, timing=False)["methods"]
               if r["method"] == "reverse")
    assert row["gradient"]["x"] == (3.0 if text == "x*z" else -12.0)  # z; -z·(-x)^(z-1) = -3·4
    assert row["evaluations"] == 1
