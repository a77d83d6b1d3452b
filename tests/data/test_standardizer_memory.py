"""Standardizer over blocks of rows: the values of the float64 formula, bit for bit, and no
float64 copy of the data (tracemalloc sees every NumPy allocation)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from chainrule.data import Standardizer
from chainrule.data.preprocess import permute_rows
from chainrule.errors import DataError


@pytest.fixture
def images():
    # more entries than one block (2**17), a constant column, pixel-like values
    rng = np.random.default_rng(3)
    X = rng.integers(0, 256, size=(700, 300)).astype(np.float32)
    X[:, 5] = 7.0
    return X


def test_statistics_are_the_float64_ones(images):
    s = Standardizer().fit(images)
    X64 = images.astype(np.float64)
    np.testing.assert_allclose(s.mean, X64.mean(axis=0), rtol=1e-13)
    std = X64.std(axis=0)
    np.testing.assert_allclose(s.scale, np.where(std > 0, std, 1.0), rtol=1e-12)
    assert s.scale[5] == 1.0


@pytest.mark.parametrize("copy", [True, False])
def test_transform_rounds_the_float64_formula_once(images, copy):
    s = Standardizer().fit(images)
    expected = ((images.astype(np.float64) - s.mean) / s.scale).astype(np.float32)
    X = images.copy()
    out = s.transform(X, copy=copy)
    np.testing.assert_array_equal(out, expected)
    assert (out is X) is (not copy)
    np.testing.assert_array_equal(X, expected if not copy else images)


def test_inputs_that_cannot_hold_the_result_are_left_alone(images):
    s = Standardizer().fit(images)
    pixels = images.astype(np.uint8)
    out = s.transform(pixels, copy=False)
    assert out.dtype == np.float32 and out is not pixels
    np.testing.assert_array_equal(pixels, images.astype(np.uint8))
    frozen = images.copy()
    frozen.flags.writeable = False
    assert s.transform(frozen, copy=False) is not frozen
    np.testing.assert_array_equal(frozen, images)


def test_no_float64_copy_of_the_data():
    X = np.random.default_rng(0).random((4000, 784), dtype=np.float32)  # 12.5 MB
    tracemalloc.start()
    try:
        s = Standardizer().fit(X)
        fit_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        s.transform(X, copy=False)
        transform_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # a float64 copy would be 2 X.nbytes; one block of rows is 1 MiB
    assert fit_peak < 0.15 * X.nbytes
    assert transform_peak < 0.15 * X.nbytes


def test_permute_rows_is_fancy_indexing_in_place():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((500, 7)).astype(np.float32)
    order = rng.permutation(500)
    expected = X[order]
    assert permute_rows(X, order) is X
    np.testing.assert_array_equal(X, expected)
    y = np.arange(6)
    permute_rows(y, np.array([1, 0, 2, 5, 3, 4]))
    assert y.tolist() == [1, 0, 2, 5, 3, 4]


@pytest.mark.parametrize("order", [[0, 0, 1], [0, 1], [0, 1, 3], [-1, 0, 1], [0.0, 1.0, 2.0]])
def test_permute_rows_refuses_what_is_not_a_permutation(order):
    X = np.zeros((3, 2))
    with pytest.raises(DataError, match=r"permutation of 0\.\.2"):
        permute_rows(X, np.array(order))
    np.testing.assert_array_equal(X, 0.0)


def test_compacted_test_inputs_standardise_to_the_same_values(images):
    # chainrule train keeps the test inputs as bytes until its report (running._compact)
    from chainrule.commands.train.running import _compact

    s = Standardizer().fit(images)
    small = _compact(images)
    assert small.dtype == np.uint8
    np.testing.assert_array_equal(s.transform(small), s.transform(images))
    with_nan = images.copy()
    with_nan[3, 4] = np.nan
    for kept in (images + 0.5, images - 1, images * 2, with_nan):
        assert _compact(kept) is kept  # not whole numbers within 0..255: left as they are
