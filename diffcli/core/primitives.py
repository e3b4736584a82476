"""The primitive table: THE one place a function of diffcli's language is defined.

Each :class:`Primitive` carries, side by side:

* its names (``name`` and ``aliases``) and ``arity``;
* evaluators for every number kind the methods use: ``real`` (float, raises outside the domain), ``array``
  (numpy), ``complex`` (complex step) and ``mp`` (mpmath, given a private context ``m``; real or complex
  arguments near the real line, where it is the analytic continuation of the real function);
* ``partials``: one rule per argument, ``rule(b, y, *args)`` giving ∂y/∂arg for ``y = f(*args)``.  A rule
  is written once and serves every method, because ``b`` and the values are whatever algebra a method uses:
  graph nodes (symbolic differentiation), floats (the reverse-mode tape), source code (compiled gradients),
  mpmath numbers (the reference for many variables).  Rules avoid cancellation (``tanh' = 1/cosh²``, not
  ``1 - tanh²``, which loses all digits where tanh ≈ 1).  Rules write irrational constants as calls
  (``b.log(2.0)``, not a rounded float) so that an mpmath algebra computes them at full precision;
* its ``domain`` as text (in terms of :data:`PARAMETERS`) and as a predicate ``inside``, ``holomorphic``
  (is complex step valid), ``kink`` (where it is not differentiable; the methods use the right derivative
  there and warn);
* how it prints: an infix ``symbol`` and ``precedence``, or a call; a ``latex`` template;
* optionally ``identities``, algebraic simplifications used when a derivative graph is built, and
  ``rule``, the textbook name of its derivative rule (``diff --steps``; functions use the chain rule).

Nothing else in diffcli keeps a list of functions: the parser, the methods, the printers and the tests all
read this table.  The numerically careful evaluators its entries name (float, complex, mpmath, numpy
versions where the library's is missing or leaves the real branch) are in :mod:`diffcli.core.numeric`;
the simplifications stay here, next to their entries.

Non-differentiable points: ``abs``, ``relu``, ``sign``, ``step``, ``min`` and ``max`` use the *right*
derivative at a kink (the slope as the variable increases): ``abs'(0) = 1``, ``relu'(0) = 1``, and at
``x == y`` ``max`` has slope 1 in both arguments while ``min`` has slope 0 in both.  ``sign(0) = 1`` and
``step(0) = 1`` follow the same convention.
"""

from __future__ import annotations

import cmath
import math
import operator
from dataclasses import dataclass, field, replace
from typing import Callable

from diffcli.core import numeric
from diffcli.core.lazy import LazyNumpy

np = LazyNumpy()  # numpy's functions for the table's array evaluators, imported when first called

PARAMETERS = ("x", "y")
"""The names a ``domain`` text gives a primitive's arguments, in order (``div``'s "y != 0" is about its
second argument); an error message puts the arguments' own text in their place."""

# Printing precedence: higher binds tighter.
ADD, MUL, NEG, POW, ATOM = 1, 2, 3, 4, 5

LN2 = math.log(2.0)


@dataclass(frozen=True)
class Primitive:
    """One function of the language with everything every method needs (see the module docstring)."""

    name: str
    arity: int
    real: Callable
    array: Callable
    complex: Callable
    mp: Callable
    partials: tuple
    domain: str
    inside: Callable
    latex: str
    holomorphic: bool = True
    kink: Callable | None = None
    symbol: str | None = None
    precedence: int = ATOM
    aliases: tuple = ()
    public: bool = True
    identities: Callable | None = field(default=None, compare=False)
    rule: str | None = None  # its derivative rule's textbook name, for `diff --steps` (else "chain rule")
    zero_where: tuple = ()
    """Per argument k, the index of another argument whose being the constant 0 makes ``partials[k]`` 0
    (pow: ∂(0**y)/∂y = 0, as 0**y is 0 for every y > 0; ∂(x**0)/∂x = 0), or None; the backward loop then
    adds no term instead of evaluating a rule that fails there (log(0))."""
    constant: tuple | None = field(default=None, compare=False)
    """``(k, entry)``: where argument k is a constant of the graph, the application is ``entry`` (the same
    function with its own domain): a constant exponent has the power rule's domain (x**0.0 is 1 at 0)."""


def _always(*args) -> bool:
    return True


def everywhere(primitive: "Primitive") -> bool:
    """Whether the primitive is defined for all real arguments (no domain to check)."""
    return primitive.inside is _always


