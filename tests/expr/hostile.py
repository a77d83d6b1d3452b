"""A generated corpus of hostile formulas, and what must hold for each of them.

Each input goes through ``parse``, the round trip ``parse(to_latex(e)) == e``, ``evaluate``
(exactly, with int inputs, and in float64) and ``scalar.build``. Only a ChainruleError may
come out of any of them, and where two of them compute the same number they must agree:
the exact and the float evaluation, and the evaluation and the scalar graph. An input is
counted as ``ok`` (everything ran), ``clear`` (a ChainruleError stopped it), ``crash``
(any other exception) or ``silent`` (a wrong value or a failed round trip, with no error).

Run ``python benchmarks/hostile_formulas.py`` for the counts of each family.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import chainrule as cr
from chainrule.errors import ChainruleError
from chainrule.scalar import build

from .seed_formulas import CONTEXTS, FORMULAS

#: A table of concrete shapes for the generated strings; every name has a value below.
TABLE: dict[str, Any] = {
    "x": (), "y": (), "z": (), "h": (), "h^2": (), "e": (), "L": (), "x_1": (),
    "v": (3,), "w": (3,), "c": (3, 1), "r": (1, 3), "M": (3, 3), "N": (3, 2),
    "W_3": (3, 3), "W^{(2)}": (3, 3), "h_{1,1}^2": (), "\\delta": (3, 1), "\\hat{x}": (3, 1),
    "\\hat{y}": (3,), "A": ("n", 3), "Z": ("n", 3), "u": (3, 1), "h2": (),
}  # fmt: skip
FUNCTIONS = {"g": None, "g^{[l]}": "sigmoid"}
TOKENS = [
    "x", "y", "z", "h", "h^2", "v", "w", "c", "r", "M", "N", "W_3", "W^{(2)}", "h_{1,1}^2",
    "\\delta", "\\hat{x}", "\\hat{y}", "A", "Z", "u", "I", "e", "n", "i", "g", "0", "1", "0.5",
    "2", "3", "1e5", "+", "-", "/", "*", "**", "@", ".T", "^", "_", "^T", "'", "(", ")", "[",
    "]", "{", "}", "\\{", "\\|", "|", ",", "&", "\\\\", "=", ">", "<=", "==", "\\cdot",
    "\\odot", "\\circ", "\\frac", "\\frac{", "}{", "\\partial", "\\sum_{i=1}^{3}", "\\sum",
    "\\sigma", "\\text{relu}", "\\operatorname{softmax}", "\\exp", "\\log", "\\ln", "\\max",
    "\\sqrt", "\\sqrt{", "\\mathbb{1}", "\\mathbf{1}", "\\left(", "\\right)", "\\left\\|",
    "\\begin{bmatrix}", "\\end{bmatrix}", "\\top", "g'", "np.maximum(", "sum(", "axis=0",
    "relu(", "exp(", "sigmoid(", "[0]", ":", " ", "\\x", "é", "\n", "1e99", "9" * 31,
    "((((", "))))", "^{^{", "_{_{", "I_{3}", "\\mathbf{1}_{3 \\times 1}", "x_i", "v_{2}",
]  # fmt: skip
ALPHABET = "xyzvwcrMNAZhIe0123456789+-*/@^_'(){}[]|,&=<>.:\\ \n\tTé?"

#: Inputs that broke something once, each with its own table and exact values.
KNOWN: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("\\sqrt{\\sqrt{x}}", {"x": ()}, {"x": 2}),
    ("\\frac{1}{3} \\|\\hat{y} - y\\|^2", {"\\hat{y}": (2,), "y": (2,)},
     {"\\hat{y}": [1, 2], "y": [0, 0]}),
    ("\\exp(x)", {"x": ()}, {"x": 10**400}),
    ("\\exp(x)", {"x": ()}, {"x": 1000}),
    ("\\sum_{i=1}^{\\log(0)} x", {"x": ()}, {"x": 1}),
    ("v_{x}", {"x": (), "v": (3,)}, {"x": 1, "v": [1, 2, 3]}),
    ("\\frac{\\partial x}{\\partial y}", {"x": (), "y": ()}, {"x": 1, "y": 2}),
    ("I_{30000}", {}, {}),
    ("\\mathbf{1}_{" + " \\times ".join(["2"] * 33) + "}", {}, {}),
    ("\\mathbf{1}_{30000 \\times 30000}", {}, {}),
    ("\\sum_{i=1}^{3000}\\sum_{j=1}^{3000} x", {"x": ()}, {"x": 1}),
    ("\\sum_{i=1}^{99999} x", {"x": ()}, {"x": 1}),
    ("\\sum_{i=1}^{10^{30}} x", {"x": ()}, {"x": 1}),
    ("\\sum_{i=1}^{5000} x_i", {"x": (5000,)}, {"x": [1] * 5000}),
    ("x^{2 \\cdot 3}", {"x": ()}, {"x": 2}),
    ("v_{1 \\cdot 1}", {"v": (3,)}, {"v": [1, 2, 3]}),
    ("1e100 * x", {"x": ()}, {"x": 1}),
    ("1e-100 + x", {"x": ()}, {"x": 1}),
    ("c[0]", {"c": (3, 1)}, {"c": [[1], [2], [3]]}),
    ("h ** 2", {"h": (), "h^2": ()}, {"h": 3, "h^2": 5}),
    ("v[0] + v_1", {"v": (3,), "v_1": ()}, {"v": [1, 2, 3], "v_1": 7}),
    ("W.T", {"W": (2, 3), "W^T": (3, 2)}, {"W": [[1, 2, 3], [4, 5, 6]], "W^T": [[0] * 2] * 3}),
    ("\\mathbf{1} + x", {"x": ()}, {"x": 1}),
    ("2^{2^{2^{2^{2^{2}}}}}", {}, {}),
    ("(10^{30})^{100} x", {"x": ()}, {"x": 1}),
    ("\\frac{1}{x}", {"x": ()}, {"x": 0}),
    ("x^{-1}", {"x": ()}, {"x": 0}),
    ("\\log(x) + \\sqrt{y}", {"x": (), "y": ()}, {"x": 0, "y": -1}),
    ("x " * 99 + "x", {"x": ()}, {"x": 1}),
    ("(" * 100 + "x" + ")" * 100, {"x": ()}, {"x": 1}),
    ("-" * 200 + "x", {"x": ()}, {"x": 1}),
    ("\\exp(" * 60 + "x" + ")" * 60, {"x": ()}, {"x": -50}),
    ("x^{" * 300 + "x" + "}" * 300, {"x": ()}, {"x": 1}),
    ("\\frac{" * 60 + "x" + "}{2}" * 60, {"x": ()}, {"x": 1}),
    ("\\sqrt{" * 100 + "x" + "}" * 100, {"x": ()}, {"x": 3}),
    ("W W W W W W W W", {"W": (300, 300)}, {"W": [[1] * 300] * 300}),
    ("\\begin{bmatrix}" + " \\\\ ".join(" & ".join(["x"] * 20) for _ in range(20))
     + "\\end{bmatrix}", {"x": ()}, {"x": 1}),
    ("{" * 1999, {}, {}),
    ("x_" + "{" * 1990, {"x": ()}, {"x": 1}),
    ("\\hat{" * 600, {}, {}),
    ("\\left\\|" * 300, {}, {}),
    ("  \n ", {}, {}),
    ("x\udcff", {"x": ()}, {"x": 1}),
]  # fmt: skip
KNOWN += [("x" * n, {"x": ()}, {"x": 1}) for n in (99, 100, 101, 250, 333, 494, 992, 2000)]
KNOWN += [("a" * 1000 + "b", {"a": (), "b": ()}, {"a": 1, "b": 1})]


@dataclass(frozen=True)
class Case:
    """One input: its family, text, symbol table, functions and exact values."""

    family: str
    text: str
    symbols: dict[str, Any]
    functions: dict[str, str | None] | None
    values: dict[str, Any]


@dataclass
class Outcome:
    """What happened to one input, and the CPU seconds each stage took."""

    verdict: str = "ok"  # ok, clear, crash or silent
    detail: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


def _values_for(symbols: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Small int values for a table; every dimension name stands for 2."""
    values: dict[str, Any] = {"i": 1, "j": 2, "k": 1, "l": 1}
    for name, shape in symbols.items():
        sizes = tuple(2 if isinstance(d, str) else d for d in shape)
        values[name] = np.array([rng.randint(-3, 3) for _ in range(int(np.prod(sizes)))],
                                dtype=np.int64).reshape(sizes).tolist()  # fmt: skip
    return values


