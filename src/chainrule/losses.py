r"""Losses: a value from the network output and the targets, and its gradient.

Every loss averages over the batch (``reduction="mean"``, the default) or sums
(``reduction="sum"``). With ``f`` the output of shape ``(n, d)``:

======================  ==================================================  ==============================
loss                    value (mean)                                        gradient dL/df
======================  ==================================================  ==============================
HalfSquaredError        :math:`\frac1n\sum_k \tfrac12\|f_k - y_k\|^2`          :math:`(f - y)/n`
MeanSquaredError        :math:`\frac1n\sum_k \|f_k - y_k\|^2`                  :math:`2 (f - y)/n`
BinaryCrossEntropy      :math:`-\frac1n\sum [y\ln p + (1-y)\ln(1-p)]`        :math:`(p-y)/(p\odot(1-p)\,n)`
  ``from_logits``       the same with :math:`p = \sigma(f)`                   :math:`(\sigma(f) - y)/n`
SoftmaxCrossEntropy     :math:`-\frac1n\sum_k \ln \mathrm{softmax}(f_k)_{y_k}`  :math:`(\mathrm{softmax}(f) - 1_y)/n`
======================  ==================================================  ==============================

``MeanSquaredError(per="element")`` divides also by ``d`` (PyTorch's ``MSELoss``). Binary
cross-entropy sums over the ``d`` outputs of one example. :class:`L2` is a penalty on the
model's weights, added to the data loss.

Buffers: a loss writes its gradient into an array it allocates once per output shape and
dtype and reuses, so a training step allocates nothing. The array ``backward()`` returns is
therefore valid until the next ``forward`` of the same loss object, which overwrites it;
copy it (``loss.backward().copy()``) to keep it longer.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from chainrule.buffers import reusable
from chainrule.errors import ConfigError, DataError, ShapeError, StateError
from chainrule.expr import tree as T
from chainrule.expr.shapes import Dim
from chainrule.formulas import Formulas, Names
from chainrule.layers import stable_sigmoid

__all__ = [
    "L2",
    "BinaryCrossEntropy",
    "HalfSquaredError",
    "Loss",
    "MeanSquaredError",
    "SoftmaxCrossEntropy",
    "loss_from_spec",
]


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
        return _spec_repr(self.spec())

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


class HalfSquaredError(Loss):
    r""":math:`L = \frac{1}{n}\sum_k \frac12 \|f_k - y_k\|^2`, :math:`dL/df = (f - y)/n`.

    The loss of seeds 000, 001 and 003. ``y`` has the output's shape (n, d)."""

    kind = "HalfSquaredError"

    def trees(self, f, y, n):
        diff = T.Sub(f, y)
        value = self._scaled(self._per(n, 2), T.Power(T.Norm(diff), T.Constant(2)))
        return value, self._scaled(self._per(n), diff)

    def _compute(self, out, y):
        return self._squared_error(out, y, 0.5 * self._scale(out.shape[0]))


class MeanSquaredError(Loss):
    r""":math:`L = \frac{1}{n}\sum_k \|f_k - y_k\|^2`, :math:`dL/df = 2 (f - y)/n`.

    The seed 004 and autoencoder form. ``per="element"`` divides by ``n d`` instead of ``n``,
    as PyTorch's ``MSELoss`` does."""

    kind = "MeanSquaredError"

    def __init__(self, reduction: str = "mean", per: str = "example") -> None:
        super().__init__(reduction)
        if per not in ("example", "element"):
            raise ConfigError(f"MeanSquaredError: per must be 'example' or 'element', got {per!r}")
        self.per = per

    def spec(self):
        return {**super().spec(), "per": self.per}

    def trees(self, f, y, n):
        diff = T.Sub(f, y)
        d = f.shape[-1] if self.per == "element" and self.reduction == "mean" else 1
        value = self._scaled(self._per(n, d), T.Power(T.Norm(diff), T.Constant(2)))
        return value, self._scaled(self._per(n, d, numerator=2), diff)

    def _compute(self, out, y):
        scale = self._scale(out.shape[0])
        if self.per == "element" and self.reduction == "mean":
            scale /= out.shape[1]
        return self._squared_error(out, y, scale)