# ---------------------------------------------------------------- graph identities (symbolic simplification)
# Each takes the graph and argument nodes and returns a simpler node, or None to build the node as is.

def _add_identities(g, a, b):
    if g.is_const(a, 0.0):
        return b
    if g.is_const(b, 0.0):
        return a
    if a == b:
        return g.apply("mul", (g.const(2.0), a), simplify=True)
    if g.is_const(a):  # constants to the right: x + 1
        return g.apply("add", (b, a), simplify=True)
    if g.op(b) == "neg":
        return g.apply("sub", (a, g.args(b)[0]), simplify=True)
    if g.op(a) == "neg":
        return g.apply("sub", (b, g.args(a)[0]), simplify=True)
    if g.is_const(b) and g.op(a) == "add" and g.is_const(g.args(a)[1]):
        inner, k = g.args(a)
        return g.apply("add", (inner, g.const(g.value(k) + g.value(b))), simplify=True)
    return None


def _sub_identities(g, a, b):
    if g.is_const(b, 0.0):
        return a
    if g.is_const(a, 0.0):
        return g.apply("neg", (b,), simplify=True)
    if a == b:
        return g.const(0.0)
    if g.op(b) == "neg":
        return g.apply("add", (a, g.args(b)[0]), simplify=True)
    return None


def _mul_identities(g, a, b):
    if g.is_const(a, 0.0) or g.is_const(b, 0.0):
        return g.const(0.0)
    if g.is_const(a, 1.0):
        return b
    if g.is_const(b, 1.0):
        return a
    if g.is_const(a, -1.0):
        return g.apply("neg", (b,), simplify=True)
    if g.is_const(b, -1.0):
        return g.apply("neg", (a,), simplify=True)
    if g.is_const(b):  # numeric coefficients to the left: 2*x
        return g.apply("mul", (b, a), simplify=True)
    for this, other in ((a, b), (b, a)):
        if g.op(this) == "neg":
            inner = g.args(this)[0]
            pair = (inner, other) if this == a else (other, inner)
            return g.apply("neg", (g.apply("mul", pair, simplify=True),), simplify=True)
    if g.op(b) == "mul" and g.is_const(g.args(b)[0]):  # a * (k*c) -> k * (a*c), then coefficients combine
        k, c = g.args(b)
        if g.is_const(a):
            return g.apply("mul", (g.const(g.value(a) * g.value(k)), c), simplify=True)
        return g.apply("mul", (k, g.apply("mul", (a, c), simplify=True)), simplify=True)
    if g.op(a) == "mul" and g.is_const(g.args(a)[0]) and not g.is_const(b):
        k, c = g.args(a)
        return g.apply("mul", (k, g.apply("mul", (c, b), simplify=True)), simplify=True)
    if g.is_const(a) and g.op(b) == "div" and g.is_const(g.args(b)[0]):
        k, c = g.args(b)
        return g.apply("div", (g.const(g.value(a) * g.value(k)), c), simplify=True)
    for this, other in ((a, b), (b, a)):  # (1/c) * d -> d / c
        if g.op(this) == "div" and g.is_const(g.args(this)[0], 1.0):
            return g.apply("div", (other, g.args(this)[1]), simplify=True)
    if a == b:
        return g.apply("pow", (a, g.const(2.0)), simplify=True)
    return None


def _div_identities(g, a, b):
    if g.is_const(a, 0.0):
        return g.const(0.0)
    if g.is_const(b, 1.0):
        return a
    if g.is_const(b, -1.0):
        return g.apply("neg", (a,), simplify=True)
    if a == b:
        return g.const(1.0)
    if g.op(a) == "neg":
        return g.apply("neg", (g.apply("div", (g.args(a)[0], b), simplify=True),), simplify=True)
    if g.op(b) == "neg":
        return g.apply("neg", (g.apply("div", (a, g.args(b)[0]), simplify=True),), simplify=True)
    return None


def _neg_identities(g, a):
    if g.op(a) == "neg":
        return g.args(a)[0]
    if g.op(a) == "sub":
        x, y = g.args(a)
        return g.apply("sub", (y, x), simplify=True)
    if g.op(a) in ("mul", "div") and g.is_const(g.args(a)[0]):  # -(2*x) -> -2*x
        k, c = g.args(a)
        return g.apply(g.op(a), (g.const(-g.value(k)), c), simplify=True)
    return None