def mutate(text: str, rng: random.Random, tokens: list[str] = TOKENS) -> str:
    """Delete, insert one of ``tokens``, repeat or move a random piece of ``text``, 1 to 4
    times."""
    for _ in range(rng.randint(1, 4)):
        i, j = sorted(rng.randrange(len(text) + 1) for _ in range(2))
        choice = rng.randrange(4)
        if choice == 0:
            text = text[:i] + text[j:]
        elif choice == 1:
            text = text[:i] + rng.choice(tokens) + text[i:]
        elif choice == 2:
            text = text[:i] + text[i:j] * rng.randint(2, 5) + text[j:]
        else:
            text = text[:i] + text[j:] + text[i:j]
    return text


class _Writer:
    """Random well-formed formulas over :data:`TABLE`, as people type them.

    ``latex`` mixes LaTeX with everyday syntax (``*``, ``^``, ``**``, ``exp(...)``);
    otherwise NumPy style. Most of them parse, so the later stages are exercised.
    """

    def __init__(self, rng: random.Random, latex: bool) -> None:
        self.rng, self.latex = rng, latex

    def pick(self, *options: Any) -> Any:
        return self.rng.choice(options)

    def scalar(self, depth: int) -> str:
        if depth <= 0 or self.rng.random() < 0.25:
            names = ("x", "y", "z", "h", "L", "2", "0.5", "3", "10", "0")
            extra = ("x_1", "h^2", "h_{1,1}^2", "v_{2}", "v_i") if self.latex else ("v[1]",)
            return self.pick(*names, *extra)
        a, b = self.scalar(depth - 1), self.scalar(depth - 1)
        if self.latex:
            return self.pick(
                f"{a} + {b}",
                f"{a} - {b}",
                f"-{a}",
                f"{a} {b}",
                f"{a} \\cdot {b}",
                f"{a}*{b}",
                f"\\frac{{{a}}}{{{b}}}",
                f"({a})/({b})",
                f"({a})^{{{self.pick(2, 3, -1)}}}",
                f"({a})**2",
                f"\\exp({a})",
                f"exp({a})",
                f"\\log({a})",
                f"\\sqrt{{{a}}}",
                f"\\sigma({a})",
                f"\\tanh({a})",
                f"\\text{{relu}}({a})",
                f"\\max({a}, {b})",
                f"[{a} > {b}]",
                f"\\|{self.vector(depth - 1)}\\|",
                f"w^T {self.vector(depth - 1)}",
                f"\\sum_{{i=1}}^{{3}} v_i ({a})",
                f"\\operatorname{{sum}}({self.vector(depth - 1)})",
                f"c^T M c + {a}",
                f"e^{{{a}}}",
                f"({a})^{{x}}",
                f"g^{{[l]}}({a})",
                f"x^{{2 \\cdot 3}} {a}",
            )
        return self.pick(
            f"{a} + {b}",
            f"{a} - {b}",
            f"-{a}",
            f"{a} * {b}",
            f"({a}) / ({b})",
            f"({a})**2",
            f"np.exp({a})",
            f"np.log({a})",
            f"np.sqrt({a})",
            f"sigmoid({a})",
            f"np.tanh({a})",
            f"np.maximum({a}, {b})",
            f"({a} > {b})",
            f"{self.vector(depth - 1)} @ w",
            f"sum({self.vector(depth - 1)})",
            f"np.linalg.norm({self.vector(depth - 1)})",
            f"(c.T @ M @ c)[0, 0] + {a}",
            f"relu({a})",
            f"h ** 2 + h2 * {a}",
        )

    def vector(self, depth: int) -> str:
        if depth <= 0 or self.rng.random() < 0.4:
            return self.pick("v", "w", "\\hat{y}" if self.latex else "v")
        a, b = self.vector(depth - 1), self.vector(depth - 1)
        if self.latex:
            return self.pick(f"{a} + {b}", f"{a} \\odot {b}", f"x ({a})", f"M ({a})",
                             f"\\exp({a})", f"{a} - {self.scalar(depth - 1)} {b}")  # fmt: skip
        return self.pick(f"{a} + {b}", f"{a} * {b}", f"x * ({a})", f"M @ ({a})", f"np.exp({a})")


