"""Standardisation: per-feature mean and standard deviation, computed in float64 blocks.

The statistics are taken over row blocks of about ``_BLOCK_ENTRIES`` entries, so fitting a
60,000 x 784 float32 set needs no float64 copy of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.errors import DataError, ShapeError, StateError

__all__ = ["Standardizer"]


class Standardizer:
    """Per-feature standardisation ``(X - mean) / scale`` with statistics that can be saved.

    A feature with zero spread (a pixel that is always 0) gets scale 1, so it maps to 0
    instead of NaN.

    >>> import numpy as np
    >>> s = Standardizer().fit(np.array([[0.0, 5.0], [2.0, 5.0]]))
    >>> s.transform(np.array([[1.0, 5.0]], dtype=np.float32))
    array([[0., 0.]], dtype=float32)
    >>> Standardizer.from_dict(s.to_dict()).mean.tolist()
    [1.0, 5.0]
    """

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None

    def fit(self, X: np.ndarray) -> Standardizer:
        """Learn per-feature mean and standard deviation.

        .. math:: \\mu_j = \\frac1n \\sum_i X_{ij}, \\qquad
            \\sigma_j = \\sqrt{\\tfrac1n \\textstyle\\sum_i (X_{ij} - \\mu_j)^2}

        Parameters
        ----------
        X : np.ndarray, shape (n, d)
            Training inputs; the statistics are summed and kept in float64, over blocks of
            rows, so no float64 copy of ``X`` is made (60,000 x 784 float32: 3 MiB extra
            instead of 360 MiB).
        """
        X = _as_matrix(X, "Standardizer.fit")
        n, d = X.shape
        if n == 0:
            raise DataError("Standardizer.fit: X has no rows")
        total = np.zeros(d)
        for rows in _row_blocks(n, d):
            total += X[rows].sum(axis=0, dtype=np.float64)
        mean = total / n
        squares = np.zeros(d)
        work = np.empty((min(n, _block_rows(d)), d))
        for rows in _row_blocks(n, d):
            diff = work[: rows.stop - rows.start]
            np.subtract(X[rows], mean, out=diff)
            np.multiply(diff, diff, out=diff)
            squares += diff.sum(axis=0)
        std = np.sqrt(squares / n)
        self.mean = mean
        self.scale = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X: np.ndarray, *, copy: bool = True) -> np.ndarray:
        """Standardise inputs with the fitted statistics, ``(X - mean) / scale``.

        Computed in float64 over blocks of rows and rounded once into the result, so the
        values are those of the float64 formula and no float64 copy of ``X`` is made.

        Parameters
        ----------
        X : np.ndarray, shape (n, d)
        copy : bool
            ``False`` overwrites ``X`` itself and returns it, where ``X`` is a writable
            float32 or float64 array (a training set then needs no second copy); other
            inputs are never changed, and get a new array either way.

        Returns
        -------
        np.ndarray, shape (n, d)
            float32 unless ``X`` is float64, which stays float64.
        """
        if self.mean is None or self.scale is None:
            raise StateError("Standardizer.transform before fit (or from_dict)")
        X = _as_matrix(X, "Standardizer.transform")
        n, d = X.shape
        if d != self.mean.shape[0]:
            raise ShapeError(
                f"Standardizer: X has {d} features but it was fitted on {self.mean.shape[0]}"
            )
        out_dtype = np.float64 if X.dtype == np.float64 else np.float32
        in_place = not copy and X.dtype == out_dtype and X.flags.writeable
        out = X if in_place else np.empty((n, d), dtype=out_dtype)
        work = np.empty((min(n, _block_rows(d)), d))
        for rows in _row_blocks(n, d):
            block = work[: rows.stop - rows.start]
            np.subtract(X[rows], self.mean, out=block)
            block /= self.scale
            out[rows] = block
        return out

    def __repr__(self) -> str:
        """``Standardizer(64 features, mean 0 to 15, scale 1 to 6.1)`` (or ``not fitted``)."""
        if self.mean is None or self.scale is None:
            return "Standardizer(not fitted)"
        if self.mean.size == 0:
            return "Standardizer(0 features)"
        mean, scale = self.mean, self.scale
        return (
            f"Standardizer({mean.size} features, mean {mean.min():.3g} to {mean.max():.3g}, "
            f"scale {scale.min():.3g} to {scale.max():.3g})"
        )

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``; shape (n, d) in and out."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """Undo :meth:`transform`: ``Z * scale + mean``, shape (n, d) in and out."""
        if self.mean is None or self.scale is None:
            raise StateError("Standardizer.inverse_transform before fit (or from_dict)")
        Z = _as_matrix(Z, "Standardizer.inverse_transform")
        out_dtype = np.float64 if Z.dtype == np.float64 else np.float32
        return (Z * self.scale + self.mean).astype(out_dtype, copy=False)

    def to_dict(self) -> dict[str, Any]:
        """The statistics as plain JSON-able data (float64 values survive a JSON round trip)."""
        if self.mean is None or self.scale is None:
            raise StateError("Standardizer.to_dict before fit")
        return {"type": "Standardizer", "mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Standardizer:
        """Rebuild from :meth:`to_dict` output (lists or arrays)."""
        if not isinstance(data, dict) or data.get("type") != "Standardizer":
            raise DataError("standardisation statistics: expected a dict with type 'Standardizer'")
        try:
            mean = np.asarray(data["mean"], dtype=np.float64)
            scale = np.asarray(data["scale"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"standardisation statistics: unreadable mean/scale ({exc})") from exc
        if mean.ndim != 1 or mean.shape != scale.shape:
            raise DataError(
                f"standardisation statistics: mean {mean.shape} and scale {scale.shape} must be"
                " vectors of one length"
            )
        if not (np.isfinite(mean).all() and np.isfinite(scale).all() and (scale > 0).all()):
            raise DataError("standardisation statistics: values must be finite, scales positive")
        s = cls()
        s.mean, s.scale = mean, scale
        return s


#: Entries of one block of rows worked on at a time (float64: 1 MiB, stays in cache).
_BLOCK_ENTRIES = 1 << 17


def _block_rows(d: int) -> int:
    return max(1, _BLOCK_ENTRIES // max(d, 1))


def _row_blocks(n: int, d: int):
    """Slices of consecutive rows, about :data:`_BLOCK_ENTRIES` entries each."""
    step = _block_rows(d)
    for start in range(0, n, step):
        yield slice(start, min(start + step, n))


def _as_matrix(X: np.ndarray, where: str) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 2:
        raise ShapeError(f"{where}: X must have shape (n, d), got {X.shape}")
    if not np.issubdtype(X.dtype, np.number):
        raise DataError(f"{where}: X must be numeric, got dtype {X.dtype}")
    return X
