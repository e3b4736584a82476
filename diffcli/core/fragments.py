"""Fragments of Python source that do arithmetic, and the adjoint algebra that writes a gradient with them.

:class:`Code` is a string of source; adding, multiplying or negating it writes more source, simplified on
the way (constants fold, ``a * (1/b)`` becomes ``a / b``, a negation is carried out to where a sum can
subtract it).  :class:`CodeAlgebra` is the :class:`~diffcli.core.algebra.Algebra` that
:func:`diffcli.core.chain.adjoints`, the one backward loop, runs on to produce the adjoint lines of a
compiled gradient (:mod:`diffcli.core.codegen`).
"""

from __future__ import annotations

import math

from diffcli.core.algebra import Functions
from diffcli.core.graph import Graph
from diffcli.core.primitives import PRIMITIVES


def literal(value: float) -> str:
    """The source of a double: its repr, in parentheses when negative (``(-2.0)``)."""
    text = repr(float(value))
    return f"({text})" if text.startswith("-") else text


class Code(str):
    """A fragment of Python source; arithmetic on it writes more source (fully parenthesised).

    The arithmetic keeps the adjoint lines short, which is what a gradient costs on numpy arrays (one pass
    over memory per operation): constants fold (``2.0 - 1.0`` is ``1.0``), ``a * 1.0`` is ``a``,
    ``a ** 1.0`` is ``a``, ``a * (1.0 / b)`` is ``a / b``, and a negation is carried outwards (``(-a) * b``
    is ``-(a * b)``, :attr:`negand` is ``a * b``) until a sum absorbs it as a subtraction.  Each rewrite is
    exact in IEEE arithmetic except ``a / b``, which rounds once where ``a * (1.0 / b)`` rounded twice.
    A constant whose folding fails or overflows (``log(-0.5)``, ``1.0 / 0.0``) is written as a call of the
    primitive, so that it fails when run the way the kind of number it runs on fails.
    """

    negand = None
    """For ``(-x)``: the fragment ``x``."""
    reciprocal = None
    """For ``(1.0 / x)``: the fragment ``x``."""
    value = None
    """For a constant of the graph: its number."""
    known = None
    """Source of the values already computed → their names (``"(v3 / v2)"`` → ``"v4"``), shared by every
    fragment built from the forward values, so that a derivative reuses what f computed."""
    number = None
    """What the fragment computes, where the forward values it reads were given as numbers
    (:func:`diffcli.core.codegen.gradient_at`): each rewrite computes it from its parts' numbers with the
    operation it writes, so it is what the compiled code would compute, to the bit.  None where not known
    (no numbers given, or the operation failed: the compiled code is then run, to fail as it fails)."""

    def __add__(self, other): return _binary("+", self, other)
    def __radd__(self, other): return _binary("+", other, self)
    def __sub__(self, other): return _binary("-", self, other)
    def __rsub__(self, other): return _binary("-", other, self)
    def __mul__(self, other): return _binary("*", self, other)
    def __rmul__(self, other): return _binary("*", other, self)
    def __truediv__(self, other): return _binary("/", self, other)
    def __rtruediv__(self, other): return _binary("/", other, self)
    def __pow__(self, other): return _binary("**", self, other)
    def __rpow__(self, other): return _binary("**", other, self)
    def __neg__(self): return _negate(self)


def constant(value: float) -> Code:
    """The fragment of a constant of the graph: its literal, knowing its number (so it folds)."""
    code = Code(literal(value))
    code.value = code.number = float(value)
    return code


def number_of(value) -> float | None:
    """What a fragment computes (:attr:`Code.number`; a float is its own number, as its literal reads
    back), or None where that is not known."""
    if isinstance(value, Code):
        return value.number
    value = float(value)
    return value if math.isfinite(value) else None  # a literal of inf or nan would not read back


def _carrying(code: Code, function, *parts) -> Code:
    """``code`` with its number, ``function`` of its parts' numbers where they are all known (a failure
    leaves it unknown)."""
    numbers = []
    for part in parts:  # a loop rather than number_of on each: every fragment written comes through here
        number = part.number if type(part) is Code else number_of(part)
        if number is None:  # code without numbers (timed, on arrays, a tangent): the first part tells
            code.number = None
            return code
        numbers.append(number)
    return _numbered(code, function, numbers)


def _numbered(code: Code, function, numbers: list) -> Code:
    """``code`` given ``function(*numbers)`` as its number where every number is known; unknown (None,
    Code's default) otherwise or where the function fails: the compiled code, run instead, fails as it
    fails."""
    if None not in numbers:
        try:
            code.number = function(*numbers)
        except Exception:  # noqa: BLE001 - see above
            code.number = None
    return code