class BinaryCrossEntropy(Loss):
    r"""Binary cross-entropy, summed over outputs, averaged over the batch.

    From probabilities ``p`` in (0, 1): :math:`L = -\frac1n\sum [y\ln p + (1-y)\ln(1-p)]`,
    with ``p`` clipped to :math:`[\epsilon, 1-\epsilon]` (``eps``, the clip bound) so that no
    log is infinite; gradient
    :math:`(p - y) / (p (1 - p) n)`. With ``from_logits=True`` the output is the logit
    :math:`z` and :math:`L = \frac1n\sum [\max(z,0) - z y + \ln(1 + e^{-|z|})]`, stable for
    any z, gradient :math:`(\sigma(z) - y)/n`. Labels ``y`` lie in [0, 1] (usually {0, 1}).

    Seed 004 writes :math:`\mathcal{L} = y\ln\hat y + (1-y)\ln(1-\hat y)` without the minus
    sign: that is the log-likelihood, which gradient descent would maximise the wrong way.
    """

    kind = "BinaryCrossEntropy"

    def __init__(
        self, from_logits: bool = False, reduction: str = "mean", eps: float = 1e-12
    ) -> None:
        super().__init__(reduction)
        if not (0 < eps < 0.5):
            raise ConfigError(
                f"BinaryCrossEntropy: eps (the clip bound of p) must be in (0, 0.5), got {eps!r}"
            )
        self.from_logits = bool(from_logits)
        self.eps = float(eps)

    def spec(self):
        return {**super().spec(), "from_logits": self.from_logits, "eps": self.eps}

    def trees(self, f, y, n):
        one, per = T.Constant(1), self._per(n)
        if self.from_logits:
            # ln(1 + e^z) - z y: the same value as the stable form the NumPy code uses
            softplus = T.Apply("log", (T.Add(one, T.Apply("exp", (f,))),))
            value = T.Sum(T.Sub(softplus, T.ElementwiseProduct(y, f)))
            return self._scaled(per, value), self._scaled(per, T.Sub(T.Apply("sigmoid", (f,)), y))
        log_p = T.ElementwiseProduct(y, T.Apply("log", (f,)))
        log_q = T.ElementwiseProduct(T.Sub(one, y), T.Apply("log", (T.Sub(one, f),)))
        value = T.Neg(self._scaled(per, T.Sum(T.Add(log_p, log_q))))
        grad = T.Div(T.Sub(f, y), T.ElementwiseProduct(f, T.Sub(one, f)))
        return value, self._scaled(per, grad)

    def _compute(self, out, y):
        y = self._check_targets_like(out, y)
        if not np.isfinite(y).all():
            raise DataError(f"{self.kind}: targets contain NaN or Inf")
        if y.size and (y.min() < 0 or y.max() > 1):
            raise DataError(
                f"BinaryCrossEntropy: labels must lie in [0, 1], got values from {y.min()} "
                f"to {y.max()}"
            )
        scale = self._scale(out.shape[0])
        if self.from_logits:
            z = out
            value = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
            grad = stable_sigmoid(z)
            grad -= y
        else:
            if out.size and (out.min() < 0 or out.max() > 1):
                raise DataError(
                    "BinaryCrossEntropy: outputs must be probabilities in [0, 1] (got values "
                    f"from {out.min():.4g} to {out.max():.4g}); end the network with Sigmoid "
                    "or use BinaryCrossEntropy(from_logits=True)"
                )
            p = np.clip(out, self.eps, 1 - self.eps)
            value = -(y * np.log(p) + (1 - y) * np.log1p(-p))
            grad = (p - y) / (p * (1 - p))
        grad *= scale
        return scale * float(value.sum()), grad


