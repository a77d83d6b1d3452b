"""The slowest inputs under the length limit: CPU milliseconds of one parse each.

    PYTHONPATH=src python benchmarks/formula_parse_speed.py

Each worst case fills the 2,000-character limit (letters, braces, brackets, operators,
scripts, commands); the issue's bound is 100 ms per input.
"""

from __future__ import annotations

import time

import chainrule as cr
from chainrule.expr.grammar import MAX_LENGTH

N = MAX_LENGTH
CASES = {
    "letters": "x" * N, "letters after ^": "x^{1}" + "x" * (N - 5), "braces": "{" * N,
    "subscript braces": "x_" + "{" * (N - 2), "parens": "(" * (N // 2) + "x" + ")" * (N // 2 - 1),
    "sums": "x+" * (N // 2 - 1) + "x", "minus": "-" * (N - 1) + "x", "hats": "\\hat{" * (N // 5),
    "norm bars": "\\|" * (N // 2), "fractions": "\\frac{x}{y}" * (N // 11),
    "scripts": "x^{" * (N // 3), "numbers": "9" * 30 + "+" * (N - 31) + "1",
    "matrix": "\\begin{bmatrix}" + "1&" * 600 + "1\\end{bmatrix}",
}  # fmt: skip


def main() -> None:
    table = {"x": (), "y": ()}
    cr.expr.parse("x", table, syntax="latex")
    cr.expr.parse("x", table, syntax="numpy")
    for name, text in CASES.items():
        start = time.process_time()
        try:
            cr.expr.parse(text[:N], table)
            outcome = "parsed"
        except cr.ChainruleError as error:
            outcome = error.message[:60]
        print(f"{name:18} {1000 * (time.process_time() - start):7.1f} ms  {outcome}")


if __name__ == "__main__":
    main()
