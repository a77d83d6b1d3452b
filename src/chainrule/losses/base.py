"""The loss base class: output and target checks, the batch scale, the reused gradient
buffer, and the squared error both squared-error losses are made of."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from chainrule.buffers import reusable
from chainrule.errors import ConfigError, DataError, ShapeError, StateError
from chainrule.expr import tree as T
from chainrule.expr.shapes import Dim
from chainrule.formulas import Formulas, Names

__all__ = ["Loss"]


class Loss:
    """Base class: ``forward(out, y) -> float`` then ``backward() -> dL/d out``."""

    kind: ClassVar[str] = "Loss"

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in ("mean", "sum"):
            raise ConfigError(f"{self.kind}: reduction must be 'mean' or 'sum', got {reduction!r}")
        self.reduction = reduction
        self._grad: np.ndarray | None = None
        self._buffers: dict[str, np.ndarray] = {}

    def forward(self, out: np.ndarray, y: np.ndarray) -> float:
        """The loss of outputs ``out`` (n, d) against targets ``y``; keeps dL/d out."""
        out = self._check_output(out)
        value, grad = self._compute(out, y)
        self._grad = grad
        return float(value)

    __call__ = forward

    def backward(self) -> np.ndarray:
        """``dL/d out`` of the last ``forward``, an array of the output's shape."""
        if self._grad is None:
            raise StateError(f"{self.kind}: backward called before forward(out, y)")
        return self._grad

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "reduction": self.reduction}

    def __repr__(self) -> str:
        """``HalfSquaredError(reduction='mean')``: the class and its settings."""
        return spec_repr(self.spec())

    def _compute(self, out: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        raise NotImplementedError

    def formulas(self, names: Names) -> Formulas:
        """The loss and ``dL/d out`` as :mod:`chainrule.expr` trees (roles ``out``,
        ``target``, ``loss``, ``d_out``; see :mod:`chainrule.formulas`), from :meth:`trees`."""
        f, y = names.row("out"), names.row("target")
        forward, grad = self.trees(f, y, names.batch)
        return names.formulas(forward, {"out": grad}, out="loss")

    def trees(self, f: T.Expr, y: T.Expr, n: Dim) -> tuple[T.Expr, T.Expr]:
        """Row-major ``(L, dL/df)`` for outputs ``f`` and targets ``y`` of ``n`` examples."""
        raise ConfigError(f"{self.kind} gives no formulas, so it cannot be derived")

    def _per(self, n: Dim, times: int = 1, numerator: int = 1) -> T.Expr | None:
        """The factor ``numerator / (times n)`` of the mean (``n`` left out for a sum),
        None for 1."""
        count: T.Expr | None = None
        if self.reduction == "mean" and n != 1:
            count = T.Size(n) if isinstance(n, str) else T.Constant(n)
        if times != 1:
            count = T.Constant(times) if count is None else T.Scale(T.Constant(times), count)
        if count is None:
            return None if numerator == 1 else T.Constant(numerator)
        return T.Div(T.Constant(numerator), count)

    @staticmethod
    def _scaled(factor: T.Expr | None, tree: T.Expr) -> T.Expr:
        return tree if factor is None else T.Scale(factor, tree)

    def _buffer(self, key: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """An uninitialised array, reused by later calls with the same shape and dtype."""
        return reusable(self._buffers, key, shape, dtype)

    def __getstate__(self) -> dict[str, Any]:
        # buffers are scratch space, not state: a pickled or copied loss starts without them
        return {**self.__dict__, "_buffers": {}}

    def _scale(self, n: int) -> float:
        return 1.0 / n if self.reduction == "mean" else 1.0

    def _check_output(self, out: Any) -> np.ndarray:
        out = np.asarray(out)
        if out.dtype.kind != "f":
            out = out.astype(np.float64)
        if out.ndim != 2:
            raise ShapeError(
                f"{self.kind}: the network output has shape {out.shape}; expected (n, d), "
                "one example a row"
            )
        if out.shape[0] == 0:
            raise DataError(f"{self.kind}: the batch is empty (output shape {out.shape})")
        return out

    def _check_targets_like(self, out: np.ndarray, y: Any) -> np.ndarray:
        y = np.asarray(y)
        if y.dtype.kind not in "fiub":
            raise DataError(f"{self.kind}: targets must be numbers, got dtype {y.dtype}")
        if y.shape != out.shape:
            hint = ""
            if y.ndim == 1 and out.shape == (y.shape[0], 1):
                hint = " Targets of shape (n,) need to be (n, 1) here: use y.reshape(-1, 1)."
            elif y.ndim == 2 and y.shape == out.shape[::-1]:
                hint = " The targets look transposed: use y.T."
            raise ShapeError(
                f"{self.kind}: targets have shape {y.shape}, the output has shape {out.shape}; "
                f"they must be equal.{hint}"
            )
        return y.astype(out.dtype, copy=False)

    def _squared_error(self, out: np.ndarray, y: Any, weight: float) -> tuple[float, np.ndarray]:
        """:math:`w \\|f - y\\|^2` over the whole batch and its gradient :math:`2 w (f - y)`,
        the gradient in this loss's reused buffer."""
        y = self._check_targets_like(out, y)
        diff = self._buffer("grad", out.shape, out.dtype)
        np.subtract(out, y, out=diff)
        flat = diff.ravel()
        value = weight * float(np.dot(flat, flat))
        self._check_targets_finite(y, value)
        diff *= 2.0 * weight
        return value, diff

    def _check_targets_finite(self, y: np.ndarray, value: float) -> None:
        """Targets with NaN or Inf are an error. Only a non-finite loss value can come from
        them, so the full pass over ``y`` runs only then (not on every training step)."""
        if not math.isfinite(value) and not np.isfinite(y).all():
            raise DataError(f"{self.kind}: targets contain NaN or Inf")


def spec_repr(spec: dict[str, Any]) -> str:
    """``Type(key=value, ...)`` from a spec dict: the repr of losses and penalties."""
    args = ", ".join(f"{k}={v!r}" for k, v in spec.items() if k != "type")
    return f"{spec['type']}({args})"
