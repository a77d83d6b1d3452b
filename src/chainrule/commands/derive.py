"""``chainrule derive``: the backprop derivation of a network, verified, in the course's notation.

Exit code 0, 3 when ``--verify`` finds a step that disagrees with the engine, 2 for a usage
or config error (an unknown network, notation, name in ``--at``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from chainrule.commands.output import add_command, add_json_flag, emit, seed_value
from chainrule.errors import CheckFailedError, ConfigError
from chainrule.suggest import did_you_mean

FORMATS = ("text", "latex", "markdown", "html", "json")
LOSSES = {
    "half-squared-error": ("HalfSquaredError", {}),
    "mse": ("MeanSquaredError", {}),
    "binary-cross-entropy": ("BinaryCrossEntropy", {}),
    "binary-cross-entropy-logits": ("BinaryCrossEntropy", {"from_logits": True}),
    "softmax-cross-entropy": ("SoftmaxCrossEntropy", {}),
    "cross-entropy": ("SoftmaxCrossEntropy", {}),
}


HELP = "derive a network's backprop step by step, in a course's notation, verified"
DESCRIPTION = (
    "Print the forward pass, the loss and the backward pass of a network layer by "
    "layer, from the layers' own formulas, in a notation (a preset or a TOML file) and "
    "a layout; --verify checks every formula against the engine (exit 3 on a mismatch)."
)


def register(subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "derive", HELP, DESCRIPTION, run)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--model", metavar="NAME", help="a zoo network (default: seed 003's)")
    what.add_argument(
        "--layers",
        metavar="SPEC",
        help="the input width, then each layer's width and activation, e.g. "
        "'4-3-relu-2-relu-1', or a JSON list of layer specs",
    )
    parser.add_argument("--loss", choices=sorted(LOSSES), help="the loss (default: the zoo's)")
    parser.add_argument("--l2", type=float, metavar="LAMBDA", help="L2 strength on the weights")
    parser.add_argument("--layout", choices=("row", "xw", "column"), help="default: the notation's")
    parser.add_argument("--notation", metavar="NAME|FILE", help="a preset or a TOML file")
    parser.add_argument("--element", action="store_true", help="add the element-wise index form")
    batch = parser.add_mutually_exclusive_group()
    batch.add_argument("--batch", action="store_true", default=None, help="a mini-batch")
    batch.add_argument("--single", action="store_true", help="one example")
    parser.add_argument("--trace", action="store_true", help="add the worked numbers")
    parser.add_argument("--at", metavar="VALUES", help="values for the trace: 'x=[1, 0.5]; W1=...'")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (text)")
    parser.add_argument("--document", action="store_true", help="a complete .tex file (LaTeX)")
    parser.add_argument("--out", metavar="FILE", help="write the output to FILE (atomically)")
    parser.add_argument("--verify", action="store_true", help="check every step (exit 3 if off)")
    parser.add_argument(
        "--seed", type=seed_value, default=0, help="seed of the weights and data (0)"
    )
    add_json_flag(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    import chainrule as cr

    d, data = _derivation(args)
    if args.at and not args.trace:
        raise ConfigError("--at gives the values of the trace: add --trace")
    report = d.verify(*data) if args.verify else None
    worked = d.trace(*data, at=args.at) if args.trace else None
    if args.document and args.format not in ("text", "latex"):
        raise ConfigError("--document makes a LaTeX file: use it with --format latex")
    fmt = "latex" if args.document else args.format
    text = _render(d, fmt, args.document, report, worked)
    if args.out:
        from chainrule.atomic import atomic_write

        with atomic_write(args.out, text=True) as fh:
            fh.write(text)
    failed = (report is not None and not report.ok) or (worked is not None and not worked.ok)
    payload = {"ok": not failed, "derivation": cr.derivation.render.as_data(d, report)}
    if worked is not None:
        payload["trace"] = worked.as_data()
    if args.out:
        payload["out"] = args.out
    emit(args, payload, lambda: _print(text, args.out))
    if failed:
        print(
            f"chainrule derive: a formula disagrees with the engine "
            f"(largest relative error {report.max_error if report else 'in the trace'})",
            file=sys.stderr,
        )
        return CheckFailedError.exit_code
    return 0


def _print(text: str, out: str | None) -> None:
    if out:
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def _derivation(args: argparse.Namespace) -> tuple[Any, tuple[Any, Any]]:
    import numpy as np

    import chainrule as cr

    batch = False if args.single else (True if args.batch else None)
    form = "both" if args.element else "matrix"
    loss = _loss(args.loss) if args.loss else None
    if args.layers:
        model = _model(args.layers, args.seed)
        if loss is None:
            raise ConfigError("--layers needs --loss (e.g. --loss half-squared-error)")
        d = cr.derive(model, loss, l2=args.l2, layout=args.layout, notation=args.notation,
                      form=form, batch=batch)  # fmt: skip
        return d, _random_data(d, np.random.default_rng(args.seed + 1))
    name = args.model or "seed003-relu-sigmoid-2-2-1"
    net = cr.zoo.build(name, seed=args.seed)
    notation = args.notation
    if notation is None:
        from chainrule.derivation.entry import zoo_notation

        notation = zoo_notation(net)
    d = cr.derive(net.model, loss or net.loss, l2=net.l2 if args.l2 is None else args.l2,
                  layout=args.layout, notation=notation, form=form, batch=batch)  # fmt: skip
    X, y = net.X, net.y
    if not d.batch:
        X, y = X[:1], y[:1]
    return d, (X, y)


def _loss(name: str) -> Any:
    from chainrule import losses

    cls, kwargs = LOSSES[name]
    return getattr(losses, cls)(**kwargs)


def _model(spec: str, seed: int) -> Any:
    import numpy as np

    import chainrule as cr
    from chainrule.specs import activation_names, parse_layers

    spec = spec.strip()
    if spec.startswith("["):
        try:
            layers = json.loads(spec)
        except json.JSONDecodeError as err:
            raise ConfigError(f"--layers: not a JSON list of layer specs: {err}") from None
        return cr.Sequential.from_spec(layers, dtype=np.float64, seed=seed)
    tokens = [t.strip() for t in spec.split("-")]
    if len(tokens) < 2 or not tokens[0].isdigit() or not tokens[1].isdigit():
        raise ConfigError(
            f"--layers {spec!r}: start with the input width, then each layer's width and "
            "its activation joined by '-', e.g. '4-3-relu-2-relu-1'"
        )
    last = None if tokens[-1].isdigit() else tokens.pop().lower()
    layers = parse_layers("-".join(tokens[1:]), int(tokens[0]), int(tokens[-1]))
    if last is not None:
        activations = activation_names()
        if last not in activations:
            hint = did_you_mean(last, activations)
            raise ConfigError(f"--layers {spec!r}: unknown activation {last!r}{hint}")
        layers.append({"type": activations[last]})
    return cr.Sequential.from_spec(layers, dtype=np.float64, seed=seed)


def _random_data(d: Any, rng: Any) -> tuple[Any, Any]:
    from chainrule.specs import random_targets

    plan = d.plan
    n = 3 if d.batch else 1
    X = rng.standard_normal((n, plan.blocks[0].linear.d_in))
    return X, random_targets(plan.loss, rng, n, plan.blocks[-1].linear.d_out)


def _render(d: Any, fmt: str, document: bool, report: Any, worked: Any) -> str:
    import chainrule.derivation.render as render

    if fmt == "latex":
        if document:
            text = render.to_document(d, report)
            if worked is not None:
                text = text.replace(
                    "\\end{document}", worked.to_document_section() + "\n\\end{document}"
                )
            return text
        return render.to_latex(d, report) + (worked.to_latex() if worked else "")
    if fmt == "markdown":
        return render.to_markdown(d, report) + ("\n" + worked.to_markdown() if worked else "")
    if fmt == "html":
        return render.to_html(d, report)
    if fmt == "json":
        data = render.as_data(d, report)
        if worked is not None:
            data["trace"] = worked.as_data()
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return render.to_text(d, report) + ("\n" + worked.to_text() if worked else "")
