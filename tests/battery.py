"""The battery of hard cases for numerical differentiation, shared by tests/test_finite.py and
benchmarks/fd_vs_peers.py: (name, expression, x), one variable x each.

Each entry is hard for a reason its name gives.  Some cannot be done to 12 digits from double-precision
values of f by any finite difference — tanh(x) at 20 rounds to exactly 1.0, so its derivative 1.7e-17 is
invisible; 1e10 + sin(x) is rounded to 2e-6 absolute — and a method must say so rather than claim digits.
"""

BATTERY = [
    ("smooth: exp", "exp(x)", 1.0),
    ("smooth: sin", "sin(x)", 1.0),
    ("smooth: log", "log(x)", 0.5),
    ("polynomial", "x**10", 1.5),
    ("lecture, in x", "exp(x*3) + x*3/log(x) + sin(log(x))/(x*3)", 2.0),
    ("near a branch point: sqrt at 1e-6", "sqrt(x)", 1e-6),
    ("near a branch point: asin at 0.999", "asin(x)", 0.999),
    ("near a pole: 1/x at 1e-3", "1/x", 1e-3),
    ("near a branch point: cbrt at 1e-3", "cbrt(x)", 1e-3),
    ("oscillatory: sin(1/x) at 0.05", "sin(1/x)", 0.05),
    ("oscillatory: cos(100x)", "cos(100*x)", 0.3),
    ("huge: exp(100x)", "exp(100*x)", 1.0),
    ("tiny derivative: tanh at 20", "tanh(x)", 20.0),
    ("large offset: 1e10 + sin(x)", "1e10 + sin(x)", 1.0),
    ("large argument: atan at 1e5", "atan(x)", 1e5),
    ("Runge: 1/(1+25x^2)", "1/(1+25*x**2)", 0.3),
    ("flat: exp(-1/x^2)", "exp(-1/x**2)", 0.3),
    ("steep: tan near pi/2", "tan(x)", 1.5),
    ("small argument: expm1 at 1e-5", "expm1(x)", 1e-5),
    ("logistic: sigmoid at 3", "sigmoid(x)", 3.0),
]
