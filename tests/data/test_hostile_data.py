"""Hostile data files (MNIST IDX, CSV, NPZ): each a clear DataError, never a crash, never
an allocation the file does not pay for, never a silent wrong reading."""

from __future__ import annotations

import gzip
import io
import os
import signal
import struct
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

from chainrule.data import load
from chainrule.data.idx import read_idx
from chainrule.data.preprocess import MAX_CLASSES
from chainrule.data.tabular import load_csv, load_npz
from chainrule.errors import DataError


def _idx(shape, code=0x08, payload=b"") -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload


def _mnist_dir(tmp_path, train_images: bytes, gz: bool = False):
    """The four MNIST files, with ``train_images`` in place of the real training images."""
    labels = _idx((3,), payload=bytes([0, 1, 2]))
    files = {
        "train-images-idx3-ubyte": train_images,
        "train-labels-idx1-ubyte": labels,
        "t10k-images-idx3-ubyte": _idx((3, 2, 2), payload=bytes(12)),
        "t10k-labels-idx1-ubyte": labels,
    }
    for name, data in files.items():
        (tmp_path / (name + (".gz" if gz else ""))).write_bytes(gzip.compress(data) if gz else data)
    return f"mnist:{tmp_path}"


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (_idx((0, 28, 28)), r"holds 0 images of 28x28 pixels"),
        (_idx((3, 0, 0)), r"holds 3 images of 0x0 pixels"),
        (_idx((2**31, 2**31, 4)), r"ask for 18446744073709551616 bytes"),
        (_idx((3, 2, 2), code=0x0D, payload=bytes(48)), r"expected unsigned-byte images"),
        (_idx((4, 2, 2), payload=bytes(16)), r"holds 4 images but .* holds 3 labels"),
    ],
)
@pytest.mark.parametrize("gz", [False, True])
def test_mnist_headers_that_lie(tmp_path, images, message, gz):
    with pytest.raises(DataError, match=message):
        load(_mnist_dir(tmp_path, images, gz=gz))


def test_a_small_gzip_declaring_a_million_images_costs_only_its_real_bytes(tmp_path):
    # 1.3 M images declared, 10,000 bytes present: refused once the real data runs out
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(_idx((1_300_000, 28, 28), payload=bytes(10_000))))
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"data ends at byte offset 10016.*truncated"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20  # a header's 1 GB never allocated


def _flip_each_bit(path, data: bytes, offsets, read) -> dict[str, int]:
    """Flip each bit of ``path`` (whose bytes are ``data``) at ``offsets`` in turn, one
    byte changed in place and then put back (no rewrites), and count how ``read()`` takes
    it: a DataError is ``clear``, anything read without one ``silent``."""
    counts = {"tried": 0, "clear": 0, "silent": 0}
    fd = os.open(path, os.O_RDWR)
    try:
        for at in offsets:
            for bit in range(8):
                os.pwrite(fd, bytes([data[at] ^ (1 << bit)]), at)
                counts["tried"] += 1
                try:
                    read()
                except DataError:
                    counts["clear"] += 1
                else:
                    counts["silent"] += 1
                finally:
                    os.pwrite(fd, data[at : at + 1], at)
    finally:
        os.close(fd)
    return counts


def test_every_idx_header_bit_flip_is_a_data_error(tmp_path):
    # (read_idx alone takes a flip of uint8 to int8 as another valid file; MNIST does not)
    images = _idx((3, 2, 2), payload=bytes(range(12)))
    source = _mnist_dir(tmp_path, images)
    path = tmp_path / "train-images-idx3-ubyte"
    counts = _flip_each_bit(path, images, range(16), lambda: load(source))
    assert counts == {"tried": 128, "clear": 128, "silent": 0}


