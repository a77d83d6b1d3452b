r"""Layers: each one's forward and backward side by side, in NumPy.

The engine is batch-first: an input ``X`` has shape ``(n, d)``, one example a row.
Every layer maps an upstream gradient ``G = dL/d(out)`` of the output's shape to
``dL/d(input)`` and, for layers with parameters, *sets* ``param.grad`` (never accumulates).

===========  =====================================  ==========================================
layer        forward                                backward (``G`` is dL/d out)
===========  =====================================  ==========================================
Linear       :math:`Z = X W^\top + b`               :math:`dW = G^\top X,\ db = 1^\top G,\ dX = G W`
ReLU         :math:`h = \max(z, 0)`                 :math:`dz = G \odot [z > 0]`  (ReLU'(0) = 0)
LeakyReLU    :math:`h = z` if z > 0 else `a z`      :math:`dz = G \odot (1` if z > 0 else `a)`
Sigmoid      :math:`h = 1 / (1 + e^{-z})`           :math:`dz = G \odot h \odot (1 - h)`
Tanh         :math:`h = \tanh z`                    :math:`dz = G \odot (1 - h^2)`
Identity     :math:`h = z`                          :math:`dz = G`
Softmax      :math:`s_k = e^{z_k} / \sum_j e^{z_j}` :math:`dz = s \odot (G - (G \odot s) 1)`
===========  =====================================  ==========================================

Buffers: inside a :class:`~chainrule.model.Sequential`, a layer writes its output and its
input gradient into arrays it allocates once per batch shape and reuses. The model turns this
off for the arrays it hands back to the caller (the last output, the input gradient), so a
result a user holds is never overwritten by a later call.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from chainrule.buffers import reusable
from chainrule.errors import ConfigError, ShapeError, StateError

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Parameter",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
]


class Parameter:
    """A trainable array and its gradient.

    Attributes
    ----------
    name : str
        ``"W1"``, ``"b1"``, ... once the layer belongs to a model.
    value : numpy.ndarray
        The parameter itself; update it in place (``value[...] = ...``).
    grad : numpy.ndarray
        ``dL/d value`` from the last ``backward``, same shape and dtype; zeros before that.
    """

    __slots__ = ("grad", "name", "value")

    def __init__(self, name: str, value: np.ndarray) -> None:
        self.name = name
        self.value = value
        self.grad = np.zeros_like(value)

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"


class Layer:
    """Base class: a forward, a backward, a spec.

    Subclasses implement ``_forward(X) -> out`` and ``_backward(G, input_grad) -> dX | None``;
    the public ``forward``/``backward`` add the bookkeeping (a backward before any forward is
    a :class:`~chainrule.errors.StateError`). A subclass may instead override the public
    ``forward(self, X)`` and ``backward(self, grad)``: the model then calls them as they are.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Sequential calls backward(grad, input_grad=...): a user's backward(self, grad)
        # is adapted to that, and a forward that skips super().forward still marks the
        # layer ready for its backward.
        super().__init_subclass__(**kwargs)
        own_backward = cls.__dict__.get("backward")
        if own_backward is not None:
            cls.backward = _adapted_backward(cls, own_backward)
        own_forward = cls.__dict__.get("forward")
        if own_forward is not None:
            cls.forward = _marking_ready(own_forward)

    #: The ``"type"`` key of this layer's spec.
    kind: ClassVar[str] = "Layer"

    def __init__(self) -> None:
        self.label = self.kind  # "Linear 2", "ReLU 1": set by Sequential
        self.dtype: np.dtype = np.dtype(np.float64)
        self.reuse_output = False
        self.reuse_input_grad = False
        self._buffers: dict[str, np.ndarray] = {}
        self._ready = False

    # -- construction -------------------------------------------------------------------
    def build(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        """Allocate (and initialise) parameters for ``dtype`` drawing from ``rng``."""
        self.dtype = np.dtype(dtype)
        self._buffers.clear()
        self._ready = False

    def kink_sides(self) -> np.ndarray | None:
        """Where the last forward's inputs lie relative to the layer's kinks (points where
        its derivative jumps), as an array that changes whenever an input crosses one; None
        for a smooth layer. :func:`~chainrule.gradcheck.gradcheck` skips a probe that
        changes it."""
        return None

    def parameters(self) -> list[Parameter]:
        """This layer's parameters, weights before biases."""
        return []

    def spec(self) -> dict[str, Any]:
        """The layer as plain data: ``{"type": kind, **hyper-parameters}``."""
        return {"type": self.kind}

    # -- computation ----------------------------------------------------------------------
    def forward(self, X: np.ndarray) -> np.ndarray:
        """Compute the output for a batch ``X`` of shape ``(n, d_in)``; keep what backward needs."""
        out = self._forward(X)
        self._ready = True
        return out

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Map ``dL/d out`` to ``dL/d input`` (``None`` when ``input_grad`` is False) and set
        the gradients of this layer's parameters."""
        if not self._ready:
            raise StateError(
                f"{self.label}: backward called before any forward. Run forward(X) on a batch "
                "first; backward uses the values that forward computed."
            )
        return self._backward(grad, input_grad)

    def _forward(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError(
            f"{type(self).__name__} computes nothing: implement _forward(self, X) -> output "
            "(or override forward(self, X))"
        )

    def _backward(self, G: np.ndarray, input_grad: bool) -> np.ndarray | None:
        raise NotImplementedError(
            f"{type(self).__name__} has no backward: implement _backward(self, G, input_grad) "
            "-> dL/dX, or override backward(self, grad) -> dL/dX"
        )

    def forget(self) -> None:
        """Drop the values kept for backward (a later backward then needs a new forward)."""
        self._ready = False

    # -- buffers --------------------------------------------------------------------------
    def _buffer(self, key: str, shape: tuple[int, ...], reuse: bool = True) -> np.ndarray:
        """An uninitialised array of ``shape`` in this layer's dtype, reused across calls
        with the same shape when ``reuse`` is True."""
        if not reuse:
            return np.empty(shape, dtype=self.dtype)
        return reusable(self._buffers, key, shape, self.dtype)

    def _out(self, shape: tuple[int, ...]) -> np.ndarray:
        return self._buffer("out", shape, self.reuse_output)

    def _dX(self, shape: tuple[int, ...]) -> np.ndarray:
        return self._buffer("dX", shape, self.reuse_input_grad)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.spec().items() if k != "type")
        return f"{type(self).__name__}({args})"


def _adapted_backward(cls: type, backward: Callable[..., Any]) -> Callable[..., Any]:
    """A subclass's own ``backward``, callable as ``backward(grad, input_grad=...)``."""
    try:
        params = list(inspect.signature(backward).parameters.values())
    except (TypeError, ValueError):  # a builtin or an odd callable: leave it as it is
        return backward
    kinds = {p.kind for p in params}
    if "input_grad" in (p.name for p in params) or inspect.Parameter.VAR_KEYWORD in kinds:
        return backward
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) < 2 and inspect.Parameter.VAR_POSITIONAL not in kinds:
        raise ConfigError(
            f"{cls.__name__}.backward must take the upstream gradient: "
            "def backward(self, grad) -> dL/d input"
        )

    @functools.wraps(backward)
    def adapted(self: Layer, grad: np.ndarray, input_grad: bool = True) -> Any:
        return backward(self, grad)

    return adapted