def corpus(size: int = 20_000, seed: int = 0) -> Iterator[Case]:
    """``size`` generated inputs (token soups, characters, mutated seeds) and the known ones."""
    rng = random.Random(seed)
    values = _values_for(TABLE, rng)
    values["h^2"] = 5  # a symbol that also reads as h squared: the two must stay apart
    for text, symbols, given in KNOWN:
        yield Case("known", text, symbols, None, given)
    seeds = [(CONTEXTS[ctx], text) for ctx, text, _ in FORMULAS]
    seed_values = {id(c[0]): _values_for(c[0], rng) for c, _ in seeds}
    for n in range(size):
        kind = n % 5
        if kind >= 3:
            text = _Writer(rng, latex=kind == 3).scalar(rng.randint(1, 4))
            text = mutate(text, rng) if rng.random() < 0.3 else text
            yield Case("written", text, TABLE, FUNCTIONS, values)
        elif kind == 0:
            text = "".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 30)))
            yield Case("token soup", text, TABLE, FUNCTIONS, values)
        elif kind == 1:
            text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 60)))
            yield Case("characters", text, TABLE, FUNCTIONS, values)
        else:
            (symbols, functions), text = seeds[(n // 5) % len(seeds)]
            text = text if n // 5 < len(seeds) else mutate(text, rng)
            yield Case("seed formulas", text, symbols, functions, seed_values[id(symbols)])


def _floats(values: dict[str, Any]) -> dict[str, Any]:
    def as_float(v: Any) -> Any:
        try:
            return np.asarray(v, dtype=float)
        except OverflowError:
            return np.inf  # an int beyond float64: the float evaluation must refuse it

    return {k: v if k in ("i", "j", "k", "l") else as_float(v) for k, v in values.items()}


def _close(a: Any, b: Any) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(1.0, float(np.max(np.abs(a), initial=0)), float(np.max(np.abs(b), initial=0)))
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9 * scale))


