r"""The affine layer :math:`Z = X W^\top + b` and its weight initialisations."""

from __future__ import annotations

import math

import numpy as np

from chainrule.buffers import reusable
from chainrule.errors import ConfigError, ShapeError, StateError
from chainrule.expr import tree as T
from chainrule.formulas import Formulas, Names
from chainrule.layers.base import Layer, Parameter

__all__ = ["INITS", "Linear"]


def _init_he(rng, d_in, d_out):
    return rng.normal(0.0, math.sqrt(2.0 / d_in), size=(d_out, d_in))


def _init_glorot(rng, d_in, d_out):
    limit = math.sqrt(6.0 / (d_in + d_out))
    return rng.uniform(-limit, limit, size=(d_out, d_in))


def _init_lecun(rng, d_in, d_out):
    return rng.normal(0.0, math.sqrt(1.0 / d_in), size=(d_out, d_in))


def _init_small(rng, d_in, d_out):
    # CS231n's two-layer net: weights 1e-4 * N(0, 1)... scaled to 0.01 to train at once.
    return rng.normal(0.0, 0.01, size=(d_out, d_in))


def _init_pytorch(rng, d_in, d_out):
    # torch.nn.Linear's default: U(-1/sqrt(d_in), 1/sqrt(d_in)).
    bound = 1.0 / math.sqrt(d_in)
    return rng.uniform(-bound, bound, size=(d_out, d_in))


def _init_zeros(rng, d_in, d_out):
    return np.zeros((d_out, d_in))


#: Weight initialisations by name: ``f(rng, d_in, d_out) -> (d_out, d_in) float64 array``.
INITS = {
    "he": _init_he,
    "glorot": _init_glorot,
    "lecun": _init_lecun,
    "small": _init_small,
    "pytorch": _init_pytorch,
    "zeros": _init_zeros,
}


class Linear(Layer):
    r"""Affine layer :math:`Z = X W^\top + b`.

    Parameters
    ----------
    d_in, d_out : int
        Input and output widths. ``W`` has shape ``(d_out, d_in)``, ``b`` shape ``(d_out,)``.
    bias : bool
        Whether the layer has ``b``.
    init : str
        Weight initialisation, one of :data:`INITS` (``"he"``: :math:`N(0, 2/d_{in})`,
        ``"glorot"``: :math:`U(\pm\sqrt{6/(d_{in}+d_{out})})`, ``"lecun"``, ``"small"``,
        ``"pytorch"``, ``"zeros"``). Biases start at zero (``"pytorch"``: like torch).

    Shapes: ``X`` (n, d_in) -> ``Z`` (n, d_out). Backward with ``G`` (n, d_out):
    ``dW = G^T X`` (d_out, d_in), ``db = sum_k G_k`` (d_out,), ``dX = G W`` (n, d_in).
    """

    kind = "Linear"
    hyper_parameters = ("d_in", "d_out", "bias", "init")

    def __init__(self, d_in: int, d_out: int, bias: bool = True, init: str = "he") -> None:
        super().__init__()
        for name, value in (("d_in", d_in), ("d_out", d_out)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ConfigError(f"Linear: {name} must be a positive integer, got {value!r}")
        if init not in INITS:
            raise ConfigError(f"Linear: unknown init {init!r}; choose one of {sorted(INITS)}")
        self.d_in, self.d_out, self.bias, self.init = int(d_in), int(d_out), bool(bias), init
        self.W: Parameter | None = None
        self.b: Parameter | None = None
        self._X: np.ndarray | None = None

    def build(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        super().build(rng, dtype)
        W = INITS[self.init](rng, self.d_in, self.d_out)
        self.W = Parameter("W", np.ascontiguousarray(W, dtype=self.dtype))
        if self.bias:
            if self.init == "pytorch":
                bound = 1.0 / math.sqrt(self.d_in)
                b = rng.uniform(-bound, bound, size=self.d_out)
            else:
                b = np.zeros(self.d_out)
            self.b = Parameter("b", b.astype(self.dtype))
        else:
            self.b = None

    def parameters(self) -> list[Parameter]:
        if self.W is None:
            return []
        return [self.W] if self.b is None else [self.W, self.b]

    def _forward(self, X: np.ndarray) -> np.ndarray:
        if self.W is None:
            raise StateError(f"{self.label} has no parameters yet: use it inside a Sequential")
        if X.ndim != 2 or X.shape[1] != self.d_in:
            raise ShapeError(
                f"{self.label}: input has shape {X.shape}, expected (n, {self.d_in}) "
                f"because W has shape {self.W.value.shape} (d_out, d_in)"
            )
        Z = self._out((X.shape[0], self.d_out))
        np.dot(X, self.W.value.T, out=Z)
        if self.b is not None:
            Z += self.b.value
        self._X = X
        return Z

    def forget(self) -> None:
        """Also let go of the last input: it is the caller's array (a view of a whole data
        set keeps all of it alive)."""
        super().forget()
        self._X = None

    def _backward(self, G: np.ndarray, input_grad: bool) -> np.ndarray | None:
        X = self._X
        np.dot(G.T, X, out=self.W.grad)
        if self.b is not None:
            # db = 1^T G as a BLAS matrix-vector product: two to four times faster than
            # np.sum(G, axis=0), which walks the columns of a row-major array
            ones = reusable(self._buffers, "ones", (G.shape[0],), self.dtype, _fill_ones)
            np.dot(ones, G, out=self.b.grad)
        if not input_grad:
            return None
        dX = self._dX(X.shape)
        np.dot(G, self.W.value, out=dX)
        return dX

    def formulas(self, names: Names) -> Formulas:
        r"""Row-major :math:`Z = X W^\top + b`; :math:`dX = G W`, :math:`dW = G^\top X`,
        :math:`db = 1_n^\top G` (the bias gradient sums over the batch), rewritten into the
        layout of ``names``; the same products ``_forward``/``_backward`` compute."""
        X, W, G = names.row("in"), names.row("W"), names.row("grad")
        Z: T.Expr = T.MatMul(X, T.Transpose(W))
        backward: dict[str, T.Expr] = {"in": T.MatMul(G, W), "W": T.MatMul(T.Transpose(G), X)}
        if self.bias:
            Z = T.Add(Z, names.row("b"))
            backward["b"] = T.MatMul(T.Transpose(T.Ones((names.batch,))), G)
        return names.formulas(Z, backward)


def _fill_ones(array: np.ndarray) -> None:
    array.fill(1)
