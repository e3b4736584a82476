"""More fixed cases of the core modules: each pins a behaviour that a mutant planted by ``tools/mutate.py``
changed and no other test noticed, with a value known from outside the code (a literal derived in a comment,
a closed form, Python's own arithmetic).

The mutation run runs this file right after each core module's first test file, so it stays fast.
"""

import pytest

from diffcli.core.evaluate import forward
from diffcli.core.parse import parse
from diffcli.core.primitives import PRIMITIVES

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
    # from a base (every node's value at another point, all changed): still nothing
    assert forward(graph, [], float, {"x": 2.0, "z": 3.0}.__getitem__, apply,
                   base=[2.0, 3.0, 1.0, 6.0, 7.0], changed=[True] * 5) == []
    assert calls == []


def test_a_forward_walk_gives_apply_the_entry_each_node_applies():
    """x**0 (a constant exponent) is pow's constant form, 1 for every x, 0 included; the general pow has
    0**0 undefined.  The walk hands apply the node's entry, so every pass over f (floats, tracked numbers,
    dual numbers, the estimates' walks) computes what f computes without choosing it itself."""
    graph = parse("x**0 + x")
    given = []

    def apply(primitive, node, args):
        given.append(primitive)
        return primitive.real(*args)
    assert forward(graph, graph.output, float, {"x": 0.0}.__getitem__, apply)[graph.output] == 1.0
    assert given[0] is PRIMITIVES["pow"].constant[1] and given[1] is PRIMITIVES["add"]


def test_a_forward_walk_from_a_base_keeps_what_did_not_move_and_values_nothing_unneeded():
    """x*z + 1 is x, z, 1.0, x*z, the sum.  From its values at (2, 3) with z moved to 5 (z, x*z and the sum
    changed), the walk to x*z keeps x = 2 from the base, walks z = 5 and x*z = 2·5 = 10, and leaves the
    constant, which x*z does not need, at None (not the base's 1.0)."""
    graph = parse("x*z + 1")
    values = forward(graph, [3], float, {"x": 2.0, "z": 5.0}.__getitem__,
                     lambda primitive, node, args: primitive.real(*args),
                     base=[2.0, 3.0, 1.0, 6.0, 7.0], changed=[False, True, False, True, True])
    assert values == [2.0, 5.0, None, 10.0]


def test_a_complex_step_value_with_an_infinite_or_nan_imaginary_part_is_refused():
    """A complex step's values may be mpc, but only finite ones: 1 + i·inf or 1 + i·nan moved into x + 1 is
    refused as a value of x + 1 with no finite real value, as an infinite real part is."""
    import mpmath

    from diffcli.core.errors import DomainError
    from diffcli.core.evaluate import evaluate_mp

    m = mpmath.MPContext()
    m.dps = 30
    assert evaluate_mp(parse("x + 1"), {"x": m.mpc(1, 2)}, m, complex_step=True) == m.mpc(2, 2)
    for moved in (m.mpc(1, m.inf), m.mpc(1, m.nan), m.mpc(m.inf, 1)):
        with pytest.raises(DomainError, match="^column 1: x \\+ 1 has no finite real value: x = "):
            evaluate_mp(parse("x + 1"), {"x": moved}, m, complex_step=True)


def test_evaluate_walks_a_point_once_and_hands_out_copies(monkeypatch):
    """evaluate keeps its last walk: asked again for the same graph, output and point it gives a copy of
    the same values (sin(0.5)·2, Python's own) without walking; at another point it walks again.  The walk
    folds each node through graph.fold, replaced here by one that fails, so a second walk cannot pass
    unseen."""
    import math

    from diffcli.core import evaluate as module

    graph = parse("sin(x)*z")
    first = module.evaluate(graph, {"x": 0.5, "z": 2.0})
    assert first[-1] == math.sin(0.5) * 2.0

    def no_walk(*args):
        raise AssertionError("walked again")
    monkeypatch.setattr(module, "fold", no_walk)
    again = module.evaluate(graph, {"x": 0.5, "z": 2.0})
    assert again == first and again is not first
    again[-1] = 0.0  # a copy: the kept values are not changed through it
    assert module.evaluate(graph, {"x": 0.5, "z": 2.0})[-1] == math.sin(0.5) * 2.0
    with pytest.raises(AssertionError, match="walked again"):
        module.evaluate(graph, {"x": 0.5, "z": 3.0})


