"""Optimizers and learning-rate schedules.

Every optimizer updates each parameter in place from its ``.grad`` (shape and dtype of the
parameter) with preallocated buffers and ``out=`` arithmetic: :meth:`Optimizer.step` makes
no temporary arrays. Its state is explicit: the step count ``t``, the current ``lr`` and the
per-parameter buffers, keyed by parameter name, all in :meth:`Optimizer.state_dict`.

The package: :mod:`~chainrule.optim.base` (the contract and the state),
:mod:`~chainrule.optim.rules` (the five update rules), :mod:`~chainrule.optim.blocks` (the
cache-sized blocks they run on), :mod:`~chainrule.optim.schedules` (learning-rate schedules)
and :mod:`~chainrule.optim.factories` (both by name).

Notation: :math:`w` a parameter, :math:`g` its gradient, :math:`\\eta` the learning rate,
:math:`\\lambda` the weight decay, :math:`t` the step count, incremented *before* use so the
first step has :math:`t = 1`. Weight decay (except in :class:`AdamW`) is folded into the
gradient first, :math:`g \\leftarrow g + \\lambda w`, as in ``torch.optim``.

>>> import numpy as np
>>> class P:  # anything with .value and .grad works as a parameter
...     def __init__(self, v): self.value, self.grad = np.array(v), np.zeros(len(v))
>>> class M:
...     def __init__(self): self.w = P([1.0, -2.0])
...     def named_parameters(self): yield "w", self.w
>>> m = M(); opt = Adam(m, lr=0.1)
>>> m.w.grad[...] = [0.5, -0.5]; opt.step()
>>> m.w.value.round(6).tolist(), opt.t
([0.9, -1.9], 1)
"""

from __future__ import annotations

from chainrule.optim.base import Optimizer
from chainrule.optim.factories import (
    OPTIMIZERS,
    make_optimizer,
    make_schedule,
    optimizer_from_state,
)
from chainrule.optim.rules import SGD, Adam, AdamW, Momentum, RMSProp
from chainrule.optim.schedules import (
    SCHEDULES,
    ConstantLR,
    CosineLR,
    ExponentialLR,
    LinearWarmup,
    Schedule,
    StepLR,
)

__all__ = [
    "OPTIMIZERS",
    "SCHEDULES",
    "SGD",
    "Adam",
    "AdamW",
    "ConstantLR",
    "CosineLR",
    "ExponentialLR",
    "LinearWarmup",
    "Momentum",
    "Optimizer",
    "RMSProp",
    "Schedule",
    "StepLR",
    "make_optimizer",
    "make_schedule",
    "optimizer_from_state",
]
