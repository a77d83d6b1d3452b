"""Standardisation, one-hot codes, label checks and seeded stratified splits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule.data import (
    Standardizer,
    check_labels,
    one_hot,
    split_indices,
    train_val_test_split,
)
from chainrule.errors import DataError, ShapeError, StateError


def test_standardizer_concrete_numbers():
    X = np.array([[1.0, 10.0, 3.0], [3.0, 30.0, 3.0]])
    s = Standardizer().fit(X)
    assert s.mean.tolist() == [2.0, 20.0, 3.0]
    assert s.scale.tolist() == [1.0, 10.0, 1.0]  # the constant column keeps scale 1
    np.testing.assert_array_equal(s.transform(X), [[-1, -1, 0], [1, 1, 0]])
    assert s.transform(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(s.inverse_transform(s.transform(X)), X)


def test_standardizer_statistics_survive_json(rng):
    X = rng.normal(3.0, 7.0, size=(100, 5)).astype(np.float32)
    s = Standardizer().fit(X)
    text = json.dumps(s.to_dict())
    t = Standardizer.from_dict(json.loads(text))
    np.testing.assert_array_equal(t.transform(X), s.transform(X))
    Z = t.transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Z.std(axis=0), 1, atol=1e-5)


def test_standardizer_misuse():
    with pytest.raises(StateError, match=r"before fit"):
        Standardizer().transform(np.zeros((2, 2)))
    s = Standardizer().fit(np.zeros((3, 4)))
    with pytest.raises(ShapeError, match=r"X has 3 features but it was fitted on 4"):
        s.transform(np.zeros((2, 3)))
    with pytest.raises(ShapeError, match=r"shape \(n, d\)"):
        s.transform(np.zeros(4))
    with pytest.raises(DataError, match=r"type 'Standardizer'"):
        Standardizer.from_dict({"mean": [0.0]})
    with pytest.raises(DataError, match=r"scales positive"):
        Standardizer.from_dict({"type": "Standardizer", "mean": [0.0], "scale": [0.0]})
    with pytest.raises(DataError, match=r"one length"):
        Standardizer.from_dict({"type": "Standardizer", "mean": [0.0, 1.0], "scale": [1.0]})


def test_one_hot():
    np.testing.assert_array_equal(one_hot(np.array([2, 0, 1]), 4), np.eye(4)[[2, 0, 1]])
    assert one_hot(np.array([1, 0])).shape == (2, 2)
    with pytest.raises(DataError, match=r"label 3 is outside the classes 0..2"):
        one_hot(np.array([0, 3]), 3)
    with pytest.raises(DataError, match=r"integer labels"):
        one_hot(np.array([0.0, 1.0]))


def test_check_labels_hint_for_labels_from_one():
    with pytest.raises(DataError, match=r"run from 1 to 10.*subtract 1"):
        check_labels(np.arange(1, 11), 10, where="y")
    with pytest.raises(DataError, match=r"label -2 is outside") as info:
        check_labels(np.array([0, -2]), 10)
    assert "subtract" not in str(info.value)
    check_labels(np.arange(10), 10)


def test_split_is_stratified_and_seeded():
    y = np.repeat(np.arange(3), [50, 30, 20])
    train, val, test = split_indices(y, (0.7, 0.1, 0.2), seed=5)
    assert (len(train), len(val), len(test)) == (70, 10, 20)
    assert np.bincount(y[test]).tolist() == [10, 6, 4]
    assert np.bincount(y[val]).tolist() == [5, 3, 2]
    again = split_indices(y, (0.7, 0.1, 0.2), seed=5)
    assert all(np.array_equal(a, b) for a, b in zip((train, val, test), again, strict=True))
    other = split_indices(y, (0.7, 0.1, 0.2), seed=6)
    assert not np.array_equal(test, other[2])


def test_small_classes_still_fill_every_part():
    # Rounding each class alone would give 0.4 test examples per class, so no test set.
    train, test = split_indices(np.array([0, 0, 1, 1]), (0.8, 0.2))
    assert len(train) == 3 and len(test) == 1


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(st.integers(0, 4), min_size=1, max_size=60),
    cut=st.floats(0.05, 0.95),
    seed=st.integers(0, 2**32 - 1),
    stratify=st.booleans(),
)
def test_split_is_a_partition_with_rounded_sizes(labels, cut, seed, stratify):
    y = np.array(labels)
    a, b = split_indices(y, (cut, 1 - cut), seed=seed, stratify=stratify)
    assert sorted(np.concatenate([a, b]).tolist()) == list(range(len(y)))
    assert abs(len(b) - (1 - cut) * len(y)) < 1.0 + 1e-9


def test_split_fractions_checked():
    with pytest.raises(DataError, match=r"sum to 1"):
        split_indices(np.zeros(4), (0.5, 0.4))
    with pytest.raises(DataError, match=r"positive"):
        split_indices(np.zeros(4), (1.2, -0.2))


def test_train_val_test_split(rng):
    X = rng.normal(size=(200, 3))
    y = np.arange(200) % 4
    parts = train_val_test_split(X, y, val_fraction=0.15, test_fraction=0.25, seed=1)
    assert parts.X_train.shape == (120, 3) and parts.X_val.shape == (30, 3)
    assert parts.X_test.shape == (50, 3)
    rows = np.vstack([parts.X_train, parts.X_val, parts.X_test])
    assert sorted(map(tuple, rows)) == sorted(map(tuple, X))
    with pytest.raises(ShapeError, match=r"200 rows but y has 3"):
        train_val_test_split(X, y[:3])
