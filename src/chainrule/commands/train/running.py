"""Running ``chainrule train``: settings to data, network, callbacks, the fit, and the files
of the run directory."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from chainrule.atomic import atomic_write
from chainrule.commands.output import emit
from chainrule.commands.runs import check_run_folder, open_run_folder
from chainrule.commands.train.building import build_schedule, run_directory
from chainrule.commands.train.settings import explicit_keys, resolve_settings, resumed_settings
from chainrule.errors import ChainruleError, ConfigError
from chainrule.specs import build_loss, parse_layers, targets_for

__all__ = ["CHECKPOINT_NAME", "run"]

CHECKPOINT_NAME = "model.chainrule"


class _About(NamedTuple):
    """What a run says of its data set, without its arrays."""

    name: str
    n_classes: int
    n_features: int
    image_shape: tuple[int, ...] | None
    class_names: tuple[str, ...] | None


class _Data(NamedTuple):
    """The data of a run: the training and validation parts standardised, the test inputs
    as loaded (:func:`_compact`; standardised only for the report), the statistics used."""

    about: _About
    X_train: Any
    y_train: Any
    validation: tuple[Any, Any] | None
    X_test: Any
    y_test: Any
    scaler: Any


def run(args: argparse.Namespace) -> int:
    """Train as the settings say and write the run directory; the exit code."""
    from chainrule.data import load

    started = time.perf_counter()
    settings, ckpt, out_dir = _settings(args)
    verbose = 0 if args.quiet else 1
    out_dir = check_run_folder(out_dir or run_directory(settings["out"]))
    ckpt_path = out_dir / CHECKPOINT_NAME
    callbacks = _callbacks(settings, settings["validation"] > 0, ckpt_path)
    data = _data(load(settings["data"], seed=0), settings, ckpt)
    model, loss, optimizer = _network(settings, data.about, ckpt)
    metadata = _metadata(settings, data)
    with open_run_folder(out_dir):
        if verbose:
            print(f"training {model.describe()} on {data.about.name} -> {out_dir}", file=sys.stderr)
        history = _fit(settings, data, (model, loss, optimizer), callbacks, ckpt, ckpt_path,
                       metadata, verbose)  # fmt: skip
    train_seconds = time.perf_counter() - started
    # the training data's memory goes back before the pictures and the test part are made
    data = data._replace(X_train=None, y_train=None, validation=None)
    result = _report(model, loss, history, data, out_dir, ckpt_path)
    result["seconds"] = round(time.perf_counter() - started, 3)
    result["train_seconds"] = round(train_seconds, 3)
    _write_history(out_dir / "history.json", result, metadata, history)
    for warning in result["warnings"]:
        print(f"chainrule train: warning: {warning}", file=sys.stderr)

    def render() -> None:
        files = ", ".join(Path(p).name for p in result["files"].values())
        print(
            f"test accuracy {result['test_accuracy']:.4f} on {result['n_test']} "
            f"{data.about.name} test examples"
        )
        print(f"run saved in {out_dir}/ ({files})")

    emit(args, result, render)
    return 0


def _fit(
    settings: Mapping[str, Any],
    data: _Data,
    network: tuple[Any, Any, Any],
    callbacks: list[Any],
    ckpt: Any,
    ckpt_path: Path,
    metadata: Mapping[str, Any],
    verbose: int,
) -> Any:
    """``fit`` on the run's training part, validated on its validation part; the history."""
    from chainrule.train import fit

    model, loss, optimizer = network
    n_classes = data.about.n_classes
    validation = None
    if data.validation is not None:
        X_val, y_val = data.validation
        validation = (X_val, targets_for(loss, y_val, n_classes))
    return fit(
        model,
        loss,
        optimizer,
        (data.X_train, targets_for(loss, data.y_train, n_classes)),
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        validation=validation,
        l2=settings["l2"],
        seed=settings["seed"],
        callbacks=callbacks,
        verbose=verbose,
        resume=ckpt,
        interrupt_checkpoint=ckpt_path,
        metadata=metadata,
    )


