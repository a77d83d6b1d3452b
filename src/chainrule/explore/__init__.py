"""``chainrule explore``: a local web page where a student steps through backpropagation on a
live network. The browser draws; chainrule computes every number and every formula.

Modules: :mod:`~chainrule.explore.network` (which network, which examples),
:mod:`~chainrule.explore.engine` (every unit's value and gradient, training steps),
:mod:`~chainrule.explore.session` (the state one student changes),
:mod:`~chainrule.explore.formulas` (the stepper's steps with derive's math as MathML),
:mod:`~chainrule.explore.scalar_mode` (a formula as a scalar graph),
:mod:`~chainrule.explore.security` (local-only doors, bounded bodies),
:mod:`~chainrule.explore.app` and :mod:`~chainrule.explore.api` (the Starlette server),
:mod:`~chainrule.explore.limits` (every size bound). The page itself is ``static/``.

The web stack (Starlette, uvicorn) is the optional extra ``explore``: ``import chainrule``
never loads it, and this package loads it only in :mod:`~chainrule.explore.app`.
"""