class _Stop(Exception):
    """A stage ended the run of one input (its verdict is set)."""


def _stage(outcome: Outcome, name: str, run: Any) -> Any:
    start = time.process_time()
    try:
        return run()
    except ChainruleError as error:
        if not str(error):
            outcome.verdict, outcome.detail = "crash", f"{name}: an empty message"
        raise _Stop from None
    except Exception as error:  # the point of the corpus: anything else is a crash
        outcome.verdict, outcome.detail = "crash", f"{name}: {type(error).__name__}: {error}"
        raise _Stop from None
    finally:
        outcome.seconds[name] = time.process_time() - start


def check(case: Case) -> Outcome:
    """Run one input through every stage; the first stage that stops it gives the verdict."""
    outcome = Outcome()
    parse = cr.expr.parse
    try:
        tree = _stage(outcome, "parse", lambda: parse(case.text, case.symbols,
                                                      functions=case.functions))  # fmt: skip
    except _Stop:
        return outcome if outcome.verdict == "crash" else Outcome("clear", "", outcome.seconds)
    try:
        text = _stage(outcome, "to_latex", lambda: cr.expr.to_latex(tree))
        again = _stage(outcome, "reparse", lambda: parse(text, case.symbols,
                                                         functions=case.functions))  # fmt: skip
    except _Stop:
        if outcome.verdict != "crash":
            outcome.verdict, outcome.detail = "silent", "to_latex gives text that does not parse"
        return outcome
    if again != tree:
        outcome.verdict, outcome.detail = "silent", f"round trip changes the tree: {text}"
        return outcome
    _evaluations(case, tree, outcome)
    return outcome


def _evaluations(case: Case, tree: Any, outcome: Outcome) -> None:
    results = {}
    for mode, values in (("exact", case.values), ("float", _floats(case.values))):
        try:
            results[mode] = _stage(outcome, mode, lambda v=values: cr.expr.evaluate(tree, v))
        except _Stop:
            if outcome.verdict == "crash":
                return
    comparable = len(results) == 2 and not isinstance(tree, cr.expr.Equation)
    if comparable and not _close(results["exact"], results["float"]):
        outcome.verdict = "silent"
        outcome.detail = f"exact {results['exact']} != float {results['float']}"
        return
    at = {k: v for k, v in case.values.items() if k in case.symbols and np.ndim(v) <= 2}
    try:
        out, _ = _stage(outcome, "build", lambda: build(case.text, at))
    except _Stop:
        if outcome.verdict != "crash":
            outcome.verdict = "clear" if not results else "ok"
        return
    expected = results.get("float")
    if isinstance(tree, cr.expr.Equation):
        return  # build reads `L = ...` as naming the output L; evaluate tests an equation
    if expected is not None and np.ndim(expected) == 0 and not _close(out.data, expected):
        outcome.verdict = "silent"
        outcome.detail = f"scalar graph {out.data} != evaluate {expected}"


def tally(cases: Iterator[Case]) -> tuple[Counter, list[tuple[Case, Outcome]]]:
    """Counts of (family, verdict) over ``cases``, and the cases that crashed or went silent."""
    counts: Counter = Counter()
    bad = []
    for case in cases:
        outcome = check(case)
        counts[case.family, outcome.verdict] += 1
        if outcome.verdict in ("crash", "silent"):
            bad.append((case, outcome))
    return counts, bad