# ---------------------------------------------------------------- generated code (codegen)


def test_only_code_for_arrays_tells_glibc_to_keep_freed_memory(monkeypatch):
    """memory.keep_freed_memory is for batched code on numpy arrays (one array a line, all freed at the
    return): compiling for floats or complex numbers never calls it, compiling f or a gradient for arrays
    does, once each (the call is cached in memory.py, not here)."""
    import numpy as np

    from diffcli.core import codegen

    calls = []
    monkeypatch.setattr(codegen, "keep_freed_memory", lambda: calls.append(1))
    codegen.compile_function(parse("x*3.25 + 1"), kind="real")
    codegen.compile_function(parse("x*3.25 + 1"), kind="complex")
    codegen.compile_gradient(parse("x*3.25 + 1"))
    assert calls == []
    f = codegen.compile_function(parse("x*3.25 + 1"), kind="array")
    assert calls == [1]
    assert f(np.array([2.0]))[0].tolist() == [7.5]  # 2·3.25 + 1
    codegen.compile_gradient(parse("x*3.5 + 1"), kind="array")
    assert calls == [1, 1]


def test_compiled_code_is_kept_for_a_source_of_at_most_code_kept_chars():
    """A source of exactly CODE_KEPT_CHARS (100,000) characters is compiled once and its code objects are
    handed out again; one character longer, it is compiled anew each time (its code objects are not the
    same).  The source is a one-line product by 1.000…0 (a literal padded with zeros to the length)."""
    from diffcli.core.codegen import CODE_KEPT_CHARS, _code

    head, tail = "def f(v0):\n    v1 = v0 * 1.", "\n    return (v1,)\n"
    zeros = CODE_KEPT_CHARS - len(head) - len(tail)
    kept = head + "0" * zeros + tail
    assert len(kept) == CODE_KEPT_CHARS
    assert _code(kept, "f", False) is _code(kept, "f", False)
    longer = head + "0" * (zeros + 1) + tail
    first, again = _code(longer, "f", False), _code(longer, "f", False)
    assert first[0] is not again[0]
    namespace: dict = {}
    exec(first[0], namespace)
    assert namespace["f"](2.5) == (2.5,)


def test_function_at_walks_several_outputs_itself_after_an_evaluation_of_one_of_them():
    """x*z + 1 is x, z, 1.0, x*z, the sum (nodes 0-4).  evaluate keeps its last walk (of x*z alone at
    (2, 3): no value for the sum), which function_at may reuse for one output only: of the outputs x*z and
    the sum it gives 2·3 = 6 and 6 + 1 = 7, and of no output nothing."""
    from diffcli.core.codegen import function_at
    from diffcli.core.evaluate import evaluate

    graph = parse("x*z + 1")
    assert graph.ops == ["var", "var", "const", "mul", "add"]
    assert evaluate(graph, {"x": 2.0, "z": 3.0}, output=3)[3] == 6.0
    assert function_at(graph, [3, 4], [2.0, 3.0]) == (6.0, 7.0)
    assert function_at(graph, [], [2.0, 3.0]) == ()


# ---------------------------------------------------------------- statements (a long function in parts)


def test_the_driver_of_parts_lets_go_of_a_value_no_later_part_reads():
    """Two parts of two statements: the first reads v0 and v1 and hands on v3; the second reads v3 and v1.
    v0 is read by no later part, so the driver deletes it after the first call; v1 is read by the second
    part, so it stays."""
    from diffcli.core.statements import in_parts

    source = "def f(v0, v1):\n    v2 = v0 * v1\n    v3 = sin(v2)\n    v4 = v3 + v1\n    return (v4,)\n"
    assert in_parts(source, 2) == [
        "def f(v0, v1):\n    v3, = f_part0(v0, v1)\n    del v0\n    return f_part1(v3, v1)\n",
        "def f_part0(v0, v1):\n    v2 = v0 * v1\n    v3 = sin(v2)\n    return (v3, )\n",
        "def f_part1(v3, v1):\n    v4 = v3 + v1\n    return (v4,)\n",
    ]
