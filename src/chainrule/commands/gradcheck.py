"""``chainrule gradcheck``: check every seed network's gradients numerically.

Exit code 0 when every check passes, 3 when one fails.
"""

from __future__ import annotations

import argparse
import sys

from chainrule.commands.output import add_command, add_json_flag, emit
from chainrule.errors import CheckFailedError

HELP = "check the gradients of the seed networks against finite differences"
DESCRIPTION = (
    "Compare every analytic gradient (weights, biases, L2 term, input) of the seed "
    "networks with float64 central differences. Exit "
    f"{CheckFailedError.exit_code} when a check fails."
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
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and example data")
    add_json_flag(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from chainrule import zoo
    from chainrule.gradcheck import gradcheck

    if args.list:
        payload = {"models": {name: zoo.describe(name) for name in zoo.names()}}
        emit(
            args,
            payload,
            lambda: print("\n".join(f"{n}: {d}" for n, d in payload["models"].items())),
        )
        return 0
    names = args.model or zoo.names()
    results = {}
    for name in names:
        net = zoo.build(name, seed=args.seed)
        if not args.json:
            print(f"checking {name} ...", file=sys.stderr)
        report = gradcheck(
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
        )
        results[name] = report

    ok = all(r.ok for r in results.values())
    payload = {
        "ok": ok,
        "max_rel_error": max(r.max_rel_error for r in results.values()),
        "models": {name: r.to_dict() for name, r in results.items()},
    }

    def render() -> None:
        for name, report in results.items():
            print(f"\n{name}: {zoo.describe(name)}")
            print(report)
        verdict = "all gradients agree" if ok else "SOME GRADIENTS DISAGREE"
        print(
            f"\n{verdict}: {len(results)} networks, max relative error "
            f"{payload['max_rel_error']:.2e}"
        )

    emit(args, payload, render)
    return 0 if ok else CheckFailedError.exit_code
