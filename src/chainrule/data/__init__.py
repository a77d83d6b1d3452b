"""Data sets for chainrule: loaders, downloads and preprocessing.

One entry point reads any supported source into a :class:`Dataset`:

>>> from chainrule.data import load
>>> ds = load("digits")
>>> ds.X_train.shape, ds.X_test.shape, ds.n_classes, ds.image_shape
((1438, 64), (359, 64), 10, (8, 8))

Sources: ``digits``, ``mnist:DIR``, ``fashion-mnist:DIR``, ``cifar10:DIR``, ``csv:FILE``
and ``npz:FILE``. :func:`download` fetches MNIST, Fashion-MNIST and CIFAR-10.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from chainrule.data.dataset import Dataset
from chainrule.data.preprocess import (
    Split,
    Standardizer,
    check_labels,
    labels_from_values,
    one_hot,
    split_indices,
    train_val_test_split,
)
from chainrule.errors import ConfigError

if TYPE_CHECKING:
    from chainrule.data.fetch import download

__all__ = [
    "SOURCES",
    "Dataset",
    "Split",
    "Standardizer",
    "check_labels",
    "download",
    "labels_from_values",
    "load",
    "one_hot",
    "split_indices",
    "train_val_test_split",
]

SOURCES = ("digits", "mnist:DIR", "fashion-mnist:DIR", "cifar10:DIR", "csv:FILE", "npz:FILE")


def load(source: str, *, seed: int = 0, label: str | int | None = None) -> Dataset:
    """Load a data set named by a source string.

    Parameters
    ----------
    source : str
        ``digits``, ``mnist:DIR``, ``fashion-mnist:DIR``, ``cifar10:DIR``, ``csv:FILE``
        or ``npz:FILE``.
    seed : int
        Seed of the stratified 80/20 test split for sources without an official one
        (digits, a CSV file, an NPZ file with only ``X`` and ``y``).
    label : str or int, optional
        CSV only: the label column, by header name or 0-based index (negative counts
        from the end). Default: a column named label, target, class or y, else the last.

    Returns
    -------
    Dataset
        ``X_*`` float32 of shape (n, d), ``y_*`` int64 of shape (n,).

    Raises
    ------
    ConfigError
        The source string has an unknown scheme or no path.
    DataError
        The files are missing, truncated, corrupt or hold unusable labels.
    """
    scheme, sep, rest = source.partition(":")
    scheme = scheme.strip().lower()
    if label is not None and scheme != "csv":
        raise ConfigError(f"data source {source!r}: a label column is only for csv sources")
    if scheme == "digits" and not rest:
        from chainrule.data.digits import load_digits

        return load_digits(seed=seed)
    if scheme not in {"mnist", "fashion-mnist", "cifar10", "csv", "npz"}:
        raise ConfigError(
            f"unknown data source {source!r}; valid sources are: {', '.join(SOURCES)}"
        )
    if not sep or not rest.strip():
        kind = "DIR" if scheme in {"mnist", "fashion-mnist", "cifar10"} else "FILE"
        raise ConfigError(f"data source {source!r} needs a path: write {scheme}:{kind}")
    path = Path(rest.strip()).expanduser()
    if scheme in {"mnist", "fashion-mnist"}:
        from chainrule.data.idx import load_mnist

        return load_mnist(path, variant=scheme)
    if scheme == "cifar10":
        from chainrule.data.cifar import load_cifar10

        return load_cifar10(path)
    if scheme == "csv":
        from chainrule.data.tabular import load_csv

        return load_csv(path, label=label, seed=seed)
    from chainrule.data.tabular import load_npz

    return load_npz(path, seed=seed)


def __getattr__(name: str) -> Any:
    # download() pulls in urllib and http (module fetch); load it only when asked for.
    if name == "download":
        from chainrule.data.fetch import download

        globals()["download"] = download
        return download
    raise AttributeError(f"module 'chainrule.data' has no attribute {name!r}")
