"""More fixed cases of the core modules: each pins a behaviour that a mutant planted by ``tools/mutate.py``
changed and no other test noticed, with a value known from outside the code (a literal derived in a comment,
a closed form, Python's own arithmetic).

The mutation run runs this file right after each core module's first test file, so it stays fast.
"""

from diffcli.core.evaluate import forward
from diffcli.core.parse import parse

# ---------------------------------------------------------------- forward passes (evaluate)


def test_the_forward_walk_of_no_outputs_values_nothing():
    """The walk is public and takes a list of outputs, which may be empty: it then needs no node, calls
    nothing and returns no values; of the list [1] (z in x*z + 1) it returns the values up to node 1, None
    at node 0 (x, not needed)."""
    graph = parse("x*z + 1")
    calls = []

    def apply(primitive, node, args):
        calls.append(node)

    assert forward(graph, [], float, {"x": 2.0, "z": 3.0}.__getitem__, apply) == []
    assert forward(graph, [1], float, {"x": 2.0, "z": 3.0}.__getitem__, apply) == [None, 3.0]
    assert calls == []