def known_number(value) -> float | None:
    """The number a value is known to be (a float, or a constant's fragment), or None for code."""
    return value.value if type(value) is Code else float(value)


def _fold(function, *numbers) -> float | None:
    """``function(*numbers)`` if it is a finite float, else None (the code is written out instead)."""
    try:
        result = float(function(*numbers))
    except (ArithmeticError, ValueError):
        return None
    return result if math.isfinite(result) else None


_INFIX = {p.symbol: p for p in PRIMITIVES.values() if p.symbol and p.arity == 2}
"""The table's binary operators by symbol (``+ - * / **``)."""

_ADD, _SUB, _NEG = _INFIX["+"].real, _INFIX["-"].real, PRIMITIVES["neg"].real
"""What ``+ - `` and unary ``-`` written in generated code do on floats (the table's evaluators: Python's
own operators)."""

_UPDATES = {"+=": _ADD, "-=": _SUB}

_POW = PRIMITIVES["pow"].real
"""What ``pow(a, b)`` in generated code calls on floats (the table's evaluator of that name)."""

CONSTANT_FORM = "_constant"
"""Suffix of the name generated code calls for a primitive's ``constant`` form (``pow_constant(x, 0.0)``:
``x**0.0`` is 1 at x = 0, where ``pow`` refuses 0**0), as :func:`diffcli.core.evaluate.entry` chooses it."""

_POW_CONSTANT = PRIMITIVES["pow"].constant[1].real
"""What ``pow_constant(a, c)`` calls: a power with a known exponent, such as the power rule's
``z * x ** (z - 1.0)`` (where ``(x - x) ** 1.0`` needs 0**0 = 1, as the graph and mpmath paths give it)."""


def source_of(value) -> str:
    """The source of a fragment or a number."""
    return str(value) if type(value) is Code else literal(value)


def _negate(value):
    """``-value``, with the negation recorded (:attr:`Code.negand`) so that a later sum can subtract."""
    value_number = known_number(value)
    if value_number is not None:
        return -value_number
    if value.negand is not None:
        return value.negand
    negated = _written(f"(-{value})", _NEG, (value,))
    if negated.isidentifier():  # f computed -value itself
        return negated
    negated.negand = value
    return negated


def _sign(value):
    """``(negative, magnitude)``: value = -magnitude if negative else magnitude."""
    if type(value) is Code and value.negand is not None:
        return True, value.negand
    return False, value


def _binary(symbol: str, left, right):
    a = left.value if type(left) is Code else float(left)  # known_number, inlined: 2 calls a term
    b = right.value if type(right) is Code else float(right)
    if a is not None and b is not None:  # folded, or (1.0 / 0.0) the primitive's call: see _call
        return _call(_INFIX[symbol], (left, right))
    if symbol == "**":
        if b is None:
            return _written(f"pow({source_of(left)}, {source_of(right)})", _POW, (left, right))
        if b == 1.0:
            return left
        source = f"pow{CONSTANT_FORM}({source_of(left)}, {source_of(right)})"
        return _written(source, _POW_CONSTANT, (left, right))
    if symbol in "*/":
        if symbol == "*" and a == 1.0:
            return right
        if b == 1.0:
            return left
        left_negative = type(left) is Code and left.negand is not None  # _sign, inlined
        right_negative = type(right) is Code and right.negand is not None
        if left_negative or right_negative:
            left, right = left.negand if left_negative else left, right.negand if right_negative else right
            if left_negative != right_negative:
                return _negate(_binary(symbol, left, right))
        if symbol == "*":
            if type(right) is Code and right.reciprocal is not None:
                return _binary("/", left, right.reciprocal)
            if type(left) is Code and left.reciprocal is not None:
                return _binary("/", right, left.reciprocal)
    code = _written(f"({source_of(left)} {symbol} {source_of(right)})", _INFIX[symbol].real,  # Python's
                    (left, right))                                                              # own operator
    if symbol == "/" and a == 1.0 and not code.isidentifier():
        code.reciprocal = right
    return code


def _written(source: str, function, parts: tuple) -> Code:
    """``Code(source)``, or the name of the forward value computed by the same source if there is one (the
    parts' table of :attr:`Code.known`, which it carries on), with its number: ``function`` of the parts'
    numbers where they are all known (a failure leaves it unknown).  Every operation written comes through
    here, in one pass over its parts."""
    code = Code(source)
    known, numbers = None, []
    for part in parts:
        if type(part) is Code:
            if known is None:
                known = part.known
            numbers.append(part.number)
        else:
            numbers.append(number_of(part))
    if known is not None:
        name = known.get(code)
        if name is not None:
            code = Code(name)
        code.known = known
    return _numbered(code, function, numbers)


def _is_name(value) -> bool:
    """A bare name (``v3``, ``g7``): another variable's object, which must not be changed in place."""
    return type(value) is Code and value.isidentifier()


