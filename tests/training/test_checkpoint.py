"""Checkpoints: round trips, atomic writes, and every kind of damage named clearly."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.checkpoint import read_checkpoint, write_checkpoint
from chainrule.errors import CheckpointError
from tests.training.helpers import archive, members, sign_manifest


def _model(hidden=5, seed=0):
    return cr.Sequential(
        [cr.Linear(4, hidden), cr.ReLU(), cr.Linear(hidden, 3)], dtype=np.float32, seed=seed
    )


def _trained():
    model = _model()
    opt = cr.Adam(model, lr=0.01)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 4)), rng.integers(0, 3, size=20)
    loss = cr.SoftmaxCrossEntropy()
    for _ in range(3):
        loss.forward(model.forward(X), y)
        model.backward(loss.backward())
        opt.step()
    return model, opt, loss


ARRAYS = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1, 2], np.int64)}


def test_low_level_round_trip_and_manifest(tmp_path):
    path = write_checkpoint(tmp_path / "x.chainrule", ARRAYS, {"kind": "rbm", "n_hidden": 3})
    arrays, manifest = read_checkpoint(path)
    assert manifest["kind"] == "rbm" and manifest["n_hidden"] == 3
    assert manifest["format_version"] == 2
    assert manifest["arrays"]["a"]["shape"] == [2, 3] and manifest["arrays"]["a"]["dtype"] == "<f4"
    for k, v in ARRAYS.items():
        np.testing.assert_array_equal(arrays[k], v)
        assert arrays[k].dtype == v.dtype
    # the documented layout: an uncompressed .npz that also holds manifest.json
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["a.npy", "b.npy", "manifest.json", "manifest.sha256"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    with np.load(path, allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz["a"], ARRAYS["a"])


def test_previous_checkpoint_is_kept(tmp_path):
    path = tmp_path / "x.chainrule"
    write_checkpoint(path, {"v": np.array([1.0])}, {"n": 1})
    write_checkpoint(path, {"v": np.array([2.0])}, {"n": 2})
    assert read_checkpoint(path)[1]["n"] == 2
    assert read_checkpoint(tmp_path / "x.chainrule.prev")[1]["n"] == 1
    assert sorted(os.listdir(tmp_path)) == ["x.chainrule", "x.chainrule.prev"]


def test_crash_mid_write_leaves_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "x.chainrule"
    write_checkpoint(path, {"v": np.array([1.0])}, {"n": 1})
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(CheckpointError, match="disk full"):
        write_checkpoint(path, {"v": np.array([2.0])}, {"n": 2})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["x.chainrule"]  # no temporary file left behind


def test_interrupt_mid_write_leaves_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "x.chainrule"
    write_checkpoint(path, {"v": np.array([1.0])}, {"n": 1})

    def half_then_crash(fh, array, **kwargs):
        fh.write(b"\x93NUMPY half an array")
        raise KeyboardInterrupt

    monkeypatch.setattr(np.lib.format, "write_array", half_then_crash)
    with pytest.raises(KeyboardInterrupt):
        write_checkpoint(path, {"v": np.array([2.0])}, {"n": 2})
    monkeypatch.undo()
    assert read_checkpoint(path)[1]["n"] == 1
    assert os.listdir(tmp_path) == ["x.chainrule"]


@pytest.mark.parametrize("keep", [0, 100, 0.5, 0.9])
def test_truncated_checkpoint_is_named(tmp_path, keep):
    path = write_checkpoint(tmp_path / "x.chainrule", ARRAYS, {})
    data = path.read_bytes()
    path.write_bytes(data[: int(keep * len(data)) if isinstance(keep, float) else keep])
    with pytest.raises(CheckpointError, match=r"x\.chainrule.*truncated"):
        read_checkpoint(path)


def _rewrite_member(path: Path, name: str, transform) -> None:
    """Rewrite one member; a new manifest gets its matching SHA-256."""
    found = members(path.read_bytes())
    found[name] = transform(found[name])
    if name == "manifest.json":
        sign_manifest(found)
    path.write_bytes(archive(found))


def test_flipped_byte_is_caught_by_the_zip_crc(tmp_path):
    path = write_checkpoint(tmp_path / "x.chainrule", ARRAYS, {})
    data = bytearray(path.read_bytes())
    at = data.index(np.arange(6, dtype=np.float32).tobytes())
    data[at + 5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"x\.chainrule"):
        read_checkpoint(path)


def test_corrupted_array_is_caught_by_its_sha256(tmp_path):
    # rewrite a.npy with consistent zip CRCs but other values: only the hash sees it
    path = write_checkpoint(tmp_path / "x.chainrule", ARRAYS, {})

    def change(npy: bytes) -> bytes:
        buf = io.BytesIO()
        np.save(buf, ARRAYS["a"] + 1)
        return buf.getvalue()

    _rewrite_member(path, "a.npy", change)
    with pytest.raises(CheckpointError, match=r"x\.chainrule: array 'a' is corrupted \(SHA-256"):
        read_checkpoint(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: {**m, "format_version": 99}, "format version 99 is not supported"),
        (lambda m: {**m, "format": "other"}, "does not describe a chainrule-checkpoint"),
        (
            lambda m: {**m, "arrays": {**m["arrays"], "a": {**m["arrays"]["a"], "shape": [3, 2]}}},
            r"array 'a' has shape \(2, 3\), manifest says \(3, 2\)",
        ),
        (
            lambda m: {**m, "arrays": {**m["arrays"], "a": {**m["arrays"]["a"], "dtype": "<f8"}}},
            "array 'a' has dtype <f4, manifest says <f8",
        ),
        (
            lambda m: {**m, "arrays": {"a": m["arrays"]["a"]}},
            r"unexpected \['b'\]",
        ),
    ],
)
def test_manifest_mismatches_are_named(tmp_path, edit, message):
    path = write_checkpoint(tmp_path / "x.chainrule", ARRAYS, {})
    _rewrite_member(path, "manifest.json", lambda b: json.dumps(edit(json.loads(b))).encode())
    with pytest.raises(CheckpointError, match=message):
        read_checkpoint(path)


def test_garbage_manifest_and_missing_file(tmp_path):
    path = write_checkpoint(tmp_path / "x.chainrule", ARRAYS, {})
    _rewrite_member(path, "manifest.json", lambda b: b"{not json")
    with pytest.raises(CheckpointError, match=r"manifest\.json is not valid JSON"):
        read_checkpoint(path)
    with pytest.raises(CheckpointError, match="does not exist"):
        read_checkpoint(tmp_path / "missing.chainrule")
    (tmp_path / "plain.txt").write_text("hello")
    with pytest.raises(CheckpointError, match=r"plain\.txt"):
        read_checkpoint(tmp_path / "plain.txt")


def test_object_arrays_and_bad_names_are_refused(tmp_path):
    with pytest.raises(CheckpointError, match="no pickled objects"):
        write_checkpoint(tmp_path / "x.chainrule", {"o": np.array([{}], dtype=object)}, {})
    with pytest.raises(CheckpointError, match="names use letters"):
        write_checkpoint(tmp_path / "x.chainrule", {"../evil": np.zeros(1)}, {})
    assert not list(tmp_path.iterdir())


def test_save_load_model_optimizer_and_extra(tmp_path):
    model, opt, loss = _trained()
    stats = {"type": "Standardizer", "mean": [0.5] * 4, "scale": [2.0] * 4}
    rng = np.random.default_rng(7)
    rng.normal()
    path = cr.save(
        model,
        tmp_path / "m.chainrule",
        opt,
        loss=loss,
        epoch=3,
        preprocessing=stats,
        rng_state=rng.bit_generator.state,
        mask=np.array([True, False]),
    )
    ck = cr.load(path)
    assert ck.model.spec() == model.spec() and ck.model.dtype == np.float32
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(dict(ck.model.named_parameters())[name].value, p.value)
    assert ck.loss.spec() == loss.spec()
    assert ck.extra["epoch"] == 3 and ck.extra["preprocessing"] == stats
    np.testing.assert_array_equal(ck.extra["mask"], [True, False])
    again = np.random.default_rng(0)
    again.bit_generator.state = ck.extra["rng_state"]
    assert again.normal() == rng.normal()
    opt2 = ck.make_optimizer()
    assert opt2.t == 3 and opt2.state_dict()["hyper"] == opt.state_dict()["hyper"]
    for b, per in opt.state_dict()["buffers"].items():
        for k, v in per.items():
            np.testing.assert_array_equal(opt2.buffers[b][k], v)


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    model, opt, _ = _trained()
    path = cr.save(model, tmp_path / "m.chainrule", opt)

    # tamper: the manifest says 6 hidden units, the arrays hold 5 (hashes still match)
    def widen(b):
        m = json.loads(b)
        m["model"]["spec"][0]["d_out"] = 6
        m["model"]["spec"][2]["d_in"] = 6
        return json.dumps(m).encode()

    _rewrite_member(path, "manifest.json", widen)
    with pytest.raises(CheckpointError, match=r"array 'W1' has shape \(5, 4\).*needs \(6, 4\)"):
        cr.load(path)


def test_loading_a_non_model_checkpoint_says_so(tmp_path):
    path = write_checkpoint(tmp_path / "r.chainrule", ARRAYS, {"kind": "rbm"})
    with pytest.raises(CheckpointError, match="holds 'rbm' data, not a chainrule model"):
        cr.load(path)
