"""scikit-learn's bundled 8x8 handwritten digits (1,797 images, no download)."""

from __future__ import annotations

import numpy as np

from chainrule.data.dataset import Dataset
from chainrule.data.preprocess import split_indices

__all__ = ["TEST_FRACTION", "load_digits"]

TEST_FRACTION = 0.2


def load_digits(*, seed: int = 0) -> Dataset:
    """Load the digits with a stratified, seeded test split of about 20 %.

    The set has no official test split; the split comes from ``seed``, so the default
    seed always gives the same 1,438 training and 359 test images (20 % of each class,
    rounded per class).

    Parameters
    ----------
    seed : int
        Seed of the ``numpy.random.Generator`` that draws the test split.

    Returns
    -------
    Dataset
        ``X_*`` float32 of shape (n, 64) with pixel values 0..16, ``image_shape (8, 8)``,
        10 classes named ``"0" .. "9"``.
    """
    # Imported here: scikit-learn takes about a second to import.
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    X = np.asarray(bunch.data, dtype=np.float32)
    y = np.asarray(bunch.target, dtype=np.int64)
    train, test = split_indices(y, (1.0 - TEST_FRACTION, TEST_FRACTION), seed=seed)
    return Dataset(
        X_train=X[train],
        y_train=y[train],
        X_test=X[test],
        y_test=y[test],
        n_classes=10,
        image_shape=(8, 8),
        class_names=tuple(str(d) for d in range(10)),
        name="digits",
    )
