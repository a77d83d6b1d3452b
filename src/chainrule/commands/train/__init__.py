"""``chainrule train``: train a network on a data set and keep everything about the run.

With no arguments: a two-layer classifier (100 ReLU units, softmax cross-entropy, L2)
on scikit-learn's digits, standardised, 10% of the training part held out for validation.
The run directory (``runs/<name>/``) receives ``model.chainrule`` (checkpoint with the
training state, resumable), ``history.json``, ``learning_curves.png`` and, for image data,
``weights.png``. Settings come from the defaults, then ``--config run.toml``, then the
command line, each overriding the one before.

The package: :mod:`~chainrule.commands.train.settings` (names, types, defaults, TOML,
resume), :mod:`~chainrule.commands.train.building` (layers, loss, schedule and directory
from the settings) and :mod:`~chainrule.commands.train.running` (the run itself).
"""

from __future__ import annotations

import argparse

from chainrule.commands.output import add_command, add_json_flag, seed_value, summary
from chainrule.commands.train.building import build_schedule, run_directory
from chainrule.commands.train.running import CHECKPOINT_NAME, run
from chainrule.commands.train.settings import (
    DEFAULTS,
    check_settings,
    read_config,
    resolve_settings,
)
from chainrule.specs import LOSSES, activation_names, build_loss, parse_layers

__all__ = [
    "CHECKPOINT_NAME",
    "DEFAULTS",
    "LOSSES",
    "activation_names",
    "build_loss",
    "build_schedule",
    "check_settings",
    "parse_layers",
    "read_config",
    "register",
    "resolve_settings",
    "run",
    "run_directory",
]


HELP = "train a network (default: a two-layer softmax classifier on digits)"


def register(subparsers) -> argparse.ArgumentParser:
    """The ``train`` subcommand's parser."""
    parser = add_command(subparsers, "train", HELP, summary(__doc__), run)
    add = parser.add_argument
    add("--data", help="digits | mnist:DIR | fashion-mnist:DIR | cifar10:DIR | csv:FILE | npz:FILE")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--model", metavar="NAME", help="a zoo network (chainrule gradcheck --list)")
    group.add_argument(
        "--layers",
        metavar="SPEC",
        help='hidden widths, activations, output width: "64-relu-32-relu-10"',
    )
    add("--hidden", type=int, help="hidden width of a zoo network that leaves it open (100)")
    add("--loss", help=f"one of {', '.join(LOSSES)} (default: the network's own)")
    add("--optimizer", help="sgd | momentum | rmsprop | adam | adamw (adam)")
    add("--lr", type=float, help=f"learning rate ({DEFAULTS['lr']:g})")
    add("--schedule", help="constant | step | exponential | cosine | warmup (constant)")
    add("--epochs", type=int, help=f"epochs of the whole run ({DEFAULTS['epochs']})")
    add("--batch-size", type=int, help=f"examples per step ({DEFAULTS['batch_size']})")
    add("--l2", type=float, help="lambda of lambda*sum(W^2) (default: the network's own, 1e-3)")
    add("--seed", type=seed_value, help="seed of the initial weights and the shuffling (0)")
    add("--validation", type=float, help="share of the training data held out (0.1)")
    add("--patience", type=int, help="stop early after this many epochs without improvement")
    add("--checkpoint-every", type=int, help="save the training state every N epochs (5)")
    add("--dtype", choices=("float32", "float64"), help="float32 (default) or float64")
    add("--out", metavar="NAME|DIR", help="run directory: a bare name means runs/NAME")
    add("--config", metavar="TOML", help="settings file (keys as the long options)")
    add("--resume", metavar="CKPT", help="continue the run saved in CKPT")
    add_json_flag(parser)
    return parser
