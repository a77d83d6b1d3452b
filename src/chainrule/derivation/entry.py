"""``derive``: the entry point, from a model (or zoo name) to a :class:`Derivation`."""

from __future__ import annotations

from chainrule.derivation.build import build_steps
from chainrule.derivation.notation import Notation, load_notation
from chainrule.derivation.plan import Plan
from chainrule.derivation.result import Derivation
from chainrule.errors import ConfigError
from chainrule.formulas import LAYOUTS
from chainrule.losses import L2, Loss
from chainrule.model import Sequential

__all__ = ["derive"]

FORMS = ("matrix", "element", "both")
_ZOO_NOTATION = {"seed 000": "seed000", "seed 001": "seed001", "seed 002": "seed002",
                 "seed 003": "seed003", "seed 004": "seed004"}  # fmt: skip


def zoo_notation(net) -> str | None:
    """The preset of a zoo network's seed (``"seed003"``), or None."""
    return _ZOO_NOTATION.get(net.source)


def derive(
    model: Sequential | str,
    loss: Loss | None = None,
    *,
    l2: float | L2 | None = None,
    layout: str | None = None,
    notation: str | Notation | None = None,
    form: str = "matrix",
    batch: bool | None = None,
) -> Derivation:
    """The backprop derivation of ``model`` with ``loss``, from the layers' own formulas.

    Parameters
    ----------
    model : Sequential or str
        A model, or the name of a zoo network (``"seed003-relu-sigmoid-2-2-1"``), which
        brings its loss, L2 strength, example batch and its seed's notation.
    loss : Loss
        Required with a model; a zoo network's own by default.
    l2 : float or L2, optional
        The L2 strength (or an :class:`~chainrule.losses.L2`); 0 or None: no penalty.
    layout : {"row", "xw", "column"}, optional
        Default: the notation's.
    notation : str or Notation, optional
        A preset (``"seed004"``; :func:`~chainrule.derivation.notation.presets`), a TOML
        file, or a :class:`Notation`. Default: the zoo network's seed, else ``"default"``.
    form : {"matrix", "element", "both"}
        Matrix form, element-wise index form, or both.
    batch : bool, optional
        A mini-batch (the mean over ``n``) or one example. Default: the notation's.

    Raises
    ------
    ConfigError
        An unknown zoo name, notation, layout or form, a model without a loss, a layer
        without formulas (naming it), or names that clash in the notation.
    """
    data = None
    own = None
    if isinstance(model, str):
        from chainrule import zoo

        net = zoo.build(model)
        own = zoo_notation(net)
        model, loss = net.model, loss if loss is not None else net.loss
        l2 = net.l2 if l2 is None else l2
        data = (net.X, net.y)
    if not isinstance(model, Sequential):
        raise ConfigError(
            f"derive: expected a Sequential or a zoo name, got {type(model).__name__}"
        )
    if not isinstance(loss, Loss):
        raise ConfigError("derive: give the loss, e.g. derive(model, cr.HalfSquaredError())")
    nt = load_notation(notation if notation is not None else own)
    layout = nt.layout if layout is None else layout
    if layout not in LAYOUTS:
        raise ConfigError(f"derive: layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    if form not in FORMS:
        raise ConfigError(f"derive: form must be one of {', '.join(FORMS)}, got {form!r}")
    batch = (not nt.single) if batch is None else bool(batch)
    reg = _penalty(l2)
    if data is not None and not batch:
        data = (data[0][:1], data[1][:1])
    plan = Plan(model, loss, nt, layout, batch, reg)
    return Derivation(plan, build_steps(plan), form, data)


def _penalty(l2: float | L2 | None) -> L2 | None:
    if l2 is None or isinstance(l2, L2):
        return l2 if l2 is None or l2.lam > 0 else None
    if isinstance(l2, bool) or not isinstance(l2, int | float):
        raise ConfigError(f"derive: l2 must be a number or cr.L2, got {l2!r}")
    return L2(float(l2)) if l2 > 0 else None
