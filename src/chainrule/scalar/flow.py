"""The flow rules of seed 004: how each operation passes the upstream gradient on.

A sum distributes the upstream gradient unchanged, a product splits it and scales each
branch by the other factor, max and min route it to the input that won, a sigmoid
attenuates it by :math:`z(1 - z)`. The tables and pictures print these words beside the
numbers; :class:`~chainrule.scalar.value.Value` names its rule by ``op``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FLOW_RULES", "FlowRule"]


@dataclass(frozen=True)
class FlowRule:
    """How an operation passes the upstream gradient to its inputs.

    Attributes
    ----------
    name : str
        Short name, e.g. ``"distribute"``.
    words : str
        The rule in words (ASCII, so it fits terminals, Markdown and LaTeX alike).
    """

    name: str
    words: str


#: Flow rule of each operation, keyed by ``Value.op``.
FLOW_RULES: dict[str, FlowRule] = {
    "leaf": FlowRule("collect", "leaf: the flows reaching it sum to its gradient"),
    "+": FlowRule("distribute", "distribute flow unchanged"),
    "-": FlowRule("distribute", "distribute flow: unchanged to a, negated to b"),
    "neg": FlowRule("negate", "pass flow on negated"),
    "*": FlowRule("split & scale", "split flow & scale each branch by the other factor"),
    "/": FlowRule("split & scale", "split flow: scale by 1/b toward a, by -a/b^2 toward b"),
    "pow": FlowRule("scale", "scale flow by p * a^(p-1)"),
    "pow_var": FlowRule(
        "split & scale", "split flow: scale by b * a^(b-1) toward a, by a^b * ln(a) toward b"
    ),
    "max": FlowRule("route", "direct flow to the max input (the first one on a tie)"),
    "min": FlowRule("route", "direct flow to the min input (the first one on a tie)"),
    "exp": FlowRule("scale", "scale flow by the output e^a"),
    "log": FlowRule("scale", "scale flow by 1/a"),
    "sigmoid": FlowRule(
        "attenuate", "attenuate flow increasingly as output saturates: times z(1 - z)"
    ),
    "tanh": FlowRule("attenuate", "attenuate flow as output saturates: times 1 - z^2"),
    "relu": FlowRule("gate", "pass flow if the input is > 0, block it otherwise"),
    "abs": FlowRule("sign", "pass flow times the sign of the input (0 at 0)"),
}
