"""Forward mode costs D passes, reverse mode one: gradient time in units of f as the variables grow.

Run: python3 benchmarks/forward_vs_reverse.py
Prints, for f = sum of sin(x_i * x_{i+1}) + exp(x_i / 10) over D variables, the time of one whole gradient
divided by the time of one evaluation of f (all compiled to straight-line code, measured in this run),
for reverse mode and for forward mode (dual numbers), and their ratio.  Expect reverse/f to stay a small
constant and dual/f to grow like D.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diffcli.core.codegen import compile_function  # noqa: E402
from diffcli.core.parse import parse  # noqa: E402
from diffcli.harness import median_seconds  # noqa: E402
from diffcli.methods import METHODS  # noqa: E402


def expression(d: int) -> str:
    terms = [f"sin(x{i} * x{(i + 1) % d})" for i in range(d)] + [f"exp(x{i} / 10)" for i in range(d)]
    return ("a0 = " + terms[0] + "\n"
            + "\n".join(f"a{k} = a{k - 1} + {t}" for k, t in enumerate(terms[1:], 1))
            + f"\na{len(terms) - 1}")


def main() -> None:
    print(f"{'D':>4}  {'reverse / f':>12}  {'dual / f':>10}  {'dual / reverse':>15}")
    for d in (1, 2, 4, 8, 16, 32, 64):
        graph = parse(expression(d))
        values = [0.1 + 0.01 * i for i in range(d)]
        f = compile_function(graph)
        f_time = median_seconds(lambda f=f, values=values: f(*values), budget=0.2)
        times = {}
        for method in ("reverse", "dual"):
            run = METHODS[method].prepare(graph)
            times[method] = median_seconds(lambda run=run, values=values: run(values), budget=0.2)
        print(f"{d:>4}  {times['reverse'] / f_time:>12.2f}  {times['dual'] / f_time:>10.2f}  "
              f"{times['dual'] / times['reverse']:>15.2f}")


if __name__ == "__main__":
    main()
