"""The plan of a derivation: the network's blocks and every quantity's name and storage.

The engine names quantities ``X``, ``z1``, ``h1``, ``W1``, ``b1``, ``f``, ``L`` and their
gradients ``dz1``, ``dh1``, ``dW1``, ...; a :class:`Plan` maps each engine key to the
:class:`~chainrule.formulas.Quantity` the notation writes (name, engine shape, storage).
An Identity activation is folded: its output is its input (``f = w_3 h_2 + b_3``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chainrule.derivation.notation import Notation
from chainrule.errors import ConfigError
from chainrule.expr.shapes import Dim
from chainrule.formulas import LAYOUT_STORAGE, Names, Quantity
from chainrule.layers import Identity, Layer, Linear
from chainrule.losses import L2, BinaryCrossEntropy, Loss, SoftmaxCrossEntropy
from chainrule.model import Sequential

__all__ = ["Block", "Plan", "blocks_of"]


@dataclass
class Block:
    """Linear layer number ``k`` and the layer after it (None, or folded Identity)."""

    k: int
    linear: Linear
    activation: Layer | None

    @property
    def pre(self) -> str:
        return f"z{self.k}"

    @property
    def post(self) -> str:
        """The engine key of the block's output: ``h_k``, or ``z_k`` when there is no
        activation to apply."""
        return self.pre if self.activation is None else f"h{self.k}"


def blocks_of(model: Sequential) -> list[Block]:
    """Group the layers as Linear + at most one layer after it.

    Raises
    ------
    ConfigError
        A model that starts with something else than a Linear layer, or two non-linear
        layers in a row (the message names the layer).
    """
    blocks: list[Block] = []
    for layer in model.layers:
        if isinstance(layer, Linear):
            blocks.append(Block(len(blocks) + 1, layer, None))
            continue
        if not blocks:
            raise ConfigError(
                f"derive: the network starts with {layer.label}; it must start with a Linear layer"
            )
        last = blocks[-1]
        if last.activation is not None:
            raise ConfigError(
                f"derive: {layer.label} follows {last.activation.label}; derive takes at most "
                "one activation after each Linear layer"
            )
        last.activation = None if isinstance(layer, Identity) else layer
        if isinstance(layer, Identity):
            last.identity = layer  # type: ignore[attr-defined]
    return blocks


@dataclass
class Plan:
    """Every engine key's quantity for one network, loss, notation, layout and batch mode."""

    model: Sequential
    loss: Loss
    notation: Notation
    layout: str
    batch: bool
    l2: L2 | None
    blocks: list[Block] = field(init=False)
    q: dict[str, Quantity] = field(init=False)

    def __post_init__(self) -> None:
        self.blocks = blocks_of(self.model)
        self.q = {}
        self._name_all()
        names = [q.name for q in self.q.values()]
        if len(set(names)) != len(names):
            twice = sorted({n for n in names if names.count(n) > 1})
            raise ConfigError(
                f"notation {self.notation.name}: the name(s) {', '.join(twice)} stand for two "
                "different quantities"
            )

    @property
    def n(self) -> Dim:
        return self.notation.batch if self.batch else 1

    @property
    def output(self) -> str:
        return self.blocks[-1].post

    @property
    def fused_logits(self) -> bool:
        """Whether the loss takes logits (its output is named as a pre-activation)."""
        return isinstance(self.loss, SoftmaxCrossEntropy) or (
            isinstance(self.loss, BinaryCrossEntropy) and self.loss.from_logits
        )

    def _store(self, kind: str) -> str:
        return LAYOUT_STORAGE[self.layout][kind]

    def _add(self, key: str, name: str, shape: tuple, kind: str, grad: str | None = None) -> None:
        stored = self._store(kind) if kind != "scalar" else "same"
        self.q[key] = Quantity(name, shape, stored)
        if grad is not None:
            self.q[f"d{key}"] = Quantity(grad, shape, stored)

    def _name_all(self) -> None:
        nt, n = self.notation, self.n
        first = self.blocks[0].linear
        x = nt.input if self.batch else nt.input_single
        self._add("X", x, (n, first.d_in), "batch", nt.grad(x))
        last = self.blocks[-1]
        for b in self.blocks:
            lin, k = b.linear, b.k
            shape = (n, lin.d_out)
            pre = nt.layer(nt.pre, k)
            post = nt.layer(nt.act, k) if b.activation is not None else pre
            is_out = b is last
            if is_out and not (self.fused_logits and b.activation is None):
                # the output by the notation's name, else as an activation (seed 001's h^3)
                post = nt.output or nt.layer(nt.act, k)
                if b.activation is None:
                    pre = post
            delta = nt.layer(nt.delta, k) if nt.delta else nt.grad(pre)
            out_grad = nt.output_grad or (delta if b.activation is None else nt.grad(post))
            if b.activation is None:
                self._add(b.pre, pre, shape, "batch", out_grad if is_out else delta)
            else:
                self._add(b.pre, pre, shape, "batch", delta)
                self._add(b.post, post, shape, "batch", out_grad if is_out else nt.grad(post))
            weight = self._store("weight")
            if k in nt.transposed:
                weight = "same" if weight == "transposed" else "transposed"
            w, wshape = nt.layer(nt.weight, k), (lin.d_out, lin.d_in)
            self.q[f"W{k}"] = Quantity(w, wshape, weight)
            self.q[f"dW{k}"] = Quantity(nt.grad(w), wshape, weight)
            if lin.bias:
                self._add(
                    f"b{k}",
                    nt.layer(nt.bias, k),
                    (lin.d_out,),
                    "bias",
                    nt.grad(nt.layer(nt.bias, k)),
                )
        target = nt.onehot if isinstance(self.loss, SoftmaxCrossEntropy) else nt.target
        self._add("y", target, (n, last.linear.d_out), "batch")
        self.q["L"] = Quantity(nt.loss, ())
        if self.l2 is not None:
            self.q["lambda"] = Quantity(nt.lam, ())
        if isinstance(self.loss, SoftmaxCrossEntropy):
            self._add("P", nt.probs, (n, last.linear.d_out), "batch")

    # ------------------------------------------------------------ names for the classes

    @property
    def ones(self) -> str | None:
        if self.layout == "column" and self.batch and self.notation.ones:
            return self.notation.ones
        return None

    def names(self, roles: dict[str, str]) -> Names:
        """:class:`~chainrule.formulas.Names` from roles to engine keys."""
        return Names({role: self.q[key] for role, key in roles.items()}, self.n, self.ones)

    def block_input(self, b: Block) -> str:
        return "X" if b.k == 1 else self.blocks[b.k - 2].post

    def linear_names(self, b: Block) -> Names:
        x = self.block_input(b)
        roles = {"in": x, "out": b.pre, "grad": f"d{b.pre}", "d_in": f"d{x}"}
        roles |= {"W": f"W{b.k}", "d_W": f"dW{b.k}"}
        if b.linear.bias:
            roles |= {"b": f"b{b.k}", "d_b": f"db{b.k}"}
        return self.names(roles)

    def activation_names(self, b: Block) -> Names:
        roles = {"in": b.pre, "out": b.post, "grad": f"d{b.post}", "d_in": f"d{b.pre}"}
        return self.names(roles)

    def loss_names(self) -> Names:
        out = self.output
        return self.names({"out": out, "target": "y", "loss": "L", "d_out": f"d{out}"})

    def l2_names(self) -> Names:
        roles = {"lambda": "lambda", "loss": "L"}
        for b in self.blocks:
            roles |= {f"W{b.k}": f"W{b.k}", f"d_W{b.k}": f"dW{b.k}"}
        return self.names(roles)