def _csv(tmp_path, text: str):
    path = tmp_path / "d.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,label\n1,1e9\n2,0\n", rf"1000000000, which would mean more than {MAX_CLASSES} classes"),
        ("a,label\n1,1e300\n2,0\n", r"more than \d+ classes"),
        ("a,label\n" + "".join(f"{i},1\n" for i in range(12)), r"every one of the 12 labels is 1"),
        ("a,label\n1_000,0\n2,1\n", r"'1_000' is not a number \(digits are not grouped"),
        ("a,label\n\u0661,0\n2,1\n", r"is not a number"),
        ("a,label\n+nan,0\n2,1\n", r"'\+nan' is NaN, a missing value"),
        ("a,label\n-inf,0\n2,1\n", r"'-inf' is infinite"),
        ("a,label\n", r"has a header but no data rows"),
        ("a,label\n1,0\n2,1\n", r"2 examples are too few to hold out a test split"),
    ],
)
def test_hostile_csv_files(tmp_path, text, message):
    path = _csv(tmp_path, text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no raw NumPy warning on the way to the message
        with pytest.raises(DataError, match=message):
            load_csv(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_csv_that_is_a_directory_fifo_or_loop(tmp_path):
    (tmp_path / "dir.csv").mkdir()
    os.mkfifo(tmp_path / "fifo.csv")
    (tmp_path / "loop.csv").symlink_to(tmp_path / "loop.csv")
    signal.alarm(20)  # a regression would block on the FIFO forever
    try:
        for name, message in [
            ("dir.csv", "is a directory"),
            ("fifo.csv", "is a FIFO"),
            ("loop.csv", "symbolic link that loops"),
        ]:
            with pytest.raises(DataError, match=message):
                load(f"csv:{tmp_path / name}")
    finally:
        signal.alarm(0)


def _npz(tmp_path, **arrays) -> object:
    path = tmp_path / "d.npz"
    np.savez(path, **arrays)
    return path


def test_hostile_npz_files(tmp_path, rng):
    X, y = rng.normal(size=(20, 3)), np.arange(20) % 2
    with pytest.raises(DataError, match=r"holds both 'X' and 'x'"):
        load_npz(_npz(tmp_path, X=X, x=X, y=y))
    with pytest.raises(DataError, match=r"1000000000000, which would mean more than"):
        load_npz(_npz(tmp_path, X=X, y=np.where(y == 1, 1e12, 0)))
    with pytest.raises(DataError, match=r"not plain real numbers"):
        load_npz(_npz(tmp_path, X=np.zeros(20, dtype=[("a", "<f8")]), y=y))
    path = tmp_path / "text.npz"
    path.write_text("X,y\n1,0\n")
    with pytest.raises(DataError, match=r"not a ZIP header") as info:
        load_npz(path)
    assert "pickle" not in str(info.value)


def _npz_claiming(shape: tuple[int, ...], compression: int) -> bytes:
    """An archive whose X header claims ``shape`` but holds 16 bytes of data."""
    npy = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        npy, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        zf.writestr("X.npy", npy.getvalue() + bytes(16))
        zf.writestr("y.npy", npy.getvalue() + bytes(16))
    return buf.getvalue()


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_npz_header_claiming_terabytes_is_refused_unallocated(tmp_path, compression):
    path = tmp_path / "big.npz"
    path.write_bytes(_npz_claiming((2**40, 64), compression))
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"needs \d+ bytes, but its member holds 16"):
            load_npz(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def test_every_npz_header_bit_flip_is_a_data_error(tmp_path, rng):
    X, y = rng.normal(size=(10, 2)), np.arange(10) % 2
    data = _npz(tmp_path, X=X, y=y).read_bytes()
    starts = [m.start() for m in __import__("re").finditer(rb"\x93NUMPY", data)]
    path = tmp_path / "f.npz"
    path.write_bytes(data)
    # each array's .npy header (128 bytes), covered by the zip CRC
    offsets = [at for start in starts for at in range(start, start + 128)]
    counts = _flip_each_bit(path, data, offsets, lambda: load_npz(path))
    assert counts == {"tried": 2048, "clear": 2048, "silent": 0}
