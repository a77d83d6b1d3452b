"""Fixtures for the data tests: no network beyond 127.0.0.1, a local HTTP server, and
writers of small files in the real MNIST IDX and CIFAR-10 formats."""

from __future__ import annotations

import gzip
import http.server
import socket
import struct
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any connection or name look-up beyond this machine fails the test."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOCAL_HOSTS:
            raise AssertionError(f"a data test tried to reach {address}")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and host not in LOCAL_HOSTS:
            raise AssertionError(f"a data test tried to look up {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for var in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        srv = self.server
        name = self.path.lstrip("/")
        srv.requests.append((name, self.headers.get("Range")))
        body = srv.files.get(name)
        if body is None:
            self.send_error(404)
            return
        start = 0
        asked = self.headers.get("Range")
        if asked and not srv.ignore_range:
            start = int(asked.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        payload = body[start:]
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        cut = srv.cut.get(name)
        if cut:
            # Simulate a dropped connection: fewer bytes than Content-Length promised.
            srv.cut[name] = cut[1:]
            self.wfile.write(payload[: cut[0]])
            self.close_connection = True
            return
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A threaded HTTP server on 127.0.0.1 serving ``server.files`` with Range support.

    ``server.cut[name] = [n1, n2, ...]`` makes the next responses for ``name`` break off
    after n1, n2, ... bytes; ``server.ignore_range = True`` answers every request with the
    whole file; ``server.requests`` logs ``(name, Range header)``.
    """
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.files, srv.requests, srv.cut, srv.ignore_range = {}, [], {}, False
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}/"
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file: magic 0 0 type ndim, big-endian sizes, big-endian data."""
    codes = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}
    code = codes[array.dtype.str[1:]]
    head = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return head + array.astype(array.dtype.newbyteorder(">")).tobytes()


def mnist_arrays(rng: np.random.Generator, n_train: int = 30, n_test: int = 12):
    """Random 28x28 uint8 images and labels 0..9 (every class present in train)."""
    parts = {}
    for part, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        parts[part] = (images, rng.permutation(labels))
    return parts


def mnist_files(parts, gz: bool = True) -> dict[str, bytes]:
    """The four MNIST files for ``mnist_arrays`` output, keyed by official name."""
    files = {}
    for part, (images, labels) in parts.items():
        for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{part}-{kind}-ubyte"
            data = idx_bytes(arr)
            files[name + (".gz" if gz else "")] = gzip.compress(data, mtime=0) if gz else data
    return files


def write_files(directory: Path, files: dict[str, bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return directory


def cifar_planes(images_hwc: np.ndarray) -> np.ndarray:
    """(n, 32, 32, 3) images to CIFAR's (n, 3072) layout: R plane, G plane, B plane."""
    return images_hwc.transpose(0, 3, 1, 2).reshape(len(images_hwc), 3072)


def cifar_binary_bytes(images_hwc: np.ndarray, labels: np.ndarray) -> bytes:
    records = np.hstack([labels.astype(np.uint8)[:, None], cifar_planes(images_hwc)])
    return records.tobytes()


def _str2(s: bytes) -> bytes:
    # A Python 2 byte string as pickle protocol 2 writes it.
    if len(s) < 256:
        return b"U" + bytes([len(s)]) + s
    return b"T" + struct.pack("<I", len(s)) + s


def _int2(v: int) -> bytes:
    if 0 <= v < 256:
        return b"K" + bytes([v])
    if 0 <= v < 65536:
        return b"M" + struct.pack("<H", v)
    return b"J" + struct.pack("<i", v)


def cifar_python2_pickle(data: np.ndarray, labels: list[int]) -> bytes:
    """A CIFAR-10 python batch byte for byte as Python 2 + NumPy 1 wrote it (protocol 2).

    Python 3 cannot write this form itself (it pickles bytes through ``_codecs.encode``),
    so the opcodes are spelled out: a dict of byte-string keys, ``labels`` a list of ints,
    ``data`` an ndarray rebuilt by ``numpy.core.multiarray._reconstruct``.
    """
    n = data.shape[0]
    dtype = (
        b"cnumpy\ndtype\n" + _str2(b"u1") + _int2(0) + _int2(1) + b"\x87R"
        b"(" + _int2(3) + _str2(b"|") + b"NNN" + _int2(-1) + _int2(-1) + _int2(0) + b"tb"
    )
    array = (
        b"cnumpy.core.multiarray\n_reconstruct\n"
        b"cnumpy\nndarray\n" + _int2(0) + b"\x85" + _str2(b"b") + b"\x87R"
        b"("
        + _int2(1)
        + _int2(n)
        + _int2(3072)
        + b"\x86"
        + dtype
        + b"\x89"
        + _str2(data.tobytes())
        + b"tb"
    )
    label_list = b"](" + b"".join(_int2(int(v)) for v in labels) + b"e"
    names = b"](" + b"".join(_str2(f"img_{i}.png".encode()) for i in range(n)) + b"e"
    return (
        b"\x80\x02}("
        + _str2(b"batch_label")
        + _str2(b"training batch 1 of 5")
        + _str2(b"labels")
        + label_list
        + _str2(b"data")
        + array
        + _str2(b"filenames")
        + names
        + b"u."
    )


def cifar_arrays(rng: np.random.Generator, n: int = 10):
    """Six batches of n random images (n, 32, 32, 3) with labels 0..9."""
    return [
        (
            rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8),
            rng.permutation(np.arange(n) % 10).astype(np.int64),
        )
        for _ in range(6)
    ]


BINARY_NAMES = [*(f"data_batch_{i}.bin" for i in range(1, 6)), "test_batch.bin"]
PYTHON_NAMES = [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]


@pytest.fixture
def fmt():
    """The writers above, for tests: ``fmt.idx_bytes(...)`` and so on."""
    return SimpleNamespace(
        idx_bytes=idx_bytes,
        mnist_arrays=mnist_arrays,
        mnist_files=mnist_files,
        write_files=write_files,
        cifar_planes=cifar_planes,
        cifar_binary_bytes=cifar_binary_bytes,
        cifar_python2_pickle=cifar_python2_pickle,
        cifar_arrays=cifar_arrays,
        BINARY_NAMES=BINARY_NAMES,
        PYTHON_NAMES=PYTHON_NAMES,
    )


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