def _pow_identities(g, a, b):
    if g.is_const(b, 1.0):
        return a
    if g.is_const(b, 0.0) or g.is_const(a, 1.0):
        return g.const(1.0)
    return None


# ---------------------------------------------------------------- the table

def _p(name, arity, real, array, complex_, mp, partials, latex, domain="all real numbers", inside=_always,
       **options) -> Primitive:
    return Primitive(name=name, arity=arity, real=real, array=array, complex=complex_, mp=mp,
                     partials=partials, domain=domain, inside=inside, latex=latex, **options)


_POW = _p("pow", 2, numeric.real_pow, numeric.np_pow, numeric.cpow, numeric.mp_pow,
          (lambda b, y, x, z: z * x ** (z - 1.0), lambda b, y, x, z: b.log(x) * y),
          "{0}^{{{1}}}", domain="x > 0, or x == 0 and y > 0, or x < 0 and y an integer",
          inside=lambda x, y: x > 0 or (x == 0 and y > 0) or (x < 0 and numeric.is_integer(y)),
          symbol="**", precedence=POW, identities=_pow_identities, rule="power rule", zero_where=(1, 0))
_POW = replace(_POW, constant=(1, replace(
    _POW, real=numeric.constant_power, domain="x > 0, or x == 0 and y >= 0, or x < 0 and y an integer",
    inside=lambda x, y: x > 0 or (x == 0 and y >= 0) or (x < 0 and numeric.is_integer(y)))))
"""pow, and as its ``constant`` form x**c for a constant c (not in the table): the same entry with the power
rule's domain, where x**0.0 is 1 for every x."""

