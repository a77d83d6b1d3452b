"""CIFAR-10 binary and python batches, and the whitelist unpickler."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from chainrule.data import cifar, load
from chainrule.data.cifar import CIFAR10_CLASSES, read_cifar_binary, read_cifar_python
from chainrule.errors import DataError


def _write_binary(directory, fmt, batches):
    directory.mkdir(parents=True, exist_ok=True)
    for name, (images, labels) in zip(fmt.BINARY_NAMES, batches, strict=True):
        (directory / name).write_bytes(fmt.cifar_binary_bytes(images, labels))


def _write_python2(directory, fmt, batches):
    directory.mkdir(parents=True, exist_ok=True)
    for name, (images, labels) in zip(fmt.PYTHON_NAMES, batches, strict=True):
        data = fmt.cifar_planes(images)
        (directory / name).write_bytes(fmt.cifar_python2_pickle(data, labels.tolist()))


def _check(ds, batches):
    train_images = np.concatenate([b[0] for b in batches[:5]])
    assert ds.X_train.shape == (50, 3072) and ds.X_train.dtype == np.float32
    np.testing.assert_array_equal(ds.X_train.reshape(-1, 32, 32, 3), train_images)
    np.testing.assert_array_equal(ds.y_train, np.concatenate([b[1] for b in batches[:5]]))
    np.testing.assert_array_equal(ds.X_test.reshape(-1, 32, 32, 3), batches[5][0])
    np.testing.assert_array_equal(ds.y_test, batches[5][1])
    assert ds.image_shape == (32, 32, 3) and ds.n_classes == 10
    assert ds.class_names == CIFAR10_CLASSES


def test_binary_batches_in_archive_folder(tmp_path, fmt, rng):
    batches = fmt.cifar_arrays(rng)
    _write_binary(tmp_path / "cifar-10-batches-bin", fmt, batches)
    _check(load(f"cifar10:{tmp_path}"), batches)


def test_python2_batches(tmp_path, fmt, rng):
    batches = fmt.cifar_arrays(rng)
    _write_python2(tmp_path, fmt, batches)
    _check(load(f"cifar10:{tmp_path}"), batches)


@pytest.mark.parametrize("protocol", [2, 4, 5])
@pytest.mark.parametrize("key", [str, str.encode])
def test_python3_batches(tmp_path, fmt, rng, protocol, key):
    # Python 3 rewrites bytes at protocol 2 through _codecs.encode, and arrays at
    # protocol 5 through numpy's _frombuffer: the official batches re-saved that way load.
    batches = fmt.cifar_arrays(rng)
    for name, (images, labels) in zip(fmt.PYTHON_NAMES, batches, strict=True):
        batch = {
            key("batch_label"): b"training batch",
            key("labels"): labels.tolist(),
            key("data"): fmt.cifar_planes(images),
            key("filenames"): [f"{i}.png".encode() for i in range(len(labels))],
        }
        (tmp_path / name).write_bytes(pickle.dumps(batch, protocol=protocol))
    _check(load(f"cifar10:{tmp_path}"), batches)


def test_pixel_layout_red_plane_first(tmp_path):
    # One record: label 3, red plane all 200, green 100, blue 7.
    record = bytes([3]) + bytes([200]) * 1024 + bytes([100]) * 1024 + bytes([7]) * 1024
    (tmp_path / "b.bin").write_bytes(record)
    X, y = read_cifar_binary(tmp_path / "b.bin")
    assert y.tolist() == [3]
    assert X.reshape(32, 32, 3)[5, 9].tolist() == [200, 100, 7]


def test_truncated_binary_batch(tmp_path, fmt, rng):
    images, labels = fmt.cifar_arrays(rng, n=2)[0]
    (tmp_path / "b.bin").write_bytes(fmt.cifar_binary_bytes(images, labels)[:-1])
    with pytest.raises(DataError, match=r"6145 bytes is not a whole number of 3073-byte records"):
        read_cifar_binary(tmp_path / "b.bin")


def test_empty_binary_batch(tmp_path):
    (tmp_path / "b.bin").write_bytes(b"")
    with pytest.raises(DataError, match=r"is empty"):
        read_cifar_binary(tmp_path / "b.bin")


def test_corrupted_label_byte(tmp_path, fmt, rng):
    images, labels = fmt.cifar_arrays(rng, n=3)[0]
    raw = bytearray(fmt.cifar_binary_bytes(images, labels))
    raw[2 * 3073] = 57
    (tmp_path / "b.bin").write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"byte offset 6146: label 57 is outside the classes 0..9"):
        read_cifar_binary(tmp_path / "b.bin")


def test_oversized_file_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(cifar, "MAX_BATCH_BYTES", 3073 * 2)
    (tmp_path / "b.bin").write_bytes(bytes(3073 * 3))
    with pytest.raises(DataError, match=r"more than the 6146 a batch can have"):
        read_cifar_binary(tmp_path / "b.bin")


@pytest.mark.parametrize(
    ("payload", "refused"),
    [
        (b"cos\nsystem\n(S'echo owned > pwned.txt'\ntR.", "os.system"),
        (b"cbuiltins\neval\n(S'1+1'\ntR.", "builtins.eval"),
        (b"c_codecs\ndecode\n(X\x01\x00\x00\x00aX\x06\x00\x00\x00latin1tR.", "_codecs.decode"),
        (b"cnumpy\nload\n(S'x'\ntR.", "numpy.load"),
    ],
)
def test_unpickler_refuses_other_globals(tmp_path, monkeypatch, payload, refused):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data_batch_1").write_bytes(payload)
    with pytest.raises(DataError, match=rf"refused to load the global {refused}"):
        read_cifar_python(tmp_path / "data_batch_1")
    assert not (tmp_path / "pwned.txt").exists()


def test_python_batch_of_wrong_structure(tmp_path):
    (tmp_path / "b").write_bytes(pickle.dumps([1, 2, 3], protocol=2))
    with pytest.raises(DataError, match=r"expected a pickled dict, found list"):
        read_cifar_python(tmp_path / "b")
    (tmp_path / "b").write_bytes(pickle.dumps({"data": np.zeros((2, 10), np.uint8)}))
    with pytest.raises(DataError, match=r"'data' has shape \(2, 10\), expected \(n, 3072\)"):
        read_cifar_python(tmp_path / "b")


def test_python_batch_cut_short(tmp_path, fmt, rng):
    images, labels = fmt.cifar_arrays(rng, n=2)[0]
    raw = fmt.cifar_python2_pickle(fmt.cifar_planes(images), labels.tolist())
    (tmp_path / "b").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match=r"not a readable python batch"):
        read_cifar_python(tmp_path / "b")


def test_python_batch_label_out_of_range(tmp_path, fmt, rng):
    images, _ = fmt.cifar_arrays(rng, n=2)[0]
    raw = fmt.cifar_python2_pickle(fmt.cifar_planes(images), [1, 12])
    (tmp_path / "b").write_bytes(raw)
    with pytest.raises(DataError, match=r"example 1: label 12 is outside"):
        read_cifar_python(tmp_path / "b")


def test_incomplete_set_lists_expected_names(tmp_path, fmt, rng):
    _write_binary(tmp_path, fmt, fmt.cifar_arrays(rng))
    (tmp_path / "data_batch_4.bin").unlink()
    with pytest.raises(DataError) as info:
        load(f"cifar10:{tmp_path}")
    assert "data_batch_4.bin" in str(info.value) and "test_batch" in str(info.value)
    assert str(tmp_path) in str(info.value)
