"""The `load` entry point, the digits data set and import cost."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.data import Dataset, load
from chainrule.errors import ConfigError, DataError
from tests.helpers import run_python


def test_digits():
    ds = load("digits")
    assert isinstance(ds, Dataset)
    assert ds.X_train.shape == (1438, 64) and ds.X_test.shape == (359, 64)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert ds.X_train.min() == 0 and ds.X_train.max() == 16
    assert ds.n_classes == 10 and ds.image_shape == (8, 8) and ds.name == "digits"
    assert ds.class_names == tuple("0123456789")
    # stratified: 20 % of each class (174..183 images per class) in the test split
    assert set(np.bincount(ds.y_test, minlength=10).tolist()) <= {35, 36, 37}


def test_digits_split_is_fixed_by_seed():
    a, b, c = load("digits"), load("digits", seed=0), load("digits", seed=1)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.X_test, c.X_test)
    # the split only partitions: all 1,797 images are there once
    rows_a = sorted(map(tuple, np.vstack([a.X_train, a.X_test]).tolist()))
    rows_c = sorted(map(tuple, np.vstack([c.X_train, c.X_test]).tolist()))
    assert len(rows_a) == 1797 and rows_a == rows_c


def test_validation_split():
    ds = load("digits")
    (X_tr, _y_tr), (X_val, y_val) = ds.validation_split(0.1, seed=0)
    assert len(X_tr) + len(X_val) == 1438 and len(X_val) == 144
    assert y_val.shape == (144,) and X_val.shape == (144, 64)
    assert set(np.bincount(y_val).tolist()) <= {14, 15}


@pytest.mark.parametrize("source", ["imagenet:/data", "mnist/data", "", "digitz"])
def test_unknown_source_lists_the_valid_ones(source):
    with pytest.raises(ConfigError) as info:
        load(source)
    msg = str(info.value)
    for valid in ("digits", "mnist:DIR", "fashion-mnist:DIR", "cifar10:DIR", "csv:FILE"):
        assert valid in msg


@pytest.mark.parametrize("source", ["mnist:", "cifar10:  ", "csv"])
def test_source_without_path(source):
    with pytest.raises(ConfigError, match=r"needs a path"):
        load(source)


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        ("cifar10", "data_batch_1.bin"),
        ("fashion-mnist", "t10k-images-idx3-ubyte"),
        ("npz", "x_train"),
    ],
)
def test_missing_path_names_path_and_expected_files(tmp_path, scheme, expected):
    missing = tmp_path / "absent"
    with pytest.raises(DataError) as info:
        load(f"{scheme}:{missing}")
    assert str(missing) in str(info.value) and expected in str(info.value)
    assert info.value.exit_code == 4


def test_import_stays_light():
    code = (
        "import sys, chainrule; assert 'chainrule.data' not in sys.modules;"
        "import chainrule.data;"
        "heavy = [m for m in ('sklearn', 'rich', 'urllib.request') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = run_python(code)
    assert "sklearn" not in out and "rich" not in out
    assert "urllib.request" not in out


def test_lazy_attribute():
    import chainrule as cr

    assert cr.data.load is load
    assert callable(cr.data.download)
    with pytest.raises(AttributeError):
        cr.data.no_such_thing  # noqa: B018


def test_digits_are_scikit_learns_digits_without_importing_it():
    from sklearn.datasets import load_digits as sklearn_digits

    from chainrule.data.digits import digits_file, read_digits

    X, y = read_digits(digits_file())
    bunch = sklearn_digits()
    np.testing.assert_array_equal(X, bunch.data.astype(np.float32))
    np.testing.assert_array_equal(y, bunch.target)
    code = (
        "import sys; from chainrule.data import load; load('digits');"
        "assert 'sklearn' not in sys.modules, 'scikit-learn was imported'"
    )
    run_python(code)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"1,2,3\n", "shape (1, 3), expected (1797, 65)"),
        (b"\n".join([b",".join([b"0"] * 65)] * 1796 + [b",".join([b"17"] * 65)]), "line 1797"),
        (b"a,b\n", "not the digits table"),
    ],
)
def test_a_broken_digits_file_is_a_data_error(tmp_path, text, expected):
    import gzip

    from chainrule.data.digits import read_digits

    path = tmp_path / "digits.csv.gz"
    path.write_bytes(gzip.compress(text))
    with pytest.raises(DataError) as info:
        read_digits(path)
    assert str(path) in str(info.value) and expected in str(info.value)
