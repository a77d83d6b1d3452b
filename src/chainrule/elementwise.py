r"""The element-wise functions and their derivatives, computed once for everyone.

The layers, :mod:`chainrule.expr` (``\sigma``, ``relu'``), :mod:`chainrule.scalar` and
:mod:`chainrule.rbm` all call these, so that a formula a derivation prints is evaluated by
the very code the engine trains with (``relu'`` in a formula *is* ReLU's backward mask).

=============  ======================================  ===================================
function       value                                   derivative (``*_grad``)
=============  ======================================  ===================================
relu           :math:`\max(z, 0)`                      :math:`[z > 0]`, so ReLU'(0) = 0
leaky_relu     :math:`\max(z, a z)` (0 <= a < 1)       1 for z > 0, else a (a at 0)
sigmoid        :math:`1 / (1 + e^{-z})`, no overflow   from the output: :math:`h (1 - h)`
tanh           :math:`\tanh z`                         from the output: :math:`1 - h^2`
softmax        :math:`e^{z_k} / \sum_j e^{z_j}`         ``softmax_backward(s, G)``:
               along the last axis                     :math:`s \odot (G - \langle G, s\rangle)`
softplus       :math:`\ln(1 + e^z)`, no overflow       (its derivative is the sigmoid)
=============  ======================================  ===================================

Each takes a float array (any dtype, which it keeps) and an optional ``out`` array of the
same shape that may not alias the input. Scalars work too (they come back as 0-d arrays).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "leaky_relu",
    "leaky_relu_grad",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "softmax_backward",
    "softplus",
    "tanh",
    "tanh_grad",
]


def _out(z: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    return np.empty_like(z) if out is None else out


def relu(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\max(z, 0)`."""
    z = np.asarray(z)
    return np.maximum(z, 0, out=_out(z, out))


def relu_grad(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The mask :math:`[z > 0]` in z's dtype: ReLU'(0) = 0, as PyTorch."""
    z = np.asarray(z)
    return np.greater(z, 0, out=_out(z, out))


def leaky_relu(z: np.ndarray, slope: float, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\max(z, a z)`, which is leaky ReLU because :math:`0 \le a < 1`."""
    z = np.asarray(z)
    h = np.multiply(z, slope, out=_out(z, out))
    return np.maximum(h, z, out=h)


def leaky_relu_grad(z: np.ndarray, slope: float, out: np.ndarray | None = None) -> np.ndarray:
    """1 where z > 0, else ``slope`` (the slope at 0, as PyTorch)."""
    z = np.asarray(z)
    g = _out(z, out)
    g[...] = slope
    np.copyto(g, 1, where=z > 0)
    return g


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\sigma(z)` without overflow: :math:`1/(1+e^{-|z|})` for z >= 0 and
    :math:`e^{-|z|}/(1+e^{-|z|})` for z < 0 (for z = -40 the exact 4.2e-18)."""
    z = np.asarray(z)
    h = _out(z, out)
    e = np.asarray(np.exp(-np.abs(z)))  # an array even for a 0-d z
    np.add(e, 1.0, out=h)
    np.reciprocal(h, out=h)
    np.multiply(e, h, out=e)
    np.copyto(h, e, where=z < 0)
    return h


def sigmoid_grad(h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\sigma'(z) = h (1 - h)` from the output :math:`h = \sigma(z)`."""
    h = np.asarray(h)
    g = np.subtract(1, h, out=_out(h, out))
    g *= h
    return g


def tanh(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\tanh z`."""
    z = np.asarray(z)
    return np.tanh(z, out=_out(z, out))


def tanh_grad(h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\tanh'(z) = 1 - h^2` from the output :math:`h = \tanh z`."""
    h = np.asarray(h)
    g = np.multiply(h, h, out=_out(h, out))
    return np.subtract(1, g, out=g)


def softmax(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r"""Softmax along the last axis, shifted by the maximum so that no exponential
    overflows."""
    z = np.asarray(z)
    s = np.subtract(z, z.max(axis=-1, keepdims=True), out=_out(z, out))
    np.exp(s, out=s)
    s /= s.sum(axis=-1, keepdims=True)
    return s


def softmax_backward(s: np.ndarray, G: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r"""The Jacobian-vector product of softmax, :math:`s \odot (G - \langle G, s\rangle)`
    along the last axis (its Jacobian is :math:`\mathrm{diag}(s) - s s^\top`)."""
    s, G = np.asarray(s), np.asarray(G)
    dz = np.multiply(G, s, out=_out(G, out))
    inner = dz.sum(axis=-1, keepdims=True)
    np.subtract(G, inner, out=dz)
    dz *= s
    return dz


def softplus(z: np.ndarray) -> np.ndarray:
    r""":math:`\ln(1 + e^z)` without overflow."""
    return np.logaddexp(0.0, z)
