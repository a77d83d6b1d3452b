"""The 8x8 digits (:func:`chainrule.data.digits.load_digits`), binarised for a binary RBM."""

from __future__ import annotations

import numpy as np

__all__ = ["load_binary_digits"]


def load_binary_digits(threshold: float = 8, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The digits' training and test images with each pixel (0..16) set to ``pixel > threshold``.

    Parameters
    ----------
    threshold : float
        Pixels greater than this are on.
    seed : int
        Seed of the stratified 80/20 split of :func:`chainrule.data.digits.load_digits`.

    Returns
    -------
    train, heldout : ndarray of float64, shapes (1438, 64) and (359, 64), values 0/1
    """
    from chainrule.data.digits import load_digits

    digits = load_digits(seed=seed)
    return (
        (digits.X_train > threshold).astype(np.float64),
        (digits.X_test > threshold).astype(np.float64),
    )
