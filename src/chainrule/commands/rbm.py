"""``chainrule rbm train``: train a binary RBM on the binarised digits, with pictures.

Writes into ``--out``: ``rbm.chainrule`` (a checkpoint, :meth:`chainrule.rbm.RBM.load` reads
it), ``filters.png`` (each hidden unit's weights as an 8x8 image) and ``samples.png``
(visible states after long Gibbs chains). When the smaller layer is small enough, reports
the exact average log-likelihood of the held-out digits before and after training.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.arguments import positive_int
from chainrule.commands.output import add_json_flag, emit, note, seed_value
from chainrule.commands.runs import check_run_folder, fresh_run_folder, open_run_folder
from chainrule.errors import Interrupted
from chainrule.plot import image_grid

IMAGE_SHAPE = (8, 8)


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "rbm",
        help="restricted Boltzmann machine on the binarised digits",
        description=(
            "Train and inspect a binary restricted Boltzmann machine. Options straight "
            "after rbm are train's: chainrule rbm --epochs 5 trains."
        ),
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
        epilog="example: chainrule rbm train --hidden 16 --epochs 20 --out runs/rbm -q",
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
    train.add_argument("--seed", type=seed_value, default=0, help="weights, split and sampling (0)")
    train.add_argument(
        "--sample-steps", type=int, default=1000, help="Gibbs steps per picture sample (1000)"
    )
    train.add_argument(
        "--out", type=Path, help="output folder (default: a new runs/rbm-<date>-<time>)"
    )
    add_json_flag(train)
    train.set_defaults(func=run_train)
    return parser


def run_train(args: argparse.Namespace) -> int:
    from chainrule.rbm import MAX_EXACT_UNITS, RBM, load_binary_digits

    started = time.perf_counter()
    message = f"--sample-steps is {args.sample_steps}; expected an integer >= 1"
    positive_int(args.sample_steps, message)
    out = check_run_folder(args.out or fresh_run_folder("rbm-"))
    train, heldout = load_binary_digits(args.threshold, seed=args.seed)
    rbm = RBM(train.shape[1], args.hidden, seed=args.seed, dtype=args.dtype)
    exact = min(rbm.n_visible, rbm.n_hidden) <= MAX_EXACT_UNITS

    def heldout_ll() -> float | None:
        return rbm.log_likelihood(heldout) / len(heldout) if exact else None

    settings = _train_settings(args)
    with open_run_folder(out):
        before = heldout_ll()
        history = _fit(rbm, train, args, out / "rbm.chainrule", settings).history
        after = heldout_ll()
        files = _train_files(args, rbm, out, settings, history)
    payload: dict[str, Any] = {
        "ok": True,
        "settings": settings,
        "n_train": len(train),
        "n_heldout": len(heldout),
        "heldout_log_likelihood": {"before": before, "after": after},
        "reconstruction_error": history["reconstruction_error"][-1],
        "files": files,
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
        for name, path in files.items():
            print(f"{name}: {path}")

    emit(args, payload, render)
    return 0


def _train_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings of an ``rbm train`` run, as its checkpoint and JSON result keep them."""
    keys = ("hidden", "epochs", "batch_size", "lr", "k", "method", "momentum")
    keys += ("weight_decay", "threshold", "dtype", "seed")
    return {key: getattr(args, key) for key in keys}


def _fit(rbm: Any, train: np.ndarray, args: argparse.Namespace, path: Path, settings: dict):
    """Train; on Ctrl-C or SIGTERM save the RBM as it stands to ``path`` first."""
    from chainrule.rbm import fit

    try:
        return fit(
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
    except KeyboardInterrupt as err:
        saved = rbm.save(path, settings=settings, interrupted=True)
        message = f"{err or 'interrupted'}; the RBM as it stood is saved to {saved}"
        note(args, message)
        stop = type(err)(message) if isinstance(err, Interrupted) else Interrupted(message)
        stop.checkpoint = saved  # said, and saved: the command line adds no second line
        raise stop from None


def _train_files(
    args: argparse.Namespace, rbm: Any, out: Path, settings: dict, history: dict
) -> dict[str, str]:
    """Write the checkpoint, the filters and a picture of samples; their paths."""
    note(args, f"sampling {args.sample_steps} Gibbs steps for the picture ...")
    samples = rbm.sample(64, steps=args.sample_steps, rng=np.random.default_rng(args.seed))
    return {
        "checkpoint": str(rbm.save(out / "rbm.chainrule", settings=settings, history=history)),
        **_pictures(rbm, samples, args, out),
    }


def _pictures(rbm: Any, samples: np.ndarray, args: argparse.Namespace, out: Path) -> dict:
    """filters.png and samples.png, each with a title and a colour key."""
    filters = image_grid(
        rbm.W.T,
        IMAGE_SHAPE,
        out / "filters.png",
        scale="signed",
        title=f"RBM filters ({rbm.n_hidden} hidden units)",
        colorbar="weight (red: a pixel on raises the unit)",
        note="Each tile: one hidden unit's weights on the 8x8 pixels of a digit.",
    )
    pictures = image_grid(
        samples,
        IMAGE_SHAPE,
        out / "samples.png",
        scale="unit",
        title=f"RBM samples after {args.sample_steps} Gibbs steps",
        colorbar="pixel: 0 off (white), 1 on (black)",
        note="Each tile: the 64 visible units of one Gibbs chain started at random pixels.",
    )
    return {"filters": str(filters), "samples": str(pictures)}