class SoftmaxCrossEntropy(Loss):
    r"""Softmax and cross-entropy fused, from logits ``z`` (n, c) and integer labels (n,).

    :math:`L = \frac1n \sum_k [\log\sum_j e^{z_{kj}} - z_{k y_k}]`, computed as a stable
    log-sum-exp (logits of 1e4 are fine); :math:`dL/dz = (\mathrm{softmax}(z) - 1_{y})/n`
    (seed 002: :math:`p_j - [j = y_i]`)."""

    kind = "SoftmaxCrossEntropy"

    def trees(self, f, y, n):
        """``y`` here is the one-hot matrix ``Y`` of the labels, shape (n, c)."""
        p, per = T.Apply("softmax", (f,)), self._per(n)
        value = T.Neg(self._scaled(per, T.Sum(T.ElementwiseProduct(y, T.Apply("log", (p,))))))
        return value, self._scaled(per, T.Sub(p, y))

    def _compute(self, out, y):
        n, c = out.shape
        y = _check_labels(y, n, c, self.kind)
        scale = self._scale(n)
        # One pass over the logits in place: shift by the row maximum, read the true
        # class's shifted logit, exponentiate, normalise with the scale folded in.
        P = self._buffer("grad", out.shape, out.dtype)
        row_max = self._buffer("rows", (n, 1), out.dtype)
        np.max(out, axis=1, keepdims=True, out=row_max)
        np.subtract(out, row_max, out=P)
        flat_index = self._flat_index(n, c, y)
        picked = float(np.sum(P.ravel()[flat_index]))
        np.exp(P, out=P)
        sums = row_max  # reuse: the row sums of exp(shifted)
        np.sum(P, axis=1, keepdims=True, out=sums)
        value = scale * (float(np.sum(np.log(sums))) - picked)
        np.divide(scale, sums, out=sums)
        P *= sums
        P.ravel()[flat_index] -= scale
        return value, P

    def _flat_index(self, n: int, c: int, y: np.ndarray) -> np.ndarray:
        """Positions ``k c + y_k`` of the true classes in the flattened (n, c) array."""

        def row_starts(steps: np.ndarray) -> None:
            steps[...] = np.arange(0, n * c, c, dtype=np.intp)

        steps = reusable(self._buffers, ("steps", c), (n,), np.dtype(np.intp), row_starts)
        index = self._buffer("index", (n,), np.dtype(np.intp))
        np.add(steps, y, out=index)
        return index