def _read_once(graph: Graph) -> list[bool]:
    """Per node: the backward loop reads its adjoint at most once (at most one argument depends on a
    variable)."""
    depending = graph.depends_on_variables().__getitem__
    return [sum(map(depending, arguments)) <= 1 for arguments in graph.arguments]


def _call(primitive, args):
    numbers = [known_number(a) for a in args]
    if None not in numbers:  # a constant such as log(2.0): fold it now
        folded = _fold(primitive.real, *numbers)
        if folded is not None:
            return folded
        # Written as the primitive's call, so that each kind fails its own way when run: on floats
        # ``div(1.0, 0.0)`` raises, as the expression does; on arrays it is inf, as numpy's division is.
    return _written(f"{primitive.name}({', '.join(source_of(a) for a in args)})", primitive.real, args)


class CodeAlgebra:
    """Source lines: each adjoint becomes a variable ``g<node>`` assigned in ``lines``.

    An adjoint that is a number (the output's, and those reached from it through partials that are
    numbers, as in a flat sum) stays a number and writes no line; one that equals another name (``x + y``
    passes its adjoint on unchanged) is that name.  A sum of terms accumulates in place (``g3 += …``,
    ``g3 -= …``) only into an array the adjoint owns, one its own line created: never into a name it shares
    (``g0 = g4; g1 = g4; g0 += …`` would change g1 too).  A negative adjoint is kept as its magnitude and a
    sign, so that ``-(a / b)`` costs one operation where it is added.
    """

    one = 1.0

    def __init__(self, graph: Graph | None = None):
        self.functions = Functions(_call)
        self.lines: list[str] = []
        self._owned: set[int] = set()
        self._read_once = _read_once(graph) if graph is not None else None

    def times(self, adjoint, partial):
        p = partial.value if type(partial) is Code else float(partial)  # known_number, inlined: every term
        g = adjoint.value if type(adjoint) is Code else float(adjoint)
        if p == 0.0:
            return 0.0
        if p == 1.0 and (g is None or type(adjoint) is float):  # what _binary gives, without its checks: a
            return adjoint  # flat sum's terms (finite float adjoints: _call's fold of g * 1.0 is g itself)
        if p == -1.0:
            return _negate(adjoint)
        if g == -1.0:
            return _negate(partial)
        return _binary("*", adjoint, partial)

    def first(self, term, node):
        if (term.value if type(term) is Code else term) is not None:  # known_number: a float is one
            return term
        negative, magnitude = _sign(term)
        if _is_name(magnitude) or (self._read_once is not None and self._read_once[node]):
            return term
        self.lines.append(f"g{node} = {source_of(magnitude)}")
        self._owned.add(node)
        name = _carrying(Code(f"g{node}"), float, magnitude)
        return _negate(name) if negative else name

    def plus(self, total, term, node):
        if known_number(total) is not None and known_number(term) is not None:
            return _binary("+", total, term)
        name = Code(f"g{node}")
        total_negative, total_magnitude = _sign(total)
        term_negative, term_magnitude = _sign(term)
        if node in self._owned and total_magnitude == name:
            update = "-=" if total_negative != term_negative else "+="
            self.lines.append(f"g{node} {update} {source_of(term_magnitude)}")
            # The name's object is this adjoint's alone (it owns it): its number follows the update.
            _carrying(total_magnitude, _UPDATES[update], total_magnitude, term_magnitude)
            if total_negative:
                _carrying(total, _NEG, total_magnitude)
            return total
        # Not ``+=``: the total may share its array with another adjoint (see the class docstring).
        if total_negative and term_negative:
            self.lines.append(f"g{node} = {source_of(total_magnitude)} + {source_of(term_magnitude)}")
            result = _negate(_carrying(name, _ADD, total_magnitude, term_magnitude))
        elif total_negative or term_negative:
            plus, minus = ((term_magnitude, total_magnitude) if total_negative
                           else (total_magnitude, term_magnitude))
            self.lines.append(f"g{node} = {source_of(plus)} - {source_of(minus)}")
            result = _carrying(name, _SUB, plus, minus)
        else:
            self.lines.append(f"g{node} = {source_of(total_magnitude)} + {source_of(term_magnitude)}")
            result = _carrying(name, _ADD, total_magnitude, term_magnitude)
        self._owned.add(node)
        return result

    def note(self, node, argument, partial, term):
        pass


def total(terms: list) -> str:
    """Source of the sum of terms, a negated term subtracted: ``a - b`` rather than ``a + (-b)``."""
    if not terms:
        return "0.0"
    text = source_of(terms[0])
    for term in terms[1:]:
        negative, magnitude = _sign(term)
        text += f" {'-' if negative else '+'} {source_of(magnitude)}"
    return text
