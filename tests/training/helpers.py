"""Shared pieces of the training tests: a signal sent in the middle of a run, and the
members of a checkpoint archive read, edited and written back."""

from __future__ import annotations

import hashlib
import io
import json
import signal
import zipfile

import chainrule.progress as progress


def signal_after_first_step(monkeypatch, signum: int) -> None:
    """Raise ``signum`` in this process (as ``kill`` would deliver it) right after the
    first training step the progress display counts, once."""
    sent = []
    real_advance = progress.EpochProgress.advance

    def advance_then_signal(self, steps=1):
        real_advance(self, steps)
        if not sent:
            sent.append(1)
            signal.raise_signal(signum)

    monkeypatch.setattr(progress.EpochProgress, "advance", advance_then_signal)


def members(data: bytes) -> dict[str, bytes]:
    """Name -> bytes of every member of the archive ``data``."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def archive(found: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    """The archive holding ``found`` (name -> bytes), in that order."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in found.items():
            zf.writestr(name, data)
    return buf.getvalue()


def sign_manifest(found: dict[str, bytes]) -> None:
    """Give ``found["manifest.json"]`` its matching ``manifest.sha256``."""
    found["manifest.sha256"] = hashlib.sha256(found["manifest.json"]).hexdigest().encode()


def with_manifest(data: bytes, manifest: object, sign: bool = True) -> bytes:
    """The checkpoint ``data`` with ``manifest`` (bytes, or JSON data) in place of its own;
    signed unless ``sign=False`` (a consistent lie: only the schema and the array checks
    can see it)."""
    found = members(data)
    found["manifest.json"] = (
        manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    )
    if sign:
        sign_manifest(found)
    return archive(found)
