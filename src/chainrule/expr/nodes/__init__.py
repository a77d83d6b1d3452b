"""The node kinds of the expression tree, one module per family.

:mod:`~chainrule.expr.nodes.base` holds what every node shares (the base class ``Expr``,
the registry of node classes, the depth limit, the shape checks); the others hold the
kinds: :mod:`~chainrule.expr.nodes.leaves`, :mod:`~chainrule.expr.nodes.arithmetic`,
:mod:`~chainrule.expr.nodes.calls` (functions, comparisons, reductions),
:mod:`~chainrule.expr.nodes.indexing` (element access, written-out matrices, indexed sums)
and :mod:`~chainrule.expr.nodes.equation`. Import them through :mod:`chainrule.expr.tree`,
which gathers every kind in the order the registry lists them.
"""
