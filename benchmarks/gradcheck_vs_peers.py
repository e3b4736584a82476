"""Planted bugs in numpy gradient code, and their correct twins: which gradient checker catches which, with
its defaults, in float64 and in float32.

Run: python benchmarks/gradcheck_vs_peers.py   (prints a markdown table; about a minute)

Each case is a loss ``f`` over named inputs, its correct gradient and one planted bug, all written for
numpy and generic in the dtype (the data is cast to the inputs' dtype, so a float32 point runs float32
arithmetic throughout).  The tools, each with its own defaults:

- diffcli: ``diffcli.testing.assert_gradient`` (``gradcheck``), no option given;
- scipy: ``scipy.optimize.check_grad`` returns the 2-norm of (gradient − forward differences at step
  sqrt(eps)) and leaves the verdict to its user; the common ``< 1e-5`` is used here (as documented in
  the README table);
- torch: ``torch.autograd.gradcheck`` on a ``torch.autograd.Function`` whose forward calls f and backward
  the gradient under test (its defaults: eps 1e-6, atol 1e-5, rtol 1e-3);
- jax: ``jax.test_util.check_grads`` on a ``jax.custom_vjp`` function calling f and the gradient through
  ``jax.pure_callback`` (order 1, reverse mode, its default tolerances).

A tool that is not installed is skipped (its column says so).  A *catch* is a check that fails on a bug;
a *false alarm* a check that fails on a correct twin.  Times are per check, measured in this run.
"""

from __future__ import annotations

import time

import numpy as np

SEED = 0
N = 4
"""Units of the dense layer, and the size of the batch (square, so that a transposed weight gradient or a
bias summed over the wrong axis has the right shape and only its values are wrong)."""


def _data(dtype):
    rng = np.random.default_rng(SEED)
    return rng.uniform(-1, 1, (N, N)).astype(dtype), rng.uniform(-1, 1, N).astype(dtype)


def _layer(W, b):
    X, _ = _data(W.dtype)
    Z = np.tanh(X @ W + b)
    return X, Z


def layer_loss(W, b):
    _, Z = _layer(W, b)
    return np.sum(Z ** 2) / 2


def layer_grad(W, b):
    X, Z = _layer(W, b)
    dA = Z * (1 - Z ** 2)
    return X.T @ dA, dA.sum(axis=0)


def layer_grad_transposed(W, b):
    dW, db = layer_grad(W, b)
    return dW.T, db


def layer_grad_bias_axis(W, b):
    X, Z = _layer(W, b)
    dA = Z * (1 - Z ** 2)
    return X.T @ dA, dA.sum(axis=1)


def ripple(x):
    return np.sum(np.sin(x ** 2)) + np.sum(x ** 3) / 3


def ripple_grad(x):
    return 2 * x * np.cos(x ** 2) + x ** 2


def ripple_grad_no_inner(x):
    return np.cos(x ** 2) + x ** 2          # d/dx[x**2] = 2x forgotten


def ripple_grad_one_sign(x):
    g = ripple_grad(x)
    g.reshape(-1)[1] *= -1
    return g


def ripple_grad_off(x):
    return ripple_grad(x) * x.dtype.type(1 + 1e-4)


def squares(x):
    _, y = _data(x.dtype)
    return np.sum((x - y) ** 2) / 2


def squares_grad(x):
    _, y = _data(x.dtype)
    return x - y


def squares_grad_half(x):
    return squares_grad(x) * x.dtype.type(0.5)


def leaky(x):
    a = np.where(x > 0, x, x * x.dtype.type(0.1))
    return np.sum(a ** 2) + np.sum(x)


def leaky_grad(x):
    a = np.where(x > 0, x, x * x.dtype.type(0.1))
    return 2 * a * np.where(x > 0, 1, x.dtype.type(0.1)) + 1


def leaky_grad_branch(x):
    a = np.where(x > 0, x, x * x.dtype.type(0.1))
    return 2 * a + 1                         # slope 1 below 0 as well


def _point(kind: str, dtype):
    rng = np.random.default_rng(SEED + 1)
    if kind == "layer":
        return {"W": rng.uniform(-1, 1, (N, N)).astype(dtype), "b": rng.uniform(-1, 1, N).astype(dtype)}
    return rng.uniform(-1.5, 1.5, (3, 4)).astype(dtype)


CASES = [
    # name, f, correct gradient, buggy gradient, point kind
    ("wrong sign in one coordinate", ripple, ripple_grad, ripple_grad_one_sign, "array"),
    ("missing chain-rule factor", ripple, ripple_grad, ripple_grad_no_inner, "array"),
    ("transposed weight gradient", layer_loss, layer_grad, layer_grad_transposed, "layer"),
    ("gradient scaled by 0.5", squares, squares_grad, squares_grad_half, "array"),
    ("wrong branch below 0", leaky, leaky_grad, leaky_grad_branch, "array"),
    ("bias gradient summed over the wrong axis", layer_loss, layer_grad, layer_grad_bias_axis, "layer"),
    ("off by 1e-4 relative", ripple, ripple_grad, ripple_grad_off, "array"),
]
"""Each planted bug with its correct twin."""