def _check_labels(y: Any, n: int, c: int, where: str) -> np.ndarray:
    """Integer class labels of shape (n,) in [0, c)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape == (n, 1):
        raise ShapeError(
            f"{where}: labels have shape {y.shape}; expected ({n},), one integer per example. "
            "Use y.ravel()."
        )
    if y.ndim == 2 and y.shape == (n, c):
        raise ShapeError(
            f"{where}: labels have shape {y.shape}, which looks one-hot; expected ({n},) "
            "integer class indices. Use y.argmax(axis=1)."
        )
    if y.shape != (n,):
        raise ShapeError(f"{where}: labels have shape {y.shape}; expected ({n},) for {n} outputs")
    if y.dtype.kind not in "iu":
        hint = ""
        if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            hint = " They are whole numbers: use y.astype(int)."
        raise DataError(f"{where}: labels must be integers, got dtype {y.dtype}.{hint}")
    if y.size:
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= c:
            hint = ""
            if lo >= 1 and hi == c:
                hint = " The labels seem to start at 1: subtract 1 so that they start at 0."
            raise DataError(
                f"{where}: labels must lie in 0..{c - 1} for {c} classes, got values from "
                f"{lo} to {hi}.{hint}"
            )
    return y.astype(np.intp, copy=False)


class L2:
    r"""Weight decay :math:`\lambda \sum_l \|W_l\|_F^2` over weights only (not biases).

    Gradient :math:`2\lambda W_l` (seed 002). ``half=True`` gives the
    :math:`\frac{\lambda}{2}\sum\|W\|^2` convention with gradient :math:`\lambda W`.
    ``forward(model)`` returns the penalty; ``backward(model)`` *adds* its gradient to each
    weight's ``.grad`` (call it after ``model.backward``).
    """

    kind = "L2"

    def __init__(self, lam: float, half: bool = False) -> None:
        if not (isinstance(lam, (int, float)) and math.isfinite(lam) and lam >= 0):
            raise ConfigError(f"L2: lam must be a finite number >= 0, got {lam!r}")
        self.lam = float(lam)
        self.half = bool(half)
        self._scratch: dict[tuple[int, ...], np.ndarray] = {}

    @property
    def factor(self) -> float:
        """The multiplier of :math:`\\sum W^2`: ``lam`` or ``lam / 2``."""
        return self.lam / 2 if self.half else self.lam

    @property
    def gradient_factor(self) -> float:
        """The multiplier of ``W`` in the gradient: ``2 lam`` or ``lam``."""
        return 2.0 * self.factor

    @staticmethod
    def covers(name: str) -> bool:
        """Whether the parameter called ``name`` is penalised: weights ``W1, W2, ...``."""
        return name.startswith("W")

    @classmethod
    def weights(cls, model) -> list:
        """The parameters the penalty covers: every ``W`` (weights), no bias."""
        return [p for name, p in model.named_parameters() if cls.covers(name)]

    def forward(self, model) -> float:
        total = 0.0
        for p in self.weights(model):
            flat = p.value.ravel()
            total += float(np.dot(flat, flat))
        return self.factor * total

    __call__ = forward

    def backward(self, model) -> None:
        k = self.gradient_factor
        if k == 0:
            return
        for p in self.weights(model):
            # k W into a scratch array kept per weight shape: a fresh temporary the size of
            # W would cost page faults on every step
            scratch = reusable(self._scratch, p.value.shape, p.value.shape, p.value.dtype)
            np.multiply(p.value, k, out=scratch)
            p.grad += scratch

    def spec(self) -> dict[str, Any]:
        return {"type": self.kind, "lam": self.lam, "half": self.half}

    def formulas(self, names: Names) -> Formulas:
        r"""The penalty :math:`\lambda \sum_l \|W_l\|^2` and each :math:`2 \lambda W_l`
        (:math:`\lambda W_l` with ``half``), roles ``lambda``, ``loss``, and ``W1``, ``W2``,
        ... with ``d_W1``, ...: every role that names a weight, in order."""
        lam = names["lambda"].symbol
        weights = [r for r in names.quantities if r.startswith("W")]
        total: T.Expr | None = None
        for role in weights:
            term = T.Power(T.Norm(names.row(role)), T.Constant(2))
            total = term if total is None else T.Add(total, term)
        if total is None:
            raise ConfigError("L2: the model has no weights to penalise")
        factor = T.Scale(T.Div(T.Constant(1), T.Constant(2)), lam) if self.half else lam
        grad = lam if self.half else T.Scale(T.Constant(2), lam)
        backward = {role: T.Scale(grad, names.row(role)) for role in weights}
        return names.formulas(T.Scale(factor, total), backward, out="loss")

    def __repr__(self) -> str:
        """``L2(lam=0.001, half=False)``."""
        return _spec_repr(self.spec())


def _spec_repr(spec: dict[str, Any]) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in spec.items() if k != "type")
    return f"{spec['type']}({args})"


LOSS_TYPES: dict[str, type[Loss]] = {
    cls.kind: cls
    for cls in (HalfSquaredError, MeanSquaredError, BinaryCrossEntropy, SoftmaxCrossEntropy)
}


def loss_from_spec(spec: dict[str, Any]) -> Loss:
    """Rebuild a loss from ``Loss.spec()`` plain data."""
    if not isinstance(spec, dict) or spec.get("type") not in LOSS_TYPES:
        known = sorted(LOSS_TYPES)
        raise ConfigError(f"loss spec must be a dict with 'type' one of {known}, got {spec!r}")
    kwargs = {k: v for k, v in spec.items() if k != "type"}
    try:
        return LOSS_TYPES[spec["type"]](**kwargs)
    except TypeError as err:
        raise ConfigError(f"loss spec {spec!r} is invalid: {err}") from None
