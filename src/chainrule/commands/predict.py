"""``chainrule predict CKPT FILE``: class predictions of a saved model for new inputs.

FILE is a CSV file (numbers only, one example a row, an optional header line) or an NPZ
archive with an array ``X`` (or a single array), read without pickle. The inputs are
standardised with the statistics saved in the checkpoint. Prints one predicted class a line.
"""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path
from typing import Any

from chainrule.commands.output import add_command, add_json_flag, emit, summary
from chainrule.errors import DataError

HELP = "predict classes for the rows of a CSV or NPZ file"


def register(subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "predict", HELP, summary(__doc__), run)
    parser.add_argument("checkpoint", metavar="CKPT", help="a model.chainrule file")
    parser.add_argument("file", metavar="FILE", help="inputs: .csv or .npz")
    parser.add_argument("--proba", action="store_true", help="print class probabilities too")
    add_json_flag(parser)
    return parser


def read_inputs(path: str | Path) -> Any:
    """An (n, d) float64 array from a CSV or NPZ file."""
    import numpy as np

    path = Path(path)
    if path.suffix.lower() == ".npz":
        if not path.is_file():
            raise DataError(f"NPZ file {path} does not exist")
        try:
            with np.load(path, allow_pickle=False) as npz:
                keys = list(npz.files)
                key = "X" if "X" in keys else (keys[0] if len(keys) == 1 else None)
                if key is None:
                    raise DataError(f"NPZ file {path}: expected an array X, found {keys}")
                X = npz[key]
        except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
            raise DataError(f"NPZ file {path} is unreadable: {err}") from err
        if X.dtype.kind not in "fiub":
            raise DataError(f"NPZ file {path}: X has dtype {X.dtype}, expected numbers")
        X = X.reshape(X.shape[0], -1) if X.ndim > 2 else X
        return np.asarray(X, dtype=np.float64)
    from chainrule.data.tabular import read_csv

    values, _header = read_csv(path)
    return values


def run(args: argparse.Namespace) -> int:
    import numpy as np

    import chainrule as cr
    from chainrule import elementwise as ew
    from chainrule.commands.evaluate import prepare

    ckpt = cr.load(args.checkpoint)
    X = read_inputs(args.file)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    X = prepare(ckpt, X)
    out = ckpt.model.predict(X, batch_size=4096)
    names = (ckpt.extra.get("data") or {}).get("class_names")
    if out.shape[1] == 1:
        proba = ew.sigmoid(out[:, 0])
        labels = (proba > 0.5).astype(int)
        proba = np.stack([1 - proba, proba], axis=1)
    else:
        proba = ew.softmax(out)
        labels = proba.argmax(axis=1)
    payload: dict[str, Any] = {"ok": True, "n": int(X.shape[0]), "predictions": labels.tolist()}
    if names:
        payload["class_names"] = [names[i] for i in labels]
    if args.proba:
        payload["probabilities"] = np.round(proba, 6).tolist()

    def render() -> None:
        for i, label in enumerate(labels):
            line = str(label)
            if args.proba:
                line += "\t" + " ".join(f"{p:.4f}" for p in proba[i])
            print(line)

    emit(args, payload, render)
    return 0
