"""The benchmark networks, their initial weights and their data: one definition for every
implementation, so that chainrule, PyTorch, scikit-learn and the matrix-products bound train
the same network from the same weights on the same batches.

Only NumPy is imported here; each implementation imports its own library in its own process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Net:
    """A multilayer perceptron trained with Adam on mini-batches of ``batch`` examples."""

    key: str
    title: str
    sizes: tuple[int, ...]  # layer widths, input first
    bias: bool
    out_relu: bool  # a ReLU after the last linear layer too (the autoencoder)
    loss: str  # "softmax_ce", "mse" (sum over outputs, mean over the batch), "half_se"
    batch: int
    l2: float = 0.0  # lam * sum ||W||^2 over weights
    data: str = "normal"  # inputs: "normal" N(0, 1) or "unit" U(0, 1) (images)

    @property
    def n_classes(self) -> int:
        return self.sizes[-1]


NETS: dict[str, Net] = {
    net.key: net
    for net in (
        Net("N1", "N1 3072-100-10 softmax-CE+L2", (3072, 100, 10), True, False, "softmax_ce", 256,
            l2=1e-3),
        Net("N2b1", "N2 seed001 4-3-2-1 batch 1", (4, 3, 2, 1), False, False, "half_se", 1),
        Net("N2b2", "N2 seed001 4-3-2-1 batch 2", (4, 3, 2, 1), False, False, "half_se", 2),
        Net("N3", "N3 autoencoder 784-128-784", (784, 128, 784), True, True, "mse", 128,
            data="unit"),
        Net("N4", "N4 784-1024-1024-10", (784, 1024, 1024, 10), True, False, "softmax_ce", 512),
        # what users train (softmax cross-entropy, Adam, no L2): MNIST-shaped at two batch
        # sizes, CS231n's two-layer net on CIFAR-10 shapes, the default `chainrule train`
        Net("U1", "U1 MNIST 784-100-10", (784, 100, 10), True, False, "softmax_ce", 32),
        Net("U2", "U2 MNIST 784-100-10", (784, 100, 10), True, False, "softmax_ce", 128),
        Net("U3", "U3 CIFAR 3072-100-10", (3072, 100, 10), True, False, "softmax_ce", 200),
        Net("U4", "U4 digits 64-100-10", (64, 100, 10), True, False, "softmax_ce", 32),
    )
}  # fmt: skip

#: Batches cycled through during timing (an epoch of a pre-shuffled, contiguous data set).
N_BATCHES = 8
LR = 1e-3


def weights(net: Net) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """``[(W, b), ...]`` float32, ``W`` of shape (d_out, d_in), PyTorch's default init."""
    rng = np.random.default_rng(0)
    out = []
    for d_in, d_out in zip(net.sizes[:-1], net.sizes[1:], strict=True):
        bound = 1.0 / np.sqrt(d_in)
        W = rng.uniform(-bound, bound, size=(d_out, d_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, size=d_out).astype(np.float32) if net.bias else None
        out.append((W, b))
    return out


def data(net: Net, n: int | None = None, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``n`` examples (default ``N_BATCHES`` batches): float32 inputs and the targets.

    Generated straight into float32 arrays, so that no float64 temporary raises the peak
    memory of the process (the memory probe takes its baseline after this call)."""
    n = N_BATCHES * net.batch if n is None else n
    rng = np.random.default_rng(seed)
    X = np.empty((n, net.sizes[0]), dtype=np.float32)
    if net.data == "unit":
        rng.random(dtype=np.float32, out=X)
    else:
        rng.standard_normal(dtype=np.float32, out=X)
    if net.loss == "softmax_ce":
        y = rng.integers(0, net.n_classes, size=n)
    elif net.loss == "mse" and net.sizes[-1] == net.sizes[0]:
        y = X  # an autoencoder reconstructs its input
    else:
        y = rng.standard_normal((n, net.sizes[-1]), dtype=np.float32)
    return X, y


def batches(net: Net, X: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Contiguous slices of ``net.batch`` rows (views, no copies)."""
    b = net.batch
    return [(X[i : i + b], y[i : i + b]) for i in range(0, X.shape[0] - b + 1, b)]


def gemm_flops(net: Net) -> float:
    """Floating-point operations of the matrix products of one step (2 per multiply-add):
    forward ``X W^T``, ``dW = G^T X`` for every layer, ``dX = G W`` for all but the first."""
    n = net.batch
    pairs = list(zip(net.sizes[:-1], net.sizes[1:], strict=True))
    fwd = sum(2 * n * a * b for a, b in pairs)
    dx = sum(2 * n * a * b for a, b in pairs[1:])
    return 2 * fwd + dx
