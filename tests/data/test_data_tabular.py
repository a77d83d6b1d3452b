"""CSV and NPZ files of the user's own data."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.data import load
from chainrule.data.tabular import load_csv, load_npz, read_csv
from chainrule.errors import ConfigError, DataError

IRIS_LIKE = """sepal,petal,species
5.1,1.4,0
4.9,1.5,0
6.3,4.9,1
5.8,4.0,1
7.1,5.9,2
6.5,5.5,2
5.0,1.3,0
6.1,4.7,1
6.9,5.7,2
5.5,1.6,0
"""


def test_csv_with_header_and_named_label(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text(IRIS_LIKE)
    ds = load(f"csv:{path}", label="species")
    assert ds.n_classes == 3 and ds.n_features == 2 and ds.image_shape is None
    assert len(ds.y_train) + len(ds.y_test) == 10
    X = np.vstack([ds.X_train, ds.X_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    # every row survives intact, with its own label
    rows = {
        (round(float(a), 1), round(float(b), 1), int(c)) for (a, b), c in zip(X, y, strict=True)
    }
    assert (7.1, 5.9, 2) in rows and (5.5, 1.6, 0) in rows and len(rows) == 10


def test_csv_default_label_is_last_column_and_split_is_seeded(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text(IRIS_LIKE)
    a, b, c = (load_csv(path, seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.X_test, c.X_test) or not np.array_equal(a.y_test, c.y_test)
    assert a.n_features == 2


def test_csv_label_by_index_without_header(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("1;0.5;2.5\n0;0.25;3.5\n1;1.5;4.5\n0;2.5;5.5\n1;0.0;0.0\n")
    values, header = read_csv(path)
    assert header is None and values.shape == (5, 3)
    ds = load_csv(path, label=0)
    assert ds.n_classes == 2 and ds.n_features == 2
    assert sorted(np.vstack([ds.X_train, ds.X_test])[:, 1].tolist()) == [0, 2.5, 3.5, 4.5, 5.5]


def test_csv_label_named_label_is_found(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("Label,a,b\n0,1,2\n1,3,4\n0,5,6\n1,7,8\n")
    ds = load_csv(path)
    assert set(np.vstack([ds.X_train, ds.X_test])[:, 0].tolist()) == {1, 3, 5, 7}


def test_csv_missing_value_names_line_and_column(tmp_path):
    path = tmp_path / "gap.csv"
    path.write_text("a,b,label\n1,2,0\n3,,1\n")
    with pytest.raises(DataError) as info:
        load(f"csv:{path}")
    msg = str(info.value)
    assert str(path) in msg and "line 3" in msg and "column 2 ('b')" in msg
    assert "missing value" in msg


def test_csv_nan_counts_as_missing(tmp_path):
    path = tmp_path / "nan.csv"
    path.write_text("1,2,0\n3,NaN,1\n")
    with pytest.raises(DataError, match=r"line 2, column 2: missing value \('NaN'\)"):
        load_csv(path)


def test_csv_non_numeric_cell_names_line_and_column(tmp_path):
    path = tmp_path / "text.csv"
    path.write_text("a,b,label\n1,2,0\n3,4,1\n5,six,1\n")
    with pytest.raises(DataError) as info:
        load(f"csv:{path}")
    msg = str(info.value)
    assert "line 4, column 2 ('b'): 'six' is not a number" in msg and str(path) in msg


def test_csv_ragged_row(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,b,label\n1,2,0\n3,1\n")
    with pytest.raises(DataError, match=r"line 3: 2 cells, but the header has 3"):
        load_csv(path)


def test_csv_labels_starting_at_one_get_a_hint(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("x,label\n0.1,1\n0.2,2\n0.3,3\n0.4,1\n0.5,2\n")
    with pytest.raises(DataError, match=r"run from 1 to 3.*subtract 1 from every label"):
        load_csv(path)


def test_csv_labels_with_gaps(tmp_path):
    path = tmp_path / "gap.csv"
    path.write_text("x,label\n0.1,0\n0.2,5\n0.3,10\n")
    with pytest.raises(DataError, match=r"class 1, 2, 3, 4, 6, 7, 8, 9 never occurs.*np.unique"):
        load_csv(path)


def test_csv_fractional_and_negative_labels(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("x,label\n0.1,0\n0.2,1.5\n")
    with pytest.raises(DataError, match=r"1.5, not a whole number"):
        load_csv(path)
    path.write_text("x,label\n0.1,0\n0.2,-1\n")
    with pytest.raises(DataError, match=r"label -1 is negative"):
        load_csv(path)


def test_csv_unknown_label_column(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,0\n2,1\n")
    with pytest.raises(DataError, match=r"no column named 'kind'; the columns are a, b"):
        load_csv(path, label="kind")
    with pytest.raises(DataError, match=r"label column 5 does not exist"):
        load_csv(path, label=5)


def test_label_option_only_for_csv():
    with pytest.raises(ConfigError, match=r"only for csv"):
        load("digits", label="y")


def test_csv_empty_and_missing_file(tmp_path):
    (tmp_path / "e.csv").write_text("\n\n")
    with pytest.raises(DataError, match=r"is empty"):
        load_csv(tmp_path / "e.csv")
    with pytest.raises(DataError, match=r"no.csv does not exist"):
        load(f"csv:{tmp_path / 'no.csv'}")


def _images(rng, n):
    return rng.integers(0, 256, size=(n, 4, 4), dtype=np.uint8)


def test_npz_keras_layout_keeps_image_shape(tmp_path, rng):
    X_tr, X_te = _images(rng, 20), _images(rng, 6)
    y_tr, y_te = np.arange(20) % 4, np.arange(6) % 4
    np.savez(tmp_path / "d.npz", x_train=X_tr, y_train=y_tr, x_test=X_te, y_test=y_te)
    ds = load(f"npz:{tmp_path / 'd.npz'}")
    assert ds.image_shape == (4, 4) and ds.n_classes == 4
    np.testing.assert_array_equal(ds.X_train.reshape(-1, 4, 4), X_tr)
    np.testing.assert_array_equal(ds.y_test, y_te)


def test_npz_X_y_is_split(tmp_path, rng):
    X = rng.normal(size=(50, 3))
    y = np.arange(50) % 2
    np.savez(tmp_path / "d.npz", X=X, y=y.reshape(-1, 1))
    ds = load_npz(tmp_path / "d.npz", seed=3)
    assert ds.X_train.shape == (40, 3) and ds.X_test.shape == (10, 3)
    assert np.bincount(ds.y_test).tolist() == [5, 5]


def test_npz_object_array_is_refused(tmp_path):
    X = np.empty((2, 2), dtype=object)
    X[:] = 1.0
    np.savez(tmp_path / "o.npz", X=X, y=np.array([0, 1]))
    with pytest.raises(DataError, match=r"array 'X' holds Python objects, which would need pickle"):
        load_npz(tmp_path / "o.npz")


def test_npz_wrong_keys(tmp_path):
    np.savez(tmp_path / "k.npz", data=np.zeros((2, 2)), target=np.zeros(2))
    with pytest.raises(DataError, match=r"found arrays \['data', 'target'\]; expected X and y"):
        load_npz(tmp_path / "k.npz")


def test_npz_bad_contents(tmp_path, rng):
    np.savez(tmp_path / "a.npz", X=rng.normal(size=(4, 2)), y=np.array([1, 2, 1, 2]))
    with pytest.raises(DataError, match=r"subtract 1"):
        load_npz(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", X=rng.normal(size=(4, 2)), y=np.eye(2)[[0, 1, 0, 1]])
    with pytest.raises(DataError, match=r"looks one-hot"):
        load_npz(tmp_path / "b.npz")
    X = rng.normal(size=(4, 2))
    X[2, 1] = np.nan
    np.savez(tmp_path / "c.npz", X=X, y=np.array([0, 1, 0, 1]))
    with pytest.raises(DataError, match=r"example 2, feature 1 is nan"):
        load_npz(tmp_path / "c.npz")
    np.savez(tmp_path / "d.npz", X=rng.normal(size=(4, 2)), y=np.array([0, 1, 0]))
    with pytest.raises(DataError, match=r"4 examples but 3 labels"):
        load_npz(tmp_path / "d.npz")


def test_npz_not_an_archive(tmp_path):
    (tmp_path / "x.npz").write_bytes(b"hello, not a zip")
    with pytest.raises(DataError, match=r"not a readable .npz archive"):
        load_npz(tmp_path / "x.npz")
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(DataError, match=r"single array"):
        load_npz(tmp_path / "one.npy")
