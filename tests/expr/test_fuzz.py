"""Hostile input: only ExpressionError comes out, and every input returns within 100 ms.

Hypothesis draws the strings: random token soups, random characters, and mutations of
every seed formula. Each example checks a batch of strings (one drawn directly, the rest
derived from it by a seeded generator), so the 20,000 inputs stay within a few seconds.
"""

from __future__ import annotations

import gc
import random
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule as cr

from . import hostile
from .seed_formulas import CONTEXTS, FORMULAS

SYMBOLS = {**CONTEXTS["000a"][0], **CONTEXTS["001a"][0], **CONTEXTS["004d"][0]}
FUNCTIONS = CONTEXTS["004d"][1]
SEEDS = [text for _, text, _ in FORMULAS]
TOKENS = [
    "x", "y", "W_3", "W^{(2)}", "h_{1,1}^2", "\\delta", "\\hat{x}", "A", "Z", "u", "I", "e",
    "n", "0", "1", "0.5", "2", "+", "-", "/", "*", "**", "@", ".T", "^", "_", "^T", "'",
    "(", ")", "[", "]", "{", "}", "\\{", "\\|", "|", ",", "&", "\\\\", "=", ">", "<=", "==",
    "\\cdot", "\\odot", "\\circ", "\\frac", "\\frac{", "}{", "\\partial", "\\sum_{i=1}^{n}",
    "\\sum", "\\sigma", "\\text{relu}", "\\operatorname{softmax}", "\\exp", "\\log", "\\ln",
    "\\max", "\\sqrt", "\\mathbb{1}", "\\mathbf{1}", "\\left(", "\\right)", "\\left\\|",
    "\\begin{bmatrix}", "\\end{bmatrix}", "\\begin{cases}", "\\top", "\\intercal", "g'",
    "np.maximum(", "sum(", "axis=0", "relu(", "sigmoid(", "[0]", ":", "?", "\\quad", " ",
    "\\x", "é", "\x00", "\n", "1e999", "9" * 40, "((((", "))))", "^{^{", "_{_{",
]  # fmt: skip
ALPHABET = "xyzWAhbn0123456789+-*/@^_'(){}[]|,&=<>.:\\ \n\tTé?"
BATCH = 10

# Building a grammar's parse tables happens once per process; load both before timing.
cr.expr.parse("x", {"x": ()}, syntax="latex")
cr.expr.parse("x", {"x": ()}, syntax="numpy")
LIMIT_S = 0.1  # per input, in CPU seconds of this process


def check(text: str) -> None:
    # The collector's pauses belong to whoever made the garbage (hypothesis, mostly).
    gc.disable()
    start = time.process_time()
    try:
        tree = cr.expr.parse(text, SYMBOLS, functions=FUNCTIONS)
        cr.expr.to_latex(tree)
        str(tree)
    except cr.expr.ExpressionError as error:
        assert error.message
        str(error)
    finally:
        elapsed = time.process_time() - start
        gc.enable()
    assert elapsed < LIMIT_S, f"{elapsed * 1000:.0f} ms for {text!r}"


def mutate(text: str, rng: random.Random) -> str:
    """Mutate ``text`` with this file's tokens (the corpus's mutation, ``hostile.mutate``)."""
    return hostile.mutate(text, rng, TOKENS)


def soup(rng: random.Random) -> str:
    return "".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 30)))


def fast(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )


@fast(700)
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.integers(0, 2**32))
def test_token_soup(tokens: list[str], seed: int) -> None:
    rng = random.Random(seed)
    check("".join(tokens))
    for _ in range(BATCH - 1):
        check(soup(rng))


@fast(400)
@given(st.text(alphabet=ALPHABET, max_size=80), st.integers(0, 2**32))
def test_random_characters(text: str, seed: int) -> None:
    rng = random.Random(seed)
    check(text)
    for _ in range(BATCH - 1):
        check("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 60))))


@fast(900)
@given(st.sampled_from(SEEDS), st.integers(0, 2**32))
def test_mutated_seed_formulas(text: str, seed: int) -> None:
    rng = random.Random(seed)
    check(text)
    for _ in range(BATCH - 1):
        check(mutate(text, rng))


def test_fuzz_budget_is_at_least_twenty_thousand_inputs() -> None:
    examples = sum(
        t._hypothesis_internal_use_settings.max_examples  # type: ignore[attr-defined]
        for t in (test_token_soup, test_random_characters, test_mutated_seed_formulas)
    )
    assert examples * BATCH >= 20_000


def test_long_deep_and_once_crashing_inputs() -> None:
    texts = [
        "(" * 3000 + "x" + ")" * 3000,
        "x+" * 2400 + "x",
        "-" * 4000 + "x",
        "x" * 6000,
        "\\frac{" * 800,
        "x^{" * 1000,
        "\\sqrt{" * 900 + "x" + "}" * 900,
        "\\frac{\\partial x_1{y}{z}}{\\partial x}",  # once a TypeError in name splitting
    ]
    for text in texts:
        check(text)