def _write_history(path: Path, result: dict, metadata: Mapping[str, Any], history: Any) -> None:
    """``history.json``: the result, the settings and the history; a file that cannot be
    written is a warning in ``result``, and its path goes into ``result["files"]``."""
    try:
        _write_json(path, {**result, "settings": metadata["settings"], **history.to_dict()})
        result["files"]["history"] = str(path)
    except OSError as err:
        result["warnings"].append(f"could not write {path}: {err}")


def _settings(args: argparse.Namespace) -> tuple[dict[str, Any], Any, Path | None]:
    """The settings, the checkpoint resumed from (or None) and the run directory it
    implies (None: from the settings)."""
    import chainrule as cr

    settings = resolve_settings(args)
    if not settings["resume"]:
        return settings, None, None
    ckpt = cr.load(settings["resume"])
    explicit = explicit_keys(args)
    settings = resumed_settings(settings, ckpt, explicit)
    out_dir = None if "out" in explicit else Path(settings["resume"]).parent
    return settings, ckpt, out_dir


def _data(ds: Any, settings: Mapping[str, Any], ckpt: Any) -> _Data:
    """Split off the validation part and standardise everything with the training part's
    statistics (a resumed run keeps the saved ones).

    The run owns the arrays just loaded, so the split reorders ``ds.X_train`` in place
    (training rows first, then validation rows, each part a view) and the standardisation
    overwrites them: one copy of the data set for the whole run (MNIST: 179 MiB), where
    copies of each part would double it."""
    import numpy as np

    from chainrule.data import Standardizer
    from chainrule.data.preprocess import permute_rows

    X, y = ds.X_train, ds.y_train
    frac = float(settings["validation"])
    if not 0 <= frac < 1:
        raise ConfigError(f"validation must be in [0, 1), got {frac}")
    n_train = X.shape[0]
    if frac > 0:
        # the parts Dataset.validation_split(frac, seed=0) gives, in the same order
        train, val = ds.validation_indices(frac, seed=0)
        order = np.concatenate([train, val])
        X = X if X.flags.writeable else X.copy()
        permute_rows(X, order)
        y = y[order]
        n_train = train.size
    if ckpt is not None and "preprocessing" in ckpt.extra:
        scaler = Standardizer.from_dict(ckpt.extra["preprocessing"])
    else:
        scaler = Standardizer().fit(X[:n_train])
    X = scaler.transform(X, copy=False)
    validation = (X[n_train:], y[n_train:]) if frac > 0 else None
    about = _About(ds.name, ds.n_classes, ds.n_features, ds.image_shape, ds.class_names)
    return _Data(about, X[:n_train], y[:n_train], validation, _compact(ds.X_test), ds.y_test,
                 scaler)  # fmt: skip


def _compact(X: Any) -> Any:
    """``X`` as unsigned bytes where that holds its values exactly (pixels 0..255), else
    ``X``: the test inputs wait for the report in a quarter of the memory (MNIST: 7.5
    instead of 30 MiB), beside the training data; :meth:`Standardizer.transform` gives the
    same float32 values from either."""
    import numpy as np

    if X.size == 0 or not (X.min() >= 0 and X.max() <= 255):  # NaN fails both
        return X
    small = X.astype(np.uint8)
    return small if np.array_equal(small, X) else X


def _network(settings: dict[str, Any], ds: _About, ckpt: Any) -> tuple[Any, Any, Any]:
    """Model, loss and optimizer: from the checkpoint, ``--layers`` or the zoo. Fills in
    ``settings["l2"]`` (the network's own where none was given)."""
    import numpy as np

    import chainrule as cr
    from chainrule.optim import make_optimizer

    dtype = np.dtype(settings["dtype"])
    if ckpt is not None:
        model = ckpt.model if ckpt.model.dtype == dtype else ckpt.model.astype(dtype)
        loss = ckpt.loss
    elif settings["layers"]:
        spec = parse_layers(settings["layers"], ds.n_features, ds.n_classes)
        model = cr.Sequential.from_spec(spec, dtype=dtype, seed=settings["seed"])
        loss = None
    else:
        net = cr.zoo.build(
            settings["model"],
            n_inputs=ds.n_features,
            n_outputs=ds.n_classes,
            hidden=None if settings["hidden"] is None else (settings["hidden"],),
            dtype=dtype,
            seed=settings["seed"],
        )
        model, loss = net.model, net.loss
        if settings["l2"] is None:
            settings["l2"] = net.l2
    if settings["l2"] is None:
        settings["l2"] = 0.0
    if settings["loss"] and ckpt is None:
        loss = build_loss(settings["loss"])
    loss = loss or cr.SoftmaxCrossEntropy()
    if ckpt is not None:
        return model, loss, ckpt.make_optimizer(model)
    optimizer = make_optimizer(
        settings["optimizer"], model, lr=settings["lr"], **settings["optimizer_args"]
    )
    return model, loss, optimizer


