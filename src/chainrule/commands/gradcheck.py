"""``chainrule gradcheck``: check every zoo network's gradients numerically.

Exit code 0 when every check passes, a :class:`~chainrule.errors.CheckFailedError`'s when
one fails or tests nothing (a gradient exactly 0 on the example batch;
``--allow-inconclusive`` lets that pass).
"""

from __future__ import annotations

import argparse
from typing import Any

from chainrule.arguments import positive
from chainrule.commands.output import add_command, add_json_flag, emit, note, seed_value
from chainrule.errors import CheckFailedError, ConfigError

HELP = "check the gradients of the zoo networks against finite differences"
DESCRIPTION = (
    "Compare every analytic gradient (weights, biases, L2 term, input) of the zoo "
    "networks (the course notes' examples) with float64 central differences. Exit "
    f"{CheckFailedError.exit_code} when a check fails or tests nothing (a gradient exactly 0 "
    "on the example batch)."
)


def register(subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "gradcheck", HELP, DESCRIPTION, run)
    parser.add_argument(
        "--model",
        action="append",
        metavar="NAME",
        help="a zoo network (repeatable); default: all of them. See --list.",
    )
    parser.add_argument("--list", action="store_true", help="list the zoo networks and exit")
    parser.add_argument("--tol", type=float, default=1e-7, help="largest relative error (1e-7)")
    parser.add_argument("--eps", type=float, default=1e-6, help="finite-difference step h (1e-6)")
    parser.add_argument(
        "--mode", choices=("auto", "full", "directions"), default="auto", help="entries to probe"
    )
    parser.add_argument(
        "--seed", type=seed_value, default=0, help="seed of weights and example data"
    )
    parser.add_argument(
        "--allow-inconclusive",
        action="store_true",
        help="exit 0 although a check tested nothing (a gradient exactly 0 on the batch)",
    )
    add_json_flag(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from chainrule import zoo

    if args.list:
        payload = {"models": {name: zoo.describe(name) for name in zoo.names()}}
        emit(
            args,
            payload,
            lambda: print("\n".join(f"{n}: {d}" for n, d in payload["models"].items())),
        )
        return 0
    positive("--tol", args.tol)
    positive("--eps", args.eps)
    if args.eps >= 1:
        raise ConfigError(f"--eps is the finite-difference step h, below 1, got {args.eps:g}")
    names = args.model or zoo.names()
    for name in names:
        zoo.describe(name)  # an unknown name is refused before any work
    results = {name: _check(args, name) for name in names}
    ok = all(r.ok for r in results.values())
    reasons = [
        f"{name}: {n}" for name, r in results.items() for n in r.notes if "inconclusive" in n
    ]
    payload = {
        "ok": ok,
        "max_rel_error": max(r.max_rel_error for r in results.values()),
        "inconclusive": reasons,
        "models": {name: r.to_dict() for name, r in results.items()},
    }

    def render() -> None:
        for name, report in results.items():
            print(f"\n{name}: {zoo.describe(name)}")
            print(report)
        failed = any(c.status == "FAIL" for r in results.values() for c in r.checks)
        if failed:
            verdict = "SOME GRADIENTS DISAGREE"
        elif reasons:
            verdict = "SOME CHECKS TESTED NOTHING" if not ok else "all gradients agree"
        else:
            verdict = "all gradients agree"
        print(
            f"\n{verdict}: {len(results)} networks, max relative error "
            f"{payload['max_rel_error']:.2e}"
        )
        for reason in reasons:
            print(f"  {reason}")

    emit(args, payload, render)
    return 0 if ok else CheckFailedError.exit_code


def _check(args: argparse.Namespace, name: str) -> Any:
    """The gradient check of zoo network ``name`` on its example batch."""
    from chainrule import zoo
    from chainrule.gradient_check import gradcheck

    net = zoo.build(name, seed=args.seed)
    note(args, f"checking {name} ...")
    return gradcheck(
        net.model,
        net.loss,
        net.X,
        net.y,
        l2=net.l2 or None,
        eps=args.eps,
        tol=args.tol,
        mode=args.mode,
        check_input=True,
        seed=args.seed,
        allow_inconclusive=args.allow_inconclusive,
    )