_TABLE = [
    # ---- arithmetic
    _p("add", 2, operator.add, np.add, operator.add, lambda m, x, y: x + y,
       (lambda b, y, x, z: 1.0, lambda b, y, x, z: 1.0),
       "{0} + {1}", symbol="+", precedence=ADD, public=False, identities=_add_identities,
       rule="sum rule"),
    _p("sub", 2, operator.sub, np.subtract, operator.sub, lambda m, x, y: x - y,
       (lambda b, y, x, z: 1.0, lambda b, y, x, z: -1.0),
       "{0} - {1}", symbol="-", precedence=ADD, public=False, identities=_sub_identities,
       rule="difference rule"),
    _p("mul", 2, operator.mul, np.multiply, operator.mul, lambda m, x, y: x * y,
       (lambda b, y, x, z: z, lambda b, y, x, z: x),
       r"{0} \cdot {1}", symbol="*", precedence=MUL, public=False, identities=_mul_identities,
       rule="product rule"),
    _p("div", 2, operator.truediv, np.divide, operator.truediv, lambda m, x, y: x / y,
       (lambda b, y, x, z: 1.0 / z, lambda b, y, x, z: -y / z),
       r"\frac{{{0}}}{{{1}}}", domain="y != 0", inside=lambda x, y: y != 0,
       symbol="/", precedence=MUL, public=False, identities=_div_identities,
       rule="quotient rule"),
    _p("neg", 1, operator.neg, np.negative, operator.neg, lambda m, x: -x,
       (lambda b, y, x: -1.0,),
       "-{0}", symbol="-", precedence=NEG, public=False, identities=_neg_identities,
       rule="constant factor rule"),
    _POW,
    # ---- exponentials and logarithms
    _p("exp", 1, math.exp, np.exp, cmath.exp, lambda m, x: m.exp(x),
       (lambda b, y, x: y,), r"e^{{{0}}}"),
    _p("log", 1, math.log, np.log, cmath.log, lambda m, x: m.log(x),
       (lambda b, y, x: 1.0 / x,), r"\ln\left({0}\right)", domain="x > 0", inside=lambda x: x > 0,
       aliases=("ln",)),
    _p("log2", 1, math.log2, np.log2, lambda z: cmath.log(z) / LN2, lambda m, x: m.log(x, 2),
       (lambda b, y, x: 1.0 / (b.log(2.0) * x),), r"\log_2\left({0}\right)", domain="x > 0",
       inside=lambda x: x > 0),
    _p("log10", 1, math.log10, np.log10, cmath.log10, lambda m, x: m.log10(x),
       (lambda b, y, x: 1.0 / (b.log(10.0) * x),), r"\log_{{10}}\left({0}\right)", domain="x > 0",
       inside=lambda x: x > 0),
    _p("log1p", 1, math.log1p, np.log1p, numeric.clog1p, lambda m, x: m.log1p(x),
       (lambda b, y, x: 1.0 / (1.0 + x),), r"\ln\left(1 + {0}\right)", domain="x > -1",
       inside=lambda x: x > -1),
    _p("expm1", 1, math.expm1, np.expm1, numeric.cexpm1, lambda m, x: m.expm1(x),
       (lambda b, y, x: b.exp(x),), r"\left(e^{{{0}}} - 1\right)"),
    _p("sqrt", 1, math.sqrt, np.sqrt, cmath.sqrt, lambda m, x: m.sqrt(x),
       (lambda b, y, x: 0.5 / y,), r"\sqrt{{{0}}}", domain="x >= 0", inside=lambda x: x >= 0),
    _p("cbrt", 1, numeric.cbrt, numeric.np_cbrt, numeric.ccbrt, numeric.mp_cbrt,
       (lambda b, y, x: 1.0 / (3.0 * y ** 2.0),), r"\sqrt[3]{{{0}}}"),
    # ---- trigonometric
    _p("sin", 1, math.sin, np.sin, cmath.sin, lambda m, x: m.sin(x),
       (lambda b, y, x: b.cos(x),), r"\sin\left({0}\right)"),
    _p("cos", 1, math.cos, np.cos, cmath.cos, lambda m, x: m.cos(x),
       (lambda b, y, x: -b.sin(x),), r"\cos\left({0}\right)"),
    _p("tan", 1, math.tan, np.tan, cmath.tan, lambda m, x: m.tan(x),
       (lambda b, y, x: 1.0 + y ** 2.0,), r"\tan\left({0}\right)"),
    _p("asin", 1, math.asin, np.arcsin, cmath.asin, lambda m, x: m.asin(x),
       (lambda b, y, x: 1.0 / b.sqrt((1.0 - x) * (1.0 + x)),), r"\arcsin\left({0}\right)",
       domain="-1 <= x <= 1", inside=lambda x: -1 <= x <= 1, aliases=("arcsin",)),
    _p("acos", 1, math.acos, np.arccos, cmath.acos, lambda m, x: m.acos(x),
       (lambda b, y, x: -1.0 / b.sqrt((1.0 - x) * (1.0 + x)),), r"\arccos\left({0}\right)",
       domain="-1 <= x <= 1", inside=lambda x: -1 <= x <= 1, aliases=("arccos",)),
    _p("atan", 1, math.atan, np.arctan, cmath.atan, lambda m, x: m.atan(x),
       (lambda b, y, x: 1.0 / (1.0 + x ** 2.0),), r"\arctan\left({0}\right)", aliases=("arctan",)),
    _p("atan2", 2, math.atan2, np.arctan2, numeric.catan2, numeric.mp_atan2,
       (lambda b, r, y, x: x / (x ** 2.0 + y ** 2.0), lambda b, r, y, x: -y / (x ** 2.0 + y ** 2.0)),
       r"\operatorname{{atan2}}\left({0}, {1}\right)", aliases=("arctan2",),
       kink=lambda y, x: y == 0 and x < 0),  # its branch cut: π above, −π below (the right derivative: above)
    # ---- hyperbolic
    _p("sinh", 1, math.sinh, np.sinh, cmath.sinh, lambda m, x: m.sinh(x),
       (lambda b, y, x: b.cosh(x),), r"\sinh\left({0}\right)"),
    _p("cosh", 1, math.cosh, np.cosh, cmath.cosh, lambda m, x: m.cosh(x),
       (lambda b, y, x: b.sinh(x),), r"\cosh\left({0}\right)"),
    _p("tanh", 1, math.tanh, np.tanh, cmath.tanh, lambda m, x: m.tanh(x),
       (lambda b, y, x: 1.0 / b.cosh(x) ** 2.0,), r"\tanh\left({0}\right)"),
    _p("asinh", 1, math.asinh, np.arcsinh, cmath.asinh, lambda m, x: m.asinh(x),
       (lambda b, y, x: 1.0 / b.sqrt(x ** 2.0 + 1.0),), r"\operatorname{{arsinh}}\left({0}\right)",
       aliases=("arcsinh",)),
    _p("acosh", 1, math.acosh, np.arccosh, cmath.acosh, lambda m, x: m.acosh(x),
       (lambda b, y, x: 1.0 / b.sqrt((x - 1.0) * (x + 1.0)),), r"\operatorname{{arcosh}}\left({0}\right)",
       domain="x >= 1", inside=lambda x: x >= 1, aliases=("arccosh",)),
    _p("atanh", 1, math.atanh, np.arctanh, cmath.atanh, lambda m, x: m.atanh(x),
       (lambda b, y, x: 1.0 / ((1.0 - x) * (1.0 + x)),), r"\operatorname{{artanh}}\left({0}\right)",
       domain="-1 < x < 1", inside=lambda x: -1 < x < 1, aliases=("arctanh",)),
    # ---- machine-learning favourites
    _p("sigmoid", 1, numeric.sigmoid, numeric.np_sigmoid, numeric.csigmoid, lambda m, x: 1 / (1 + m.exp(-x)),
       (lambda b, y, x: y * b.sigmoid(-x),), r"\sigma\left({0}\right)"),
    _p("softplus", 1, numeric.softplus, lambda x: np.logaddexp(0.0, x), numeric.csoftplus,
       lambda m, x: m.log1p(m.exp(x)),
       (lambda b, y, x: b.sigmoid(x),), r"\operatorname{{softplus}}\left({0}\right)"),
    # ---- not differentiable everywhere: right derivative at the kink (module docstring)
    _p("abs", 1, abs, np.abs, lambda z: numeric.cpick(z.real >= 0, z, -z),
       lambda m, x: x if m.re(x) >= 0 else -x,
       (lambda b, y, x: b.sign(x),), r"\left|{0}\right|", holomorphic=False, kink=lambda x: x == 0),
    _p("relu", 1, numeric.relu, lambda x: np.maximum(x, 0.0),
       lambda z: numeric.cpick(z.real > 0, z, 0j), lambda m, x: x if m.re(x) > 0 else m.zero,
       (lambda b, y, x: b.step(x),), r"\operatorname{{relu}}\left({0}\right)",
       holomorphic=False, kink=lambda x: x == 0),
    _p("min", 2, min, np.minimum, lambda x, y: numeric.cpick(x.real <= y.real, x, y),
       lambda m, x, y: x if m.re(x) <= m.re(y) else y,
       (lambda b, r, x, y: 1.0 - b.step(x - y), lambda b, r, x, y: 1.0 - b.step(y - x)),
       r"\min\left({0}, {1}\right)", holomorphic=False, kink=lambda x, y: x == y),
    _p("max", 2, max, np.maximum, lambda x, y: numeric.cpick(x.real >= y.real, x, y),
       lambda m, x, y: x if m.re(x) >= m.re(y) else y,
       (lambda b, r, x, y: b.step(x - y), lambda b, r, x, y: b.step(y - x)),
       r"\max\left({0}, {1}\right)", holomorphic=False, kink=lambda x, y: x == y),
    _p("sign", 1, numeric.sign, numeric.np_sign, lambda z: complex(1.0 if z.real >= 0 else -1.0),
       lambda m, x: m.one if m.re(x) >= 0 else -m.one,
       (lambda b, y, x: 0.0,), r"\operatorname{{sign}}\left({0}\right)", holomorphic=False,
       kink=lambda x: x == 0),
    _p("step", 1, numeric.step, numeric.np_step, lambda z: complex(1.0 if z.real >= 0 else 0.0),
       lambda m, x: m.one if m.re(x) >= 0 else m.zero,
       (lambda b, y, x: 0.0,), r"\operatorname{{step}}\left({0}\right)", holomorphic=False,
       kink=lambda x: x == 0),
    _p("hypot", 2, math.hypot, np.hypot, lambda x, y: cmath.sqrt(x * x + y * y),
       lambda m, x, y: m.sqrt(x * x + y * y),
       (lambda b, r, x, y: x / r, lambda b, r, x, y: y / r), r"\sqrt{{{0}^2 + {1}^2}}"),
]

PRIMITIVES: dict[str, Primitive] = {p.name: p for p in _TABLE}
"""Every primitive by its canonical name."""

FUNCTIONS: dict[str, Primitive] = {
    name: p for p in _TABLE if p.public for name in (p.name, *p.aliases)
}
"""What the user may call by name (``ln`` and ``arcsin`` are aliases); ``log(x, b)`` is handled by the
parser."""

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}
"""Named constants of the language; they fold to the nearest double."""
