r"""Restricted Boltzmann machines with exact gradients for small models.

A binary RBM has energy :math:`E(v, h) = -b^T v - c^T h - v^T W h`. For a model whose
smaller layer has at most :data:`MAX_EXACT_UNITS` units the partition function, the exact
log-likelihood of a data set and its exact gradient are computed by enumeration, so CD-k and
PCD estimates can be compared with the truth.

>>> import numpy as np
>>> from chainrule.rbm import RBM
>>> rbm = RBM(6, 3, seed=0)
>>> V = np.eye(6)[:4]
>>> grads = rbm.exact_gradient(V)
>>> sorted((name, g.shape) for name, g in grads.items())
[('W', (6, 3)), ('b', (6,)), ('c', (3,))]

Modules: :mod:`~chainrule.rbm.model` (the RBM), :mod:`~chainrule.rbm.exact` (enumeration),
:mod:`~chainrule.rbm.train` (CD-k, PCD), :mod:`~chainrule.rbm.digits` (binarised digits).
"""

from __future__ import annotations

from chainrule.rbm.digits import load_binary_digits
from chainrule.rbm.exact import MAX_EXACT_UNITS
from chainrule.rbm.model import RBM
from chainrule.rbm.train import cd_gradient, fit

__all__ = ["MAX_EXACT_UNITS", "RBM", "cd_gradient", "fit", "load_binary_digits"]