def point(kind: str, dtype):
    """The point a case is checked at (seeded)."""
    return _point(kind, dtype)


# ---------------------------------------------------------------- the tools


def _flat(point):
    if isinstance(point, dict):
        return np.concatenate([v.reshape(-1) for v in point.values()]), point
    return point.reshape(-1), point


def _unflat(vector, template):
    if isinstance(template, dict):
        out, start = {}, 0
        for name, value in template.items():
            out[name] = vector[start:start + value.size].reshape(value.shape).astype(value.dtype)
            start += value.size
        return out
    return vector.reshape(template.shape).astype(template.dtype)


def _call(function, args):
    return function(**args) if isinstance(args, dict) else function(args)


def _flat_gradient(gradient):
    if isinstance(gradient, tuple):
        return np.concatenate([np.asarray(g).reshape(-1) for g in gradient])
    return np.asarray(gradient).reshape(-1)


def diffcli_check(f, grad, at) -> bool:
    from diffcli.testing import assert_gradient

    try:
        assert_gradient(f, grad, at)
    except AssertionError:
        return False
    return True


def scipy_check(f, grad, at) -> bool:
    from scipy.optimize import check_grad

    x0, template = _flat(at)
    error = check_grad(lambda v: float(_call(f, _unflat(v, template))),
                       lambda v: _flat_gradient(_call(grad, _unflat(v, template))).astype(np.float64), x0)
    return error < 1e-5


def torch_check(f, grad, at) -> bool:
    import torch

    x0, template = _flat(at)

    class Checked(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return torch.as_tensor(float(_call(f, _unflat(v.detach().numpy(), template))), dtype=v.dtype)

        @staticmethod
        def backward(ctx, upstream):
            (v,) = ctx.saved_tensors
            g = _flat_gradient(_call(grad, _unflat(v.detach().numpy(), template)))
            return upstream * torch.as_tensor(g, dtype=v.dtype)

    v = torch.tensor(x0, requires_grad=True)
    try:
        return bool(torch.autograd.gradcheck(Checked.apply, (v,), raise_exception=False))
    except RuntimeError:
        return False


def jax_check(f, grad, at) -> bool:
    import jax
    import jax.numpy as jnp
    from jax.test_util import check_grads

    jax.config.update("jax_enable_x64", True)  # else JAX has no float64 at all; float32 stays float32
    x0, template = _flat(at)
    scalar = jax.ShapeDtypeStruct((), x0.dtype)
    vector = jax.ShapeDtypeStruct(x0.shape, x0.dtype)

    @jax.custom_vjp
    def checked(v):
        return jax.pure_callback(lambda u: np.asarray(_call(f, _unflat(np.asarray(u), template)), x0.dtype),
                                 scalar, v)

    def forward(v):
        return checked(v), v

    def backward(v, upstream):
        g = jax.pure_callback(lambda u: _flat_gradient(_call(grad, _unflat(np.asarray(u), template)))
                              .astype(x0.dtype), vector, v)
        return (upstream * g,)

    checked.defvjp(forward, backward)
    try:
        check_grads(checked, (jnp.asarray(x0),), order=1, modes=("rev",))
    except AssertionError:
        return False
    return True


TOOLS = [("diffcli", diffcli_check, "diffcli"), ("scipy check_grad", scipy_check, "scipy"),
         ("torch gradcheck", torch_check, "torch"), ("jax check_grads", jax_check, "jax")]


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def measure(tool, dtype) -> dict:
    """Per planted bug and per correct twin: did the check pass?  With the time of each check."""
    results = {"caught": [], "false_alarms": [], "seconds": []}
    for name, f, good, bad, kind in CASES:
        at = point(kind, dtype)
        for grad, bug in ((good, False), (bad, True)):
            start = time.perf_counter()
            passed = tool(f, grad, at)
            results["seconds"].append(time.perf_counter() - start)
            if bug and not passed:
                results["caught"].append(name)
            if not bug and not passed:
                results["false_alarms"].append(name)
    return results


def main() -> None:
    print("| tool | dtype | bugs caught | false alarms (of 7 correct twins) | missed | median time per check "
          "|")
    print("|---|---|---|---|---|---|")
    for label, tool, module in TOOLS:
        if not _installed(module):
            print(f"| {label} | | not installed | | | |")
            continue
        for dtype in ("float64", "float32"):
            r = measure(tool, np.dtype(dtype))
            missed = [name for name, *_ in CASES if name not in r["caught"]]
            print(f"| {label} | {dtype} | {len(r['caught'])} of {len(CASES)} | {len(r['false_alarms'])}"
                  f"{' (' + ', '.join(r['false_alarms']) + ')' if r['false_alarms'] else ''} | "
                  f"{', '.join(missed) or '—'} | {np.median(r['seconds']) * 1e3:.1f} ms |")


if __name__ == "__main__":
    main()
