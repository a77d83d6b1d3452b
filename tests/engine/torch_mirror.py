"""Build the PyTorch twin of a chainrule model and loss, for parity tests."""

from __future__ import annotations

import numpy as np


def torch_twin(model, torch):
    """A ``torch.nn.Sequential`` with the same layers and the same float64 weights."""
    mods = []
    for layer in model.layers:
        kind = layer.kind
        if kind == "Linear":
            lin = torch.nn.Linear(layer.d_in, layer.d_out, bias=layer.bias, dtype=torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(layer.W.value.astype(np.float64)))
                if layer.bias:
                    lin.bias.copy_(torch.from_numpy(layer.b.value.astype(np.float64)))
            mods.append(lin)
        elif kind == "ReLU":
            mods.append(torch.nn.ReLU())
        elif kind == "LeakyReLU":
            mods.append(torch.nn.LeakyReLU(layer.slope))
        elif kind == "Sigmoid":
            mods.append(torch.nn.Sigmoid())
        elif kind == "Tanh":
            mods.append(torch.nn.Tanh())
        elif kind == "Identity":
            mods.append(torch.nn.Identity())
        elif kind == "Softmax":
            mods.append(torch.nn.Softmax(dim=1))
        else:  # pragma: no cover - a new layer type needs a twin here
            raise NotImplementedError(kind)
    return torch.nn.Sequential(*mods)


def torch_loss(loss, out, y, torch):
    """The PyTorch value of a chainrule loss, written from PyTorch's own functions."""
    F = torch.nn.functional
    n = out.shape[0]
    kind = loss.kind
    scale = 1.0 / n if loss.reduction == "mean" else 1.0
    if kind == "HalfSquaredError":
        return 0.5 * F.mse_loss(out, y, reduction="sum") * scale
    if kind == "MeanSquaredError":
        if loss.per == "element" and loss.reduction == "mean":
            return F.mse_loss(out, y, reduction="mean")
        return F.mse_loss(out, y, reduction="sum") * scale
    if kind == "BinaryCrossEntropy":
        if loss.from_logits:
            return F.binary_cross_entropy_with_logits(out, y, reduction="sum") * scale
        return F.binary_cross_entropy(out, y, reduction="sum") * scale
    if kind == "SoftmaxCrossEntropy":
        return F.cross_entropy(out, y, reduction="sum") * scale
    raise NotImplementedError(kind)  # pragma: no cover


def max_rel(a, b) -> float:
    """Largest entry-wise difference relative to the largest entry of ``b``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(float(np.abs(b).max(initial=0.0)), 1e-300)
    return float(np.abs(a - b).max(initial=0.0)) / scale