def _callbacks(settings: Mapping[str, Any], validated: bool, ckpt_path: Path) -> list[Any]:
    """The schedule, early stopping (with ``patience``) and the checkpoint every N epochs."""
    from chainrule.train import EarlyStopping, LearningRateScheduler, ModelCheckpoint

    callbacks: list[Any] = []
    schedule = build_schedule(settings["schedule"], settings["epochs"])
    if schedule is not None:
        callbacks.append(LearningRateScheduler(schedule))
    if settings["patience"] is not None:
        callbacks.append(EarlyStopping("val_loss" if validated else "loss", settings["patience"]))
    callbacks.append(ModelCheckpoint(ckpt_path, every=settings["checkpoint_every"]))
    return callbacks


def _metadata(settings: Mapping[str, Any], data: _Data) -> dict[str, Any]:
    """What every checkpoint of the run stores beside the training state."""
    ds = data.about
    return {
        "settings": {k: v for k, v in settings.items() if k != "resume"},
        "preprocessing": data.scaler.to_dict(),
        "data": {
            "source": settings["data"],
            "name": ds.name,
            "n_classes": ds.n_classes,
            "n_features": ds.n_features,
            "image_shape": None if ds.image_shape is None else list(ds.image_shape),
            "class_names": None if ds.class_names is None else list(ds.class_names),
        },
    }


def _pictures(model: Any, history: Any, ds: _About, out_dir: Path) -> tuple[dict, list[str]]:
    """Draw the run's pictures; one that cannot be written (a full disk) is a warning,
    not a failure of the training that is already saved."""
    from chainrule import plot

    jobs = {
        "learning_curves": lambda: plot.learning_curves(
            history, out_dir / "learning_curves.png", title=model.describe()
        )
    }
    if ds.image_shape is not None:
        W1 = dict(model.named_parameters())["W1"].value
        jobs["weights"] = lambda: plot.weight_grid(W1, ds.image_shape, out_dir / "weights.png")
    files, warnings = {}, []
    for name, draw in jobs.items():
        try:
            files[name] = str(draw())
        except (OSError, ChainruleError) as err:
            warnings.append(f"could not write {out_dir / (name + '.png')}: {err}")
    return files, warnings


def _report(
    model: Any, loss: Any, history: Any, data: _Data, out_dir: Path, ckpt_path: Path
) -> dict:
    """Test accuracy, the pictures of the run and the JSON result (without timings)."""
    from chainrule.train import accuracy

    ds = data.about
    pictures, warnings = _pictures(model, history, ds, out_dir)
    X_test = data.scaler.transform(data.X_test, copy=False)
    return {
        "ok": True,
        "data": ds.name,
        "model": model.spec(),
        "epochs": history.epoch[-1] if history.epoch else 0,
        "test_accuracy": accuracy(model, X_test, data.y_test, loss),
        "n_test": int(data.y_test.shape[0]),
        "final": {k: v[-1] for k, v in history.history.items() if v},
        "notes": history.notes,
        "warnings": warnings,
        "seconds": None,
        "train_seconds": None,
        "out": str(out_dir),
        "files": {"checkpoint": str(ckpt_path), **pictures},
    }


def _write_json(path: Path, payload: Mapping[str, Any]) -> None:
    with atomic_write(path, text=True) as fh:
        json.dump(payload, fh, indent=1)
        fh.write("\n")
