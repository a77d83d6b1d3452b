r"""Element-wise (and row-wise) activations: ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Softmax."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import ClassVar

import numpy as np

from chainrule import elementwise as ew
from chainrule.errors import ConfigError
from chainrule.expr import tree as T
from chainrule.formulas import Formulas, Names
from chainrule.layers.base import Layer

__all__ = [
    "Activation",
    "Identity",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "stable_sigmoid",
]

_ZERO, _ONE, _TWO = T.Constant(0), T.Constant(1), T.Constant(2)


class Activation(Layer):
    """An element-wise (or row-wise) function; shape in = shape out."""

    #: Activations with a kink, whose derivative jumps (gradcheck skips probes across it).
    has_kink: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()
        self._z: np.ndarray | None = None
        self._h: np.ndarray | None = None

    def kink_sides(self) -> np.ndarray | None:
        """For an activation with a kink at 0: ``z > 0`` for the inputs of the last forward,
        the side of the kink each lies on (None before a forward, or without a kink)."""
        if not self.has_kink or self._z is None:
            return None
        return self._z > 0

    def forget(self) -> None:
        """Also let go of the last input and output (the input may be the caller's array)."""
        super().forget()
        self._z = self._h = None

    def formulas(self, names: Names) -> Formulas:
        """``h = f(z)`` and ``dL/dz`` from ``G = dL/dh`` as trees (roles ``in`` = z,
        ``out`` = h, ``grad`` = G, ``d_in``), from the class's :meth:`trees`."""
        Z, H, G = names.row("in"), names.row("out"), names.row("grad")
        trees = self.trees(Z, H, G)
        if trees is None:
            return super().formulas(names)
        forward, dz = trees
        return names.formulas(forward, {"in": dz})

    def trees(self, Z: T.Expr, H: T.Expr, G: T.Expr) -> tuple[T.Expr, T.Expr] | None:
        """Row-major ``(h = f(z), dL/dz)`` for this activation; None for a class without
        formulas. ``Z``, ``H``, ``G`` are the input, output and upstream gradient."""
        return None

    def _forward(self, Z):
        H = self._out(Z.shape)
        self._function(Z, H)
        self._z, self._h = Z, H
        return H

    def _backward(self, G, input_grad):
        if not input_grad:
            return None
        dZ = self._dX(G.shape)
        self._derivative(G, dZ)
        return dZ

    def _function(self, Z: np.ndarray, H: np.ndarray) -> None:
        """``H = f(Z)``, written into ``H`` (shape of ``Z``)."""
        raise NotImplementedError

    def _derivative(self, G: np.ndarray, dZ: np.ndarray) -> None:
        """``dZ = dL/dz`` from the upstream ``G`` and the last forward's ``self._z`` and
        ``self._h``, written into ``dZ`` (shape of ``G``).

        For an element-wise :math:`f` the Jacobian is diagonal, so this is
        :math:`f'(z) \\odot G`, with :math:`f'` from :meth:`_local`; a row-wise activation
        (Softmax) replaces it."""
        self._local(dZ)
        dZ *= G

    def _local(self, out: np.ndarray) -> None:
        """:math:`f'` entry by entry at the last forward (from ``self._z`` or ``self._h``),
        written into ``out``."""
        raise NotImplementedError


class ReLU(Activation):
    r"""Rectified linear unit :math:`h = \max(z, 0)`; :math:`h' = [z > 0]`, so ReLU'(0) = 0
    (PyTorch's choice; seed 003 writes ``>= 0``, seed 001 ``x > 0``)."""

    kind = "ReLU"
    has_kink = True

    def trees(self, Z, H, G):
        # diagonal Jacobian: a Hadamard product with the mask [z > 0], not a factor 1
        return T.Apply("relu", (Z,)), T.ElementwiseProduct(G, T.Indicator(Z, ">", _ZERO))

    def _function(self, Z, H):
        ew.relu(Z, out=H)

    def _local(self, out):
        ew.relu_grad(self._z, out=out)


class LeakyReLU(Activation):
    r"""Leaky ReLU: :math:`h = z` for :math:`z > 0`, :math:`a z` otherwise; derivative
    1 or :math:`a` (at 0 it is :math:`a`, as in PyTorch)."""

    kind = "LeakyReLU"
    hyper_parameters = ("slope",)
    has_kink = True

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        if not (isinstance(slope, (int, float)) and math.isfinite(slope) and 0 <= slope < 1):
            raise ConfigError(f"LeakyReLU: slope must be a number in [0, 1), got {slope!r}")
        self.slope = float(slope)

    def trees(self, Z, H, G):
        a = T.Constant(Fraction(repr(self.slope)))
        mask = T.Add(T.Indicator(Z, ">", _ZERO), T.Scale(a, T.Indicator(Z, "<=", _ZERO)))
        return T.Apply("max", (Z, T.Scale(a, Z))), T.ElementwiseProduct(G, mask)

    def _function(self, Z, H):
        ew.leaky_relu(Z, self.slope, out=H)

    def _local(self, out):
        ew.leaky_relu_grad(self._z, self.slope, out=out)


class Sigmoid(Activation):
    r"""Logistic function :math:`h = \sigma(z) = 1 / (1 + e^{-z})`, :math:`h' = h (1 - h)`.

    Computed from :math:`e^{-|z|}` so that no exponential overflows: stable for any finite z
    (for z = -1e4 it returns 0, for z = -40 the exact 4.2e-18)."""

    kind = "Sigmoid"

    def trees(self, Z, H, G):
        # 1 - h, not I - h: the scalar one broadcast, as the NumPy code subtracts
        local = T.ElementwiseProduct(T.ElementwiseProduct(G, H), T.Sub(_ONE, H))
        return T.Apply("sigmoid", (Z,)), local

    def _function(self, Z, H):
        ew.sigmoid(Z, out=H)

    def _local(self, out):
        ew.sigmoid_grad(self._h, out=out)


#: The stable sigmoid of :mod:`chainrule.elementwise` (kept under its old name).
stable_sigmoid = ew.sigmoid


class Tanh(Activation):
    r"""Hyperbolic tangent :math:`h = \tanh z`, :math:`h' = 1 - h^2`."""

    kind = "Tanh"

    def trees(self, Z, H, G):
        return T.Apply("tanh", (Z,)), T.ElementwiseProduct(G, T.Sub(_ONE, T.Power(H, _TWO)))

    def _function(self, Z, H):
        ew.tanh(Z, out=H)

    def _local(self, out):
        ew.tanh_grad(self._h, out=out)


class Identity(Activation):
    """The identity :math:`h = z` (a linear output layer); :math:`dz = G`."""

    kind = "Identity"

    def trees(self, Z, H, G):
        return Z, G

    def _forward(self, Z):
        if self.reuse_output:
            return Z
        return Z.copy()

    def _backward(self, G, input_grad):
        if not input_grad:
            return None
        if self.reuse_input_grad:
            return G
        return G.copy()


class Softmax(Activation):
    r"""Row-wise softmax :math:`s_{k} = e^{z_{k}} / \sum_j e^{z_{j}}`.

    Its Jacobian per row is :math:`\mathrm{diag}(s) - s s^\top`, so the backward is the full
    Jacobian-vector product :math:`dz = s \odot (G - \langle G, s\rangle)` for any upstream
    ``G``, not only the one of cross-entropy. (For training a classifier, the fused
    :class:`~chainrule.losses.SoftmaxCrossEntropy` on logits is faster and more accurate.)
    """

    kind = "Softmax"

    def trees(self, Z, H, G):
        # row-wise inner products <G_k, s_k> as (G * S) 1, then s * (G - <G, s>)
        inner = T.MatMul(T.ElementwiseProduct(G, H), T.Ones((Z.shape[-1], 1)))
        return T.Apply("softmax", (Z,)), T.ElementwiseProduct(H, T.Sub(G, inner))

    def _function(self, Z, S):
        ew.softmax(Z, out=S)

    def _derivative(self, G, dZ):
        ew.softmax_backward(self._h, G, out=dZ)
