"""MNIST / Fashion-MNIST IDX files: exact round trips and every kind of damage."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from chainrule.data import load
from chainrule.data.idx import FASHION_CLASSES, load_mnist, read_idx
from chainrule.errors import DataError


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_round_trip(tmp_path, fmt, rng, gz):
    parts = fmt.mnist_arrays(rng)
    fmt.write_files(tmp_path, fmt.mnist_files(parts, gz=gz))
    ds = load(f"mnist:{tmp_path}")
    images, labels = parts["train"]
    assert ds.X_train.shape == (30, 784) and ds.X_train.dtype == np.float32
    assert ds.y_train.dtype == np.int64
    np.testing.assert_array_equal(ds.X_train.reshape(-1, 28, 28), images)
    np.testing.assert_array_equal(ds.y_train, labels)
    np.testing.assert_array_equal(ds.X_test.reshape(-1, 28, 28), parts["t10k"][0])
    assert ds.image_shape == (28, 28) and ds.n_classes == 10
    assert ds.class_names == tuple("0123456789")


def test_fashion_mnist_names_and_mixed_compression(tmp_path, fmt, rng):
    files = fmt.mnist_files(fmt.mnist_arrays(rng), gz=True)
    plain = gzip.decompress(files.pop("t10k-labels-idx1-ubyte.gz"))
    files["t10k-labels-idx1-ubyte"] = plain
    fmt.write_files(tmp_path, files)
    ds = load(f"fashion-mnist:{tmp_path}")
    assert ds.class_names == FASHION_CLASSES
    assert ds.class_names[9] == "Ankle boot"


@pytest.mark.parametrize("dtype", [">u1", ">i1", ">i2", ">i4", ">f4", ">f8"])
def test_read_idx_every_element_type(tmp_path, fmt, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    (tmp_path / "a.idx").write_bytes(fmt.idx_bytes(array))
    out = read_idx(tmp_path / "a.idx")
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, array)


def test_header_values_are_big_endian(tmp_path):
    # 2 labels, hand-written: magic 0x00000801, size 2, then the bytes 7 and 3.
    (tmp_path / "l").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 3]))
    np.testing.assert_array_equal(read_idx(tmp_path / "l"), [7, 3])


def test_truncated_plain_file(tmp_path, fmt, rng):
    data = fmt.idx_bytes(rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8))
    (tmp_path / "x").write_bytes(data[:-10])
    with pytest.raises(DataError, match=r"3926 bytes, but its header .* needs exactly 3936"):
        read_idx(tmp_path / "x")


def test_extra_bytes_are_refused(tmp_path, fmt):
    (tmp_path / "x").write_bytes(fmt.idx_bytes(np.zeros(4, np.uint8)) + b"\0")
    with pytest.raises(DataError, match=r"1 bytes too long"):
        read_idx(tmp_path / "x")


def test_gzip_with_truncated_payload(tmp_path, fmt):
    data = fmt.idx_bytes(np.zeros((3, 28, 28), np.uint8))
    (tmp_path / "x.gz").write_bytes(gzip.compress(data[:-100]))
    with pytest.raises(DataError, match=r"after gunzip.*data ends at byte offset 2268.*truncated"):
        read_idx(tmp_path / "x.gz")


def test_gzip_stream_cut_short(tmp_path, fmt, rng):
    data = fmt.idx_bytes(rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8))
    packed = gzip.compress(data)
    (tmp_path / "x.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataError, match=r"gzip data is corrupt or cut short"):
        read_idx(tmp_path / "x.gz")


def test_gzip_corrupted_bytes(tmp_path, fmt, rng):
    data = fmt.idx_bytes(rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8))
    packed = bytearray(gzip.compress(data))
    packed[-8:-4] = b"\0\0\0\0"  # the CRC-32 of the gzip trailer
    (tmp_path / "x.gz").write_bytes(bytes(packed))
    with pytest.raises(DataError, match=r"gzip data is corrupt"):
        read_idx(tmp_path / "x.gz")


@pytest.mark.parametrize(
    "head",
    [b"\x89PNG", b"\x00\x00\x08\x00", b"\x00\x00\x07\x01", b"\x01\x00\x08\x01", b"\x00\x00"],
)
def test_wrong_magic(tmp_path, head):
    (tmp_path / "x").write_bytes(head + b"\0" * 12)
    with pytest.raises(DataError, match=r"byte offset 0: magic number 0x|too short"):
        read_idx(tmp_path / "x")


def test_header_cut_inside_sizes(tmp_path):
    (tmp_path / "x").write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 1, 0, 0]))
    with pytest.raises(DataError, match=r"inside the sizes"):
        read_idx(tmp_path / "x")


def test_absurd_sizes_are_refused_before_reading(tmp_path):
    (tmp_path / "x").write_bytes(bytes([0, 0, 8, 3]) + b"\xff\xff\xff\xff" * 3)
    with pytest.raises(DataError, match=r"the file is corrupt"):
        read_idx(tmp_path / "x")


def test_label_byte_outside_classes(tmp_path, fmt, rng):
    parts = fmt.mnist_arrays(rng)
    labels = parts["train"][1].copy()
    labels[4] = 10
    parts["train"] = (parts["train"][0], labels)
    fmt.write_files(tmp_path, fmt.mnist_files(parts))
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte.gz: byte offset 12 .*label 10"):
        load_mnist(tmp_path)


def test_swapped_files(tmp_path, fmt, rng):
    files = fmt.mnist_files(fmt.mnist_arrays(rng))
    files["train-images-idx3-ubyte.gz"], files["train-labels-idx1-ubyte.gz"] = (
        files["train-labels-idx1-ubyte.gz"],
        files["train-images-idx3-ubyte.gz"],
    )
    fmt.write_files(tmp_path, files)
    with pytest.raises(DataError, match=r"is it a label file"):
        load_mnist(tmp_path)


def test_image_and_label_counts_differ(tmp_path, fmt, rng):
    parts = fmt.mnist_arrays(rng)
    parts["t10k"] = (parts["t10k"][0][:-1], parts["t10k"][1])
    fmt.write_files(tmp_path, fmt.mnist_files(parts))
    with pytest.raises(DataError, match=r"holds 11 images but t10k-labels-idx1-ubyte.gz holds 12"):
        load_mnist(tmp_path)


def test_missing_files_are_named(tmp_path, fmt, rng):
    files = fmt.mnist_files(fmt.mnist_arrays(rng))
    del files["t10k-images-idx3-ubyte.gz"]
    fmt.write_files(tmp_path, files)
    with pytest.raises(DataError) as info:
        load(f"mnist:{tmp_path}")
    msg = str(info.value)
    assert f"{tmp_path} lacks t10k-images-idx3-ubyte[.gz]" in msg
    assert "train-labels-idx1-ubyte[.gz]" in msg  # the full list of expected names
    assert "download" in msg


def test_missing_directory(tmp_path):
    with pytest.raises(DataError, match=r"directory .*nowhere does not exist.*train-images"):
        load(f"mnist:{tmp_path / 'nowhere'}")
