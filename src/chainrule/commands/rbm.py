"""``chainrule rbm train``: train a binary RBM on the binarised digits, with pictures.

Writes into ``--out``: ``rbm.chainrule`` (a checkpoint, :meth:`chainrule.rbm.RBM.load` reads
it), ``filters.png`` (each hidden unit's weights as an 8x8 image) and ``samples.png``
(visible states after long Gibbs chains). When the smaller layer is small enough, reports
the exact average log-likelihood of the held-out digits before and after training.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.arguments import positive_int
from chainrule.commands.output import add_json_flag, emit
from chainrule.errors import ConfigError
from chainrule.plot import image_grid

IMAGE_SHAPE = (8, 8)


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "rbm",
        help="restricted Boltzmann machine on the binarised digits",
        description="Train and inspect a binary restricted Boltzmann machine.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    train = actions.add_parser(
        "train",
        help="train by PCD or CD-k and write samples and filters as PNG pictures",
        description=(
            "Train an RBM on scikit-learn's 8x8 digits binarised at --threshold, by persistent "
            "contrastive divergence (default) or CD-k, with momentum, weight decay and a "
            "learning rate annealed to 0. Writes rbm.chainrule, filters.png and samples.png "
            "into --out, and reports the exact held-out log-likelihood when the hidden layer "
            "has at most 22 units."
        ),
        epilog="example: chainrule rbm train --hidden 16 --epochs 20 --out runs/rbm",
    )
    train.add_argument("--hidden", type=int, default=16, help="hidden units (16)")
    train.add_argument("--epochs", type=int, default=20, help="passes over the data (20)")
    train.add_argument("--batch-size", type=int, default=20, help="rows per update (20)")
    train.add_argument("--lr", type=float, default=0.1, help="initial learning rate (0.1)")
    train.add_argument("--k", type=int, default=1, help="Gibbs steps per update (1)")
    train.add_argument(
        "--method", choices=("pcd", "cd"), default="pcd", help="persistent CD or CD-k (pcd)"
    )
    train.add_argument("--momentum", type=float, default=0.5, help="momentum (0.5)")
    train.add_argument("--weight-decay", type=float, default=1e-4, help="L2 on W (1e-4)")
    train.add_argument("--threshold", type=float, default=8, help="pixel > threshold is on (8)")
    train.add_argument(
        "--dtype", choices=("float32", "float64"), default="float32", help="(float32)"
    )
    train.add_argument("--seed", type=int, default=0, help="weights, split and sampling (0)")
    train.add_argument(
        "--sample-steps", type=int, default=1000, help="Gibbs steps per picture sample (1000)"
    )
    train.add_argument(
        "--out", type=Path, default=Path("runs/rbm"), help="output folder (runs/rbm)"
    )
    train.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_json_flag(train)
    train.set_defaults(func=run_train)
    return parser


def run_train(args: argparse.Namespace) -> int:
    from chainrule.rbm import MAX_EXACT_UNITS, RBM, fit, load_binary_digits

    started = time.perf_counter()
    message = f"--sample-steps is {args.sample_steps}; expected an integer >= 1"
    positive_int(args.sample_steps, message)
    out = _output_folder(args.out)
    train, heldout = load_binary_digits(args.threshold, seed=args.seed)
    rbm = RBM(train.shape[1], args.hidden, seed=args.seed, dtype=args.dtype)
    exact = min(rbm.n_visible, rbm.n_hidden) <= MAX_EXACT_UNITS

    def heldout_ll() -> float | None:
        return rbm.log_likelihood(heldout) / len(heldout) if exact else None

    before = heldout_ll()
    history = fit(
        rbm,
        train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        k=args.k,
        persistent=args.method == "pcd",
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        seed=args.seed,
        verbose=0 if args.quiet else 1,
    )
    after = heldout_ll()
    settings = _train_settings(args)
    payload: dict[str, Any] = {
        "ok": True,
        "settings": settings,
        "n_train": len(train),
        "n_heldout": len(heldout),
        "heldout_log_likelihood": {"before": before, "after": after},
        "reconstruction_error": history.history["reconstruction_error"][-1],
        "files": _train_files(args, rbm, out, settings, history.history),
        "seconds": time.perf_counter() - started,
    }

    def render() -> None:
        print(
            f"RBM 64 visible x {args.hidden} hidden, {args.method.upper()}-{args.k}, "
            f"{args.epochs} epochs on {len(train)} binarised digits"
        )
        if exact:
            print(f"held-out log-likelihood per digit (exact): {before:.3f} -> {after:.3f} nats")
        else:
            print(
                f"held-out log-likelihood: not computed (exact needs <= {MAX_EXACT_UNITS} "
                "hidden units)"
            )
        for name, path in payload["files"].items():
            print(f"{name}: {path}")

    emit(args, payload, render)
    return 0


def _train_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings of an ``rbm train`` run, as its checkpoint and JSON result keep them."""
    keys = ("hidden", "epochs", "batch_size", "lr", "k", "method", "momentum")
    keys += ("weight_decay", "threshold", "dtype", "seed")
    return {key: getattr(args, key) for key in keys}


def _train_files(
    args: argparse.Namespace, rbm: Any, out: Path, settings: dict, history: dict
) -> dict[str, str]:
    """Write the checkpoint, the filters and a picture of samples; their paths."""
    if not args.quiet:
        print(f"sampling {args.sample_steps} Gibbs steps for the picture ...", file=sys.stderr)
    samples = rbm.sample(64, steps=args.sample_steps, rng=np.random.default_rng(args.seed))
    return {
        "checkpoint": str(rbm.save(out / "rbm.chainrule", settings=settings, history=history)),
        "filters": str(image_grid(rbm.W.T, IMAGE_SHAPE, out / "filters.png", scale="signed")),
        "samples": str(image_grid(samples, IMAGE_SHAPE, out / "samples.png", scale="unit")),
    }


def _output_folder(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"--out {path}: cannot create the folder: {err}") from err
    return path
