"""The formula tables in the docstrings of chainrule.layers and chainrule.losses say what
the classes' own formula trees say (which equal their NumPy code, test_class_formulas)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule as cr
from chainrule.formulas import Names, Quantity

N, D_IN, D = 5, 3, 4
SHAPES = {"G": ("n", "d"), "X": ("n", D_IN), "W": ("d", D_IN), "z": ("n", "d"),
          "h": ("n", "d"), "s": ("n", "d"), "f": ("n", "d"), "y": ("n", "d"), "p": ("n", "d")}  # fmt: skip


def _table_formulas(doc: str, row: str) -> dict[str, str]:
    """``{"dW": "G^\\top X", ...}`` from the row of a docstring table."""
    line = next(ln for ln in doc.splitlines() if ln.startswith(row + " "))
    found = {}
    for math in re.findall(r":math:`([^`]*)`", line):
        for part in re.split(r",\\ ", math):
            lhs, _, rhs = part.partition(" = ")
            found[lhs.strip()] = rhs.strip()
    return found


def _values(rng):
    sizes = {"n": N, "d": D}
    values = {k: rng.standard_normal(tuple(sizes.get(d, d) for d in s)) for k, s in SHAPES.items()}
    values["p"] = rng.uniform(0.1, 0.9, (N, D))
    return values


def _layer_names():
    q = {"in": Quantity("z", ("n", D)), "out": Quantity("h", ("n", D)),
         "grad": Quantity("G", ("n", D)), "d_in": Quantity("dz", ("n", D))}  # fmt: skip
    return Names(q)


@pytest.mark.parametrize(
    ("row", "make"),
    [("ReLU", cr.ReLU), ("Sigmoid", cr.Sigmoid), ("Tanh", cr.Tanh), ("Identity", cr.Identity),
     ("Softmax", cr.Softmax)],
)  # fmt: skip
def test_activation_rows_match_the_class_trees(row, make):
    rhs = _table_formulas(cr.layers.__doc__, row)["dz"]
    doc_tree = cr.expr.parse(rhs, SHAPES)
    values = _values(np.random.default_rng(0))
    if row == "Softmax":
        values["h"] = values["s"] = cr.elementwise.softmax(values["z"])
    ours = make().formulas(_layer_names()).backward["in"]
    np.testing.assert_allclose(doc_tree.evaluate(values), ours.evaluate(values), rtol=1e-12)


def test_linear_row_matches_the_class_trees():
    formulas = _table_formulas(cr.layers.__doc__, "Linear")
    q = {"in": Quantity("X", ("n", D_IN)), "out": Quantity("Z", ("n", D)),
         "grad": Quantity("G", ("n", D)), "d_in": Quantity("dX", ("n", D_IN)),
         "W": Quantity("W", (D, D_IN)), "d_W": Quantity("dW", (D, D_IN)),
         "b": Quantity("b", (D,)), "d_b": Quantity("db", (D,))}  # fmt: skip
    ours = cr.Linear(D_IN, D).formulas(Names(q)).backward
    values = _values(np.random.default_rng(1))
    for lhs, role in (("dW", "W"), ("db", "b"), ("dX", "in")):
        doc_tree = cr.expr.parse(formulas[lhs], SHAPES)
        np.testing.assert_allclose(doc_tree.evaluate(values), ours[role].evaluate(values))


@pytest.mark.parametrize(
    ("row", "make", "out"),
    [("HalfSquaredError", cr.HalfSquaredError, "f"), ("MeanSquaredError", cr.MeanSquaredError, "f"),
     ("BinaryCrossEntropy", cr.BinaryCrossEntropy, "p")],
)  # fmt: skip
def test_loss_rows_match_the_class_trees(row, make, out):
    line = next(ln for ln in cr.losses.__doc__.splitlines() if ln.startswith(row + " "))
    rhs = re.findall(r":math:`([^`]*)`", line)[-1].replace("\\,", " ")
    doc_tree = cr.expr.parse(rhs, SHAPES)
    q = {"out": Quantity(out, ("n", D)), "target": Quantity("y", ("n", D)),
         "loss": Quantity("L", ()), "d_out": Quantity("df", ("n", D))}  # fmt: skip
    ours = make().formulas(Names(q)).backward["out"]
    values = _values(np.random.default_rng(2))
    np.testing.assert_allclose(doc_tree.evaluate(values), ours.evaluate(values), rtol=1e-12)
