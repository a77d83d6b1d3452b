"""``chainrule evaluate CKPT``: loss and accuracy of a saved model on a data set.

The data is standardised with the statistics saved in the checkpoint; by default it is the
test part of the data the model was trained on.
"""

from __future__ import annotations

import argparse
from typing import Any

from chainrule.commands.output import add_command, add_json_flag, emit, summary
from chainrule.errors import CheckpointError, ShapeError

HELP = "loss and accuracy of a checkpoint on a data set"


def register(subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "evaluate", HELP, summary(__doc__), run)
    parser.add_argument("checkpoint", metavar="CKPT", help="a model.chainrule file")
    parser.add_argument("--data", help="data source (default: the one it was trained on)")
    parser.add_argument(
        "--split", choices=("test", "train"), default="test", help="which part (test)"
    )
    add_json_flag(parser)
    return parser


def prepare(ckpt: Any, X: Any) -> Any:
    """``X`` standardised as at training time (unchanged when no statistics were saved)."""
    from chainrule.data import Standardizer

    stats = ckpt.extra.get("preprocessing")
    if stats is None:
        return X
    scaler = Standardizer.from_dict(stats)
    if X.shape[1] != scaler.mean.shape[0]:
        raise ShapeError(
            f"the data has {X.shape[1]} features, the model in {ckpt.path} was trained on "
            f"{scaler.mean.shape[0]}"
        )
    return scaler.transform(X)


def _load_saved_source(source: str) -> Any:
    """The data named in the checkpoint; a file path in it is relative to the folder the
    training ran in, so a failure says how to point at the data from here."""
    from chainrule.data import load
    from chainrule.errors import DataError

    try:
        return load(source, seed=0)
    except DataError as err:
        raise DataError(
            f"{err}\n(the data source {source!r} comes from the checkpoint; a relative path in "
            "it is relative to the folder training ran in: run from there, or give --data)"
        ) from err


def run(args: argparse.Namespace) -> int:
    import chainrule as cr
    from chainrule.data import load
    from chainrule.specs import targets_for
    from chainrule.train import accuracy, loss_and_accuracy

    ckpt = cr.load(args.checkpoint)
    source = args.data or (ckpt.extra.get("data") or {}).get("source")
    if source is None:
        raise CheckpointError(f"checkpoint {ckpt.path} does not say its data source: give --data")
    ds = _load_saved_source(source) if args.data is None else load(source, seed=0)
    X, y = (ds.X_test, ds.y_test) if args.split == "test" else (ds.X_train, ds.y_train)
    X = prepare(ckpt, X)
    loss = ckpt.loss or cr.SoftmaxCrossEntropy()
    l2 = float((ckpt.extra.get("settings") or {}).get("l2") or 0.0)
    metrics = loss_and_accuracy(ckpt.model, loss, X, targets_for(loss, y, ds.n_classes), l2=l2)
    payload = {
        "ok": True,
        "checkpoint": str(ckpt.path),
        "data": ds.name,
        "split": args.split,
        "n": int(y.shape[0]),
        "loss": metrics["loss"],
        "accuracy": accuracy(ckpt.model, X, y, loss),
    }

    def render() -> None:
        print(
            f"{ds.name} {args.split}: accuracy {payload['accuracy']:.4f}, "
            f"loss {payload['loss']:.4f} on {payload['n']} examples"
        )

    emit(args, payload, render)
    return 0
