"""Hostile checkpoints: every header bit flip, a table of manifest lies, files that are not
files. Each must be a CheckpointError (exit 4), never another exception, never a silent load.
"""

from __future__ import annotations

import copy
import io
import json
import os
import signal
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.atomic import remove_stale_temporaries
from chainrule.checkpoint import read_checkpoint, write_checkpoint
from chainrule.errors import CheckpointError
from chainrule.train import ModelCheckpoint
from tests.training.helpers import archive, members, with_manifest


@pytest.fixture(scope="module")
def run_checkpoint(tmp_path_factory) -> bytes:
    """The bytes of a checkpoint as ``chainrule train`` writes it: optimizer, training
    position, history, settings, preprocessing statistics and data description."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 64)), np.arange(40) % 10
    model = cr.Sequential([cr.Linear(64, 4), cr.ReLU(), cr.Linear(4, 10)], seed=0)
    path = tmp_path_factory.mktemp("run") / "model.chainrule"
    metadata = {
        "settings": {"data": "digits", "layers": "4-relu-10", "epochs": 1, "l2": None},
        "preprocessing": {"type": "Standardizer", "mean": [0.5] * 64, "scale": [2.0] * 64},
        "data": {
            "source": "digits",
            "name": "digits",
            "n_classes": 10,
            "n_features": 64,
            "image_shape": [8, 8],
            "class_names": list("0123456789"),
        },
    }
    opt = cr.Adam(model, lr=1e-3)
    callbacks = [ModelCheckpoint(path)]
    cr.fit(
        model,
        cr.SoftmaxCrossEntropy(),
        opt,
        (X, y),
        epochs=1,
        batch_size=8,
        callbacks=callbacks,
        metadata=metadata,
        verbose=0,
    )
    return path.read_bytes()


def _set(path: str, value: object):
    """An edit of the manifest: ``"a/b/0/c"`` set to ``value`` (``...`` deletes it)."""

    def edit(m: dict) -> dict:
        m = copy.deepcopy(m)
        *parents, last = path.split("/")
        node = m
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        last = int(last) if isinstance(node, list) else last
        if value is ...:
            del node[last]
        else:
            node[last] = value
        return m

    return edit


LIES = {
    "version as text": _set("format_version", "2"),
    "version 3": _set("format_version", 3),
    "version true": _set("format_version", True),
    "no kind": _set("kind", ...),
    "kind a number": _set("kind", 5),
    "arrays a list": _set("arrays", []),
    "shape as text": _set("arrays/model.W1/shape", "4,64"),
    "negative shape": _set("arrays/model.W1/shape", [-4, 64]),
    "huge shape": _set("arrays/model.W1/shape", [2**40, 64]),
    "object dtype": _set("arrays/model.W1/dtype", "|O"),
    "other dtype": _set("arrays/model.W1/dtype", "<f8"),
    "bad digest": _set("arrays/model.W1/sha256", "zz"),
    "unknown array key": _set("arrays/model.W1/offset", 0),
    "no model": _set("model", ...),
    "model dtype float16": _set("model/dtype", "float16"),
    "empty spec": _set("model/spec", []),
    "spec a dict": _set("model/spec", {"type": "Linear"}),
    "layer a list": _set("model/spec/0", [1, 2]),
    "unknown layer": _set("model/spec/1/type", "Conv2d"),
    "width as text": _set("model/spec/0/d_in", "64"),
    "width zero": _set("model/spec/0/d_in", 0),
    "width true": _set("model/spec/0/d_out", True),
    "width 2**40": _set("model/spec/0/d_out", 2**40),
    "bias as text": _set("model/spec/0/bias", "yes"),
    "unknown layer field": _set("model/spec/0/activation", "relu"),
    "nested layer field": _set("model/spec/1/slope", {"a": 1}),
    "unknown loss": _set("loss/type", "Hinge"),
    "loss a list": _set("loss", [1]),
    "loss reduction": _set("loss/reduction", "max"),
    "unknown optimizer": _set("optimizer/name", "adamx"),
    "hyper a list": _set("optimizer/hyper", [1]),
    "hyper lr text": _set("optimizer/hyper/lr", "fast"),
    "step negative": _set("optimizer/step", -1),
    "step fraction": _set("optimizer/step", 1.5),
    "buffer for a stranger": _set("optimizer/buffers/m", ["W1", "W9"]),
    "buffers a list": _set("optimizer/buffers", ["m"]),
    "unknown top key": _set("evil", 1),
    "extra a list": _set("extra", []),
    "extra arrays missing": _set("extra_arrays", ["mask"]),
    "epoch negative": _set("extra/training/epoch", -1),
    "no n_train": _set("extra/training/n_train", ...),
    "rng state garbage": _set("extra/training/rng_state", {"bit_generator": "PCG64"}),
    "batch size zero": _set("extra/training/batch_size", 0),
    "history text": _set("extra/history/history/loss", ["low"]),
    "history epochs": _set("extra/history/epoch", [0.5]),
    "mean too short": _set("extra/preprocessing/mean", [0.0]),
    "scale zero": _set("extra/preprocessing/scale/0", 0.0),
    "preprocessing type": _set("extra/preprocessing/type", "MinMax"),
    "data source number": _set("extra/data/source", 5),
    "class names numbers": _set("extra/data/class_names", [1, 2]),
    "settings a list": _set("extra/settings", [1]),
    "widths do not chain": lambda m: _set("model/spec/2/d_in", 5)(
        _set("arrays/model.W2/shape", [10, 5])(m)
    ),
}
# Edits that describe another valid model: only the manifest's SHA-256 can see them.
EDITS = {
    "ReLU to Sigmoid": _set("model/spec/1/type", "Sigmoid"),
    "mean shifted": _set("extra/preprocessing/mean/0", 1.0),
    "loss changed": _set("loss/type", "MeanSquaredError"),
    "data source changed": _set("extra/data/source", "csv:/elsewhere.csv"),
}


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "m.chainrule"
    path.write_bytes(data)
    return path


def _load(tmp_path: Path, data: bytes) -> cr.checkpoint.Checkpoint:
    return cr.load(_write(tmp_path, data))


@pytest.mark.parametrize("lie", sorted(LIES))
def test_a_manifest_lie_is_a_checkpoint_error(tmp_path, run_checkpoint, lie):
    manifest = json.loads(members(run_checkpoint)["manifest.json"])
    with pytest.raises(CheckpointError, match=r"m\.chainrule"):
        _load(tmp_path, with_manifest(run_checkpoint, LIES[lie](manifest)))


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edited_manifest_fails_its_digest(tmp_path, run_checkpoint, edit):
    manifest = json.loads(members(run_checkpoint)["manifest.json"])
    edited = with_manifest(run_checkpoint, EDITS[edit](manifest), sign=False)
    with pytest.raises(CheckpointError, match=r"does not match its SHA-256"):
        _load(tmp_path, edited)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply|not valid JSON"),
        (b'{"format_version": ' + b"9" * 5000 + b"}", "not valid JSON"),
        (b'{"x": NaN}', "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_unparsable_manifests(tmp_path, run_checkpoint, text, message):
    with pytest.raises(CheckpointError, match=message):
        _load(tmp_path, with_manifest(run_checkpoint, text))


def test_archive_level_lies(tmp_path, run_checkpoint):
    found = members(run_checkpoint)
    # a second manifest.json after the first: the last one would win in zipfile
    buf = io.BytesIO(archive(found))
    with zipfile.ZipFile(buf, "a") as zf, pytest.warns(UserWarning, match="Duplicate"):
        zf.writestr("manifest.json", b"{}")
    with pytest.raises(CheckpointError, match="appears twice"):
        _load(tmp_path, buf.getvalue())
    with pytest.raises(CheckpointError, match="is compressed"):
        _load(tmp_path, archive(found, zipfile.ZIP_DEFLATED))
    del found["manifest.sha256"]
    with pytest.raises(CheckpointError, match=r"manifest\.sha256 is missing"):
        _load(tmp_path, archive(found))


def test_a_huge_array_header_is_refused_before_allocating(tmp_path, run_checkpoint):
    found = members(run_checkpoint)
    npy = found["model.W1.npy"]
    header = npy[: 10 + struct.unpack("<H", npy[8:10])[0]]
    huge = header.replace(b"(4, 64)", b"(1099511627776, 64)")  # 2**40 rows: 256 TiB
    found["model.W1.npy"] = huge[:8] + struct.pack("<H", len(huge) - 10) + huge[10:]
    found["model.W1.npy"] += npy[len(header) :]
    with pytest.raises(CheckpointError, match=r"array 'model.W1' has shape \(1099511627776"):
        _load(tmp_path, archive(found))
    manifest = json.loads(found["manifest.json"])
    manifest["arrays"]["model.W1"]["shape"] = [2**40, 64]
    with pytest.raises(CheckpointError, match=r"needs \d+ bytes, its member holds 1024"):
        read_checkpoint(_write(tmp_path, with_manifest(archive(found), manifest)))


def test_version_1_checkpoints_still_load(tmp_path, run_checkpoint):
    found = members(run_checkpoint)
    del found["manifest.sha256"]  # version 1 had no manifest digest
    manifest = json.loads(found["manifest.json"])
    manifest["format_version"] = 1
    found["manifest.json"] = json.dumps(manifest).encode()
    ck = _load(tmp_path, archive(found))
    assert ck.manifest["format_version"] == 1 and ck.model.spec()[1]["type"] == "ReLU"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_files_that_are_not_regular_are_refused_at_once(tmp_path):
    fifo = tmp_path / "fifo.chainrule"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.chainrule"
    zero.symlink_to("/dev/zero")
    loop = tmp_path / "loop.chainrule"
    loop.symlink_to(loop)
    directory = tmp_path / "dir.chainrule"
    directory.mkdir()
    signal.alarm(20)  # a regression would block on the FIFO forever
    try:
        with pytest.raises(CheckpointError, match="is a FIFO"):
            cr.load(fifo)
        with pytest.raises(CheckpointError, match="is a character device"):
            cr.load(zero)
        with pytest.raises(CheckpointError, match="symbolic link that loops"):
            cr.load(loop)
        with pytest.raises(CheckpointError, match="is a directory"):
            cr.load(directory)
    finally:
        signal.alarm(0)


def test_stale_temporaries_are_removed_and_permissions_follow_the_umask(tmp_path):
    path = tmp_path / "x.chainrule"
    dead = tmp_path / ".x.chainrule.999999999.abc123.tmp"  # no such process
    mine = tmp_path / f".x.chainrule.{os.getpid()}.def456.tmp"
    other = tmp_path / ".y.chainrule.999999999.abc123.tmp"  # another checkpoint's
    for f in (dead, mine, other):
        f.write_bytes(b"half a checkpoint")
    old = os.umask(0o022)
    try:
        write_checkpoint(path, {"v": np.zeros(2)}, {})
    finally:
        os.umask(old)
    assert not dead.exists() and mine.exists() and other.exists()
    assert path.stat().st_mode & 0o777 == 0o644
    assert remove_stale_temporaries(path) == []


# ---- every single-bit flip of every header byte ----------------------------------------


def _header_ranges(data: bytes) -> dict[str, list[range]]:
    """Byte ranges of the .npy headers, the ZIP local headers and the central directory."""
    out: dict[str, list[range]] = {"npy": [], "local": [], "central": []}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    for info in infos:
        n, m = struct.unpack_from("<HH", data, info.header_offset + 26)
        start = info.header_offset + 30 + n + m
        out["local"].append(range(info.header_offset, start))
        if info.filename.endswith(".npy"):
            out["npy"].append(
                range(start, start + 10 + struct.unpack_from("<H", data, start + 8)[0])
            )
    last = max(infos, key=lambda i: i.header_offset)
    n, m = struct.unpack_from("<HH", data, last.header_offset + 26)
    out["central"].append(range(last.header_offset + 30 + n + m + last.compress_size, len(data)))
    return out


@pytest.fixture(scope="module")
def small_checkpoint(tmp_path_factory) -> tuple[bytes, dict]:
    model = cr.Sequential([cr.Linear(2, 1, bias=False)], dtype=np.float32, seed=0)
    path = cr.save(
        model, tmp_path_factory.mktemp("small") / "m.chainrule", loss=cr.HalfSquaredError()
    )
    return path.read_bytes(), model.state_dict()


@pytest.mark.parametrize("family", ["npy", "local", "central"])
def test_every_header_bit_flip_is_a_checkpoint_error(tmp_path, small_checkpoint, family):
    data, weights = small_checkpoint
    path = _write(tmp_path, data)
    counts = {"tried": 0, "clear": 0, "crash": [], "silent": []}
    fd = os.open(path, os.O_RDWR)  # one byte changed in place, then put back: no rewrites
    try:
        for span in _header_ranges(data)[family]:
            for at in span:
                for bit in range(8):
                    os.pwrite(fd, bytes([data[at] ^ (1 << bit)]), at)
                    counts["tried"] += 1
                    try:
                        ck = cr.load(path)
                    except CheckpointError:
                        counts["clear"] += 1
                        continue
                    except Exception as exc:  # any other exception is the bug this test is for
                        counts["crash"].append((at, bit, repr(exc)))
                        continue
                    finally:
                        os.pwrite(fd, data[at : at + 1], at)
                    counts["silent"].append((at, bit, ck.model.state_dict() == weights))
    finally:
        os.close(fd)
    print(family, {k: v if isinstance(v, int) else len(v) for k, v in counts.items()})
    assert counts["crash"] == [] and counts["silent"] == []
    assert counts["clear"] == counts["tried"] > 0
