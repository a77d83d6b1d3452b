r"""Derivations of a network's backprop, composed from the layers' own formulas.

>>> import chainrule as cr
>>> d = cr.derive("seed003-relu-sigmoid-2-2-1")          # the seed's network and notation
>>> d.step("dW1").latex
'\\frac{\\partial J}{\\partial W^{(1)}} = \\frac{\\partial J}{\\partial h^{(1)}} x^T'
>>> d.verify().ok
True

API (what ``check`` and ``explore`` code against)
-------------------------------------------------
``cr.derive(model_or_zoo_name, loss=None, *, l2=None, layout=None, notation=None,
form="matrix", batch=None) -> Derivation``; layout ``"row"`` (``X W^T + b``, the engine's),
``"xw"`` (``X W + b``) or ``"column"`` (``W X + b u``); notation a preset name
(:func:`presets`), a TOML file or a :class:`Notation`; ``batch=False`` for one example.
Defaults come from the notation (and for a zoo name, from its seed).

``Derivation``
    ``.steps``: list of :class:`Step`, forward first (``z1``, ``h1``, ..., ``L``), then the
    output gradient and the backward pass from the last layer to the first (``dz2``,
    ``dW2``, ``db2``, ``dh1``, ...). ``.step(key)`` (also ``d[key]``): by engine key
    (``"dW2"``), by parameter (``"W2"`` -> its gradient) or by the quantity as written
    (``"\\frac{\\partial l}{\\partial W^{2}}"``). ``.symbols``: name -> shape, the symbol
    table for :func:`chainrule.expr.parse` in this notation (every forward quantity,
    weight, bias, target, gradient and delta, ``\\lambda``, the ones row ``u``; sizes are
    ints except the batch, a name such as ``"n"`` when ``batch=True``, else 1).
    ``.values(X, y)``: every symbol -> its float64 number from the engine at the model's
    current weights (``X`` in the engine's layout (n, d_in), ``y`` as the loss takes it;
    omitted for a zoo network: its example batch). ``.verify(X, y)`` -> ``Verification``
    with ``.errors`` (step name -> relative error of its formula against the engine),
    ``.expanded_errors``, ``.max_error``, ``.ok`` (all < 1e-9). ``.notation``, ``.layout``,
    ``.batch``, ``.plan`` (the quantities: ``plan.q[engine_key]`` is a
    :class:`~chainrule.formulas.Quantity` with ``.name``, ``.shape``, ``.stored``).

``Step``
    ``.name`` (engine key), ``.kind`` (``forward``, ``loss``, ``output``, ``activation``,
    ``weight``, ``bias``, ``input``), ``.layer`` (``"Linear 2"``), ``.param`` (``"W2"`` for
    its gradient step), ``.quantity`` (the left-hand side, a ``Symbol``), ``.expr`` (the
    right-hand side in terms of the step before: deltas, activations), ``.expanded`` (the
    same with every earlier gradient replaced by its formula), ``.shape``, ``.latex``
    (``lhs = rhs``; parses back to ``Equation((quantity, expr))``), ``.lhs``, ``.rhs``,
    ``.text``, ``.note``.
"""

from __future__ import annotations

from chainrule.derivation.entry import FORMS, derive
from chainrule.derivation.notation import Notation, load_notation, presets
from chainrule.derivation.result import Derivation, Verification
from chainrule.derivation.step import Step

__all__ = [
    "FORMS",
    "Derivation",
    "Notation",
    "Step",
    "Verification",
    "derive",
    "load_notation",
    "presets",
]
