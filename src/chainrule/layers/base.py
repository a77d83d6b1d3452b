"""The layer base class and trainable parameters."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from chainrule.buffers import reusable
from chainrule.errors import ConfigError, StateError
from chainrule.formulas import Formulas, Names

__all__ = ["Layer", "Parameter"]


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
    #: The constructor's arguments, each kept as an attribute of the same name: what
    #: :meth:`spec` writes and :func:`~chainrule.layers.layer_from_spec` accepts.
    hyper_parameters: ClassVar[tuple[str, ...]] = ()
    #: The model this layer object belongs to, set by that model (one model per layer).
    owner: Any = None

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

    def to_dtype(self, dtype: Any) -> None:
        """Hold everything in ``dtype`` from now on: parameters converted (gradients zeroed),
        reused arrays dropped, the last forward forgotten."""
        self.dtype = np.dtype(dtype)
        self._buffers.clear()
        self.forget()
        for p in self.parameters():
            p.value = p.value.astype(self.dtype)
            p.grad = np.zeros_like(p.value)

    def kink_sides(self) -> np.ndarray | None:
        """Where the last forward's inputs lie relative to the layer's kinks (points where
        its derivative jumps), as an array that changes whenever an input crosses one; None
        for a smooth layer. :func:`~chainrule.gradient_check.gradcheck` skips a probe that
        changes it."""
        return None

    def parameters(self) -> list[Parameter]:
        """This layer's parameters, weights before biases."""
        return []

    def spec(self) -> dict[str, Any]:
        """The layer as plain data: ``{"type": kind, **hyper-parameters}``."""
        return {"type": self.kind, **{name: getattr(self, name) for name in self.hyper_parameters}}

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

    def formulas(self, names: Names) -> Formulas:
        """This layer's forward and backward formulas as :mod:`chainrule.expr` trees, in the
        notation and layout of ``names`` (see :mod:`chainrule.formulas`). A layer class of
        your own gives them the same way; without them, deriving it is a clear error."""
        raise ConfigError(
            f"{self.label}: the layer {type(self).__name__} gives no formulas, so it cannot be "
            "derived; define formulas(names) on it (see chainrule.formulas)"
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
