"""More fixed cases for the methods' helper modules (poison, partials, rounding, one_rounding, fd_error,
complex_step, forward, symbolic, registry, reverse): each pins a behaviour that a mutant planted by
``tools/mutate.py`` changed and no other test noticed.

Expected values come from closed forms, mpmath called directly, or literal numbers derived in a comment;
never from the method under test.  Every test here is fast: the file runs early against those mutants.
"""

from diffcli.core.parse import parse
from diffcli.methods.partials import Undefined
from diffcli.methods.poison import poisoned_gradient

# ---------------------------------------------------------------- the poisoned loop (poison.py)

def test_a_variable_the_loop_gives_no_adjoint_has_a_zero_partial_in_the_poisoned_gradient():
    """x·0**y + (−x)**z at (2, 2, 3): the table says 0**y has partial 0 in y (0^y = 0 for every y > 0), so
    the backward loop never gives y an adjoint, and its partial is 0, not 1.  ∂f/∂x = 0**y + (−1)·z·(−x)^(z−1)
    = 0 − 3·4 = −12; ∂f/∂z needs log(−2): undefined, and only that partial."""
    x, y, z = poisoned_gradient(parse("x*0**y + (-x)**z"), [2.0, 2.0, 3.0])
    assert (x, y) == (-12.0, 0.0)
    assert isinstance(z, Undefined)
    assert z.message.startswith("no derivative: f is undefined on both sides of z = 3.0")
