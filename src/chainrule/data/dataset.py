"""The :class:`Dataset` every loader returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainrule.data.preprocess import check_labels, split_indices
from chainrule.errors import DataError

__all__ = ["Dataset"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """A classification data set with a fixed test split.

    Attributes
    ----------
    X_train : np.ndarray, shape (n_train, d), float32
        Training inputs, one flattened example a row, raw values (pixels stay 0..255
        or 0..16); fit a :class:`~chainrule.data.Standardizer` on them before training.
    y_train : np.ndarray, shape (n_train,), int64
        Training labels in ``0 .. n_classes - 1``.
    X_test : np.ndarray, shape (n_test, d), float32
        Test inputs, laid out as ``X_train``.
    y_test : np.ndarray, shape (n_test,), int64
        Test labels.
    n_classes : int
        Number of classes.
    image_shape : tuple of int or None
        Shape of one example as an image, such as ``(8, 8)`` or ``(32, 32, 3)``
        (height, width, channels); ``X[i].reshape(image_shape)`` gives the picture.
        None for tabular data.
    class_names : tuple of str or None
        A name for each class, in label order.
    name : str
        Where the data came from, for reports.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    image_shape: tuple[int, ...] | None
    class_names: tuple[str, ...] | None
    name: str

    def __post_init__(self) -> None:
        for part in ("train", "test"):
            X, y = getattr(self, f"X_{part}"), getattr(self, f"y_{part}")
            if X.dtype != np.float32 or X.ndim != 2:
                raise TypeError(f"X_{part} must be a float32 (n, d) array, got {X.dtype} {X.shape}")
            if y.dtype != np.int64 or y.shape != (X.shape[0],):
                raise TypeError(
                    f"y_{part} must be int64 of shape ({X.shape[0]},), got {y.dtype} {y.shape}"
                )
            check_labels(y, self.n_classes, where=f"{self.name} ({part} labels)")
        if self.X_train.shape[1] != self.X_test.shape[1]:
            raise TypeError(
                f"X_train has {self.X_train.shape[1]} features but X_test has "
                f"{self.X_test.shape[1]}"
            )
        if self.image_shape is not None and int(np.prod(self.image_shape)) != self.n_features:
            raise TypeError(
                f"image_shape {self.image_shape} does not hold {self.n_features} values"
            )
        if self.class_names is not None and len(self.class_names) != self.n_classes:
            raise TypeError(f"{len(self.class_names)} class names for {self.n_classes} classes")

    @property
    def n_features(self) -> int:
        """Number of input features ``d``."""
        return int(self.X_train.shape[1])

    def validation_split(
        self, fraction: float = 0.1, *, seed: int = 0
    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """Split the training part into training and validation, stratified and seeded.

        Parameters
        ----------
        fraction : float
            Share of the training examples held out for validation, in (0, 1).
        seed : int
            Seed of the ``numpy.random.Generator`` that shuffles.

        Returns
        -------
        (X_train, y_train), (X_val, y_val)
            Shapes (n - m, d), (n - m,), (m, d), (m,) with m about ``fraction * n``.

        Raises
        ------
        DataError
            Too few training examples to leave at least one on each side.
        """
        train, val = self.validation_indices(fraction, seed=seed)
        return (self.X_train[train], self.y_train[train]), (self.X_train[val], self.y_train[val])

    def validation_indices(
        self, fraction: float = 0.1, *, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """The rows of the training part that :meth:`validation_split` puts on each side,
        for a caller that splits in place (``chainrule train``: no second copy of the data).

        Returns
        -------
        (train, val)
            int64 index arrays, disjoint, together ``0 .. n-1``, in the order of the parts.

        Raises
        ------
        DataError
            Too few training examples to leave at least one on each side.
        """
        train, val = split_indices(self.y_train, (1.0 - fraction, fraction), seed=seed)
        if train.size == 0 or val.size == 0:
            raise DataError(
                f"{self.name}: {len(self.y_train)} training examples are too few to hold out a "
                f"validation fraction of {fraction} ({train.size} would be left for training, "
                f"{val.size} for validation); use more data, or no validation (--validation 0)"
            )
        return train, val
