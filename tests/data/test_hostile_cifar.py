"""Hostile CIFAR-10 python batches: no pickle may reach raw memory or escape as a crash.

The attacks run in a child process, so that a regression which crashes the interpreter
(the 71-byte pickle below did, with a segmentation fault) fails a test instead of pytest.
"""

from __future__ import annotations

import json
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule
from chainrule.data.cifar import read_cifar_python
from chainrule.errors import DataError

# numpy.ndarray(numpy.ndarray((1,), numpy.dtype("O"), b"AAAAAAAA")): an array of object
# pointers read from the file's bytes, then read as a shape. Crashed `chainrule train`.
SEGFAULT = (
    b"\x80\x02cnumpy\nndarray\ncnumpy\nndarray\nK\x01\x85cnumpy\ndtype\n"
    b"X\x01\x00\x00\x00O\x85RC\x08AAAAAAAA\x87R\x85R."
)

_CHILD = """
import json, struct, sys
from chainrule.data.cifar import _to_hwc, read_cifar_python
from chainrule.data.cifar_pickle import unpickle_batch
from chainrule.errors import DataError
import numpy as np

def blobs(data):
    at = 0
    while at < len(data):
        (n,) = struct.unpack_from("<I", data, at)
        yield data[at + 4 : at + 4 + n]
        at += 4 + n

def read(raw):
    batch = unpickle_batch(raw, "test")
    return _to_hwc(batch["data"]), np.asarray(batch["labels"], dtype=np.int64)

counts = {"tried": 0, "clear": 0, "accepted": 0, "other": []}
for i, raw in enumerate(blobs(open(sys.argv[1], "rb").read())):
    path = i
    counts["tried"] += 1
    try:
        X, y = read(raw) if i else read_cifar_python(sys.argv[2])
    except DataError:
        counts["clear"] += 1
        continue
    except Exception as exc:
        counts["other"].append(f"{path}: {type(exc).__name__}: {exc}")
        continue
    # what is accepted is a well-formed batch: checked, never raw memory
    assert X.dtype.name == "uint8" and X.ndim == 2 and X.shape[1] == 3072, path
    assert y.dtype.name == "int64" and y.shape == (X.shape[0],), path
    assert ((y >= 0) & (y <= 9)).all(), path
    counts["accepted"] += 1
print(json.dumps(counts))
"""


def _run_child(tmp_path: Path, files: list[bytes]) -> dict:
    """Read ``files[0]`` from disk and the others from memory, in one child process."""
    (tmp_path / "data_batch_1").write_bytes(files[0])
    (tmp_path / "all.bin").write_bytes(b"".join(struct.pack("<I", len(f)) + f for f in files))
    env = {"PYTHONPATH": str(Path(chainrule.__file__).parents[1]), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path / "all.bin"), str(tmp_path / "data_batch_1")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, f"child died with {done.returncode}: {done.stderr[-2000:]}"
    return json.loads(done.stdout)


def _hand_made() -> dict[str, bytes]:
    ok_dtype = b"cnumpy\ndtype\nX\x02\x00\x00\x00u1\x89\x88\x87R"
    return {
        "segfault": SEGFAULT,
        "object_dtype_p5": pickle.dumps({b"data": np.array([None, 1], dtype=object)}, protocol=5),
        "float_data": pickle.dumps({b"data": np.zeros((1, 3072)), b"labels": [0]}, protocol=2),
        "label_2_70": pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [2**70]}),
        "label_bool": pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [True]}),
        "label_float": pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [1.0]}),
        "extra_key": pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [1], 3: 4}),
        "data_list": pickle.dumps({b"data": [[0] * 3072], b"labels": [1]}),
        "fortran": pickle.dumps(
            {b"data": np.asfortranarray(np.zeros((2, 3072), np.uint8)), b"labels": [1, 2]}
        ),
        "bare_dtype": b"\x80\x02" + ok_dtype + b".",
        "dtype_bad_state": b"\x80\x02"
        + ok_dtype
        + b"(K\x03X\x01\x00\x00\x00<NNNK\x08K\x01K\x3ftb.",
        "ndarray_call": b"\x80\x02cnumpy\nndarray\nK\x01\x85\x85R.",
        "persistent": b"\x80\x02X\x01\x00\x00\x00aQ.",
        "empty": b"",
        "not_pickle": b"hello world",
    }


def _mutants(official: bytes, n_pixels: int) -> dict[str, bytes]:
    """Every byte of the pickle's opcodes (not the pixel bytes) set to 8 other values."""
    pixels = official.index(b"T" + struct.pack("<I", n_pixels))  # the image byte string
    skip = range(pixels + 5, pixels + 5 + n_pixels)
    out = {}
    for i in (i for i in range(len(official)) if i not in skip):
        for value in (0, 1, 0x7F, 0x80, 0xFF, official[i] ^ 1, official[i] ^ 0x10, ord(".")):
            if value != official[i]:
                out[f"m{i:05d}_{value:02x}"] = official[:i] + bytes([value]) + official[i + 1 :]
    return out


def test_the_segfaulting_pickle_is_a_data_error(tmp_path):
    counts = _run_child(tmp_path, [SEGFAULT])
    assert counts == {"tried": 1, "clear": 1, "accepted": 0, "other": []}
    with pytest.raises(DataError, match=r"dtype 'O'.*only uint8"):
        read_cifar_python(tmp_path / "data_batch_1")


def test_hand_made_hostile_batches_are_data_errors(tmp_path):
    counts = _run_child(tmp_path, list(_hand_made().values()))
    assert counts["other"] == [] and counts["accepted"] == 0
    assert counts["clear"] == counts["tried"] == len(_hand_made())


def test_big_label_names_the_example(tmp_path):
    path = tmp_path / "b"
    path.write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [1, 2**70]}))
    with pytest.raises(DataError, match=r"example 1: label of 71 bits is outside the classes"):
        read_cifar_python(path)


def test_every_opcode_byte_changed_is_refused_or_well_formed(tmp_path, fmt, rng):
    images, labels = fmt.cifar_arrays(rng, n=2)[0]
    official = fmt.cifar_python2_pickle(fmt.cifar_planes(images), labels.tolist())
    mutants = _mutants(official, images.size)
    counts = _run_child(tmp_path, list(mutants.values()))
    print("CIFAR opcode mutants:", {k: v for k, v in counts.items() if k != "other"})
    assert counts["other"] == [], counts["other"][:5]
    assert counts["tried"] == len(mutants) == counts["clear"] + counts["accepted"]
    assert counts["clear"] > 0.8 * counts["tried"]