def _marking_ready(forward: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(forward)
    def marked(self: Layer, *args: Any, **kwargs: Any) -> Any:
        out = forward(self, *args, **kwargs)
        self._ready = True
        return out

    return marked


# ---------------------------------------------------------------------------------------
# Linear
# ---------------------------------------------------------------------------------------


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

    def spec(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "d_in": self.d_in,
            "d_out": self.d_out,
            "bias": self.bias,
            "init": self.init,
        }

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

    def _backward(self, G: np.ndarray, input_grad: bool) -> np.ndarray | None:
        X = self._X
        np.dot(G.T, X, out=self.W.grad)
        if self.b is not None:
            # db = 1^T G as a BLAS matrix-vector product: two to four times faster than
            # np.sum(G, axis=0), which walks the columns of a row-major array
            np.dot(self._ones(G.shape[0]), G, out=self.b.grad)
        if not input_grad:
            return None
        dX = self._dX(X.shape)
        np.dot(G, self.W.value, out=dX)
        return dX

    def _ones(self, n: int) -> np.ndarray:
        ones = self._buffers.get("ones")
        if ones is None or ones.shape != (n,):
            ones = np.ones(n, dtype=self.dtype)
            self._buffers["ones"] = ones
        return ones


# ---------------------------------------------------------------------------------------
# Element-wise activations
# ---------------------------------------------------------------------------------------


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


class ReLU(Activation):
    r"""Rectified linear unit :math:`h = \max(z, 0)`; :math:`h' = [z > 0]`, so ReLU'(0) = 0
    (PyTorch's choice; seed 003 writes ``>= 0``, seed 001 ``x > 0``)."""

    kind = "ReLU"
    has_kink = True

    def _forward(self, Z):
        H = self._out(Z.shape)
        np.maximum(Z, 0, out=H)
        self._z = Z
        return H

    def _backward(self, G, input_grad):
        if not input_grad:
            return None
        dZ = self._dX(G.shape)
        np.greater(self._z, 0, out=dZ)
        dZ *= G
        return dZ


class LeakyReLU(Activation):
    r"""Leaky ReLU: :math:`h = z` for :math:`z > 0`, :math:`a z` otherwise; derivative
    1 or :math:`a` (at 0 it is :math:`a`, as in PyTorch)."""

    kind = "LeakyReLU"
    has_kink = True

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        if not (isinstance(slope, (int, float)) and math.isfinite(slope) and 0 <= slope < 1):
            raise ConfigError(f"LeakyReLU: slope must be a number in [0, 1), got {slope!r}")
        self.slope = float(slope)

    def spec(self):
        return {"type": self.kind, "slope": self.slope}

    def _forward(self, Z):
        H = self._out(Z.shape)
        np.multiply(Z, self.slope, out=H)
        np.maximum(H, Z, out=H)  # max(z, a z) is leaky ReLU because 0 <= a < 1
        self._z = Z
        return H

    def _backward(self, G, input_grad):
        if not input_grad:
            return None
        dZ = self._dX(G.shape)
        positive = self._z > 0
        np.multiply(G, self.slope, out=dZ)
        np.copyto(dZ, G, where=positive)
        return dZ


class Sigmoid(Activation):
    r"""Logistic function :math:`h = \sigma(z) = 1 / (1 + e^{-z})`, :math:`h' = h (1 - h)`.

    Computed from :math:`e^{-|z|}` so that no exponential overflows: stable for any finite z
    (for z = -1e4 it returns 0, for z = -40 the exact 4.2e-18)."""

    kind = "Sigmoid"

    def _forward(self, Z):
        H = self._out(Z.shape)
        stable_sigmoid(Z, out=H)
        self._h = H
        return H

    def _backward(self, G, input_grad):
        if not input_grad:
            return None
        H = self._h
        dZ = self._dX(G.shape)
        np.subtract(1, H, out=dZ)
        dZ *= H
        dZ *= G
        return dZ


def stable_sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\sigma(z)` without overflow: :math:`1/(1+e^{-|z|})` for z >= 0 and
    :math:`e^{-|z|}/(1+e^{-|z|})` for z < 0. ``out`` may not alias ``z``."""
    if out is None:
        out = np.empty_like(z)
    e = np.exp(-np.abs(z))
    np.add(e, 1.0, out=out)
    np.reciprocal(out, out=out)
    np.multiply(e, out, out=e)
    np.copyto(out, e, where=z < 0)
    return out


class Tanh(Activation):
    r"""Hyperbolic tangent :math:`h = \tanh z`, :math:`h' = 1 - h^2`."""

    kind = "Tanh"

    def _forward(self, Z):
        H = self._out(Z.shape)
        np.tanh(Z, out=H)
        self._h = H
        return H

    def _backward(self, G, input_grad):
        if not input_grad:
            return None
        dZ = self._dX(G.shape)
        np.multiply(self._h, self._h, out=dZ)
        np.subtract(1, dZ, out=dZ)
        dZ *= G
        return dZ


class Identity(Activation):
    """The identity :math:`h = z` (a linear output layer); :math:`dz = G`."""

    kind = "Identity"

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

    def _forward(self, Z):
        S = self._out(Z.shape)
        np.subtract(Z, Z.max(axis=1, keepdims=True), out=S)
        np.exp(S, out=S)
        S /= S.sum(axis=1, keepdims=True)
        self._h = S
        return S

    def _backward(self, G, input_grad):
        if not input_grad:
            return None
        S = self._h
        dZ = self._dX(G.shape)
        np.multiply(G, S, out=dZ)
        inner = dZ.sum(axis=1, keepdims=True)
        np.subtract(G, inner, out=dZ)
        dZ *= S
        return dZ


#: Layer classes by spec ``"type"``.
ACTIVATIONS: dict[str, type[Activation]] = {
    cls.kind: cls for cls in (ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Softmax)
}
LAYER_TYPES: dict[str, type[Layer]] = {"Linear": Linear, **ACTIVATIONS}


def layer_from_spec(spec: dict[str, Any], where: str = "layer") -> Layer:
    """Rebuild a layer from its plain-data spec (the inverse of ``Layer.spec``)."""
    if not isinstance(spec, dict) or "type" not in spec:
        raise ConfigError(f"{where}: a layer spec is a dict with a 'type' key, got {spec!r}")
    kind = spec["type"]
    cls = LAYER_TYPES.get(kind)
    if cls is None:
        raise ConfigError(f"{where}: unknown layer type {kind!r}; known: {sorted(LAYER_TYPES)}")
    kwargs = {k: v for k, v in spec.items() if k != "type"}
    allowed = {"Linear": {"d_in", "d_out", "bias", "init"}, "LeakyReLU": {"slope"}}.get(kind, set())
    unknown = set(kwargs) - allowed
    if unknown:
        raise ConfigError(
            f"{where}: {kind} does not take {sorted(unknown)}; it takes {sorted(allowed) or 'nothing'}"
        )
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ConfigError(f"{where}: {kind} spec {spec!r} is incomplete: {err}") from None
