"""Safe checkpoints: arrays without pickle, a JSON manifest, atomic writes.

On-disk layout
--------------
A checkpoint is **one file** (by convention ``*.chainrule``): an uncompressed ``.npz``
(a ZIP archive, ``ZIP_STORED``) with one ``<name>.npy`` member per array, which
``np.load(path, allow_pickle=False)`` reads as it reads any ``.npz``, plus one more member,

``manifest.json``
    UTF-8 JSON: ``format`` (``"chainrule-checkpoint"``), ``format_version``, ``kind``
    (``"model"`` for :func:`save`, anything for other writers), the caller's metadata, and
    ``arrays``: for each array its ``shape``, ``dtype`` (NumPy ``dtype.str``, e.g. ``"<f4"``)
    and ``sha256`` (of its C-order bytes).

One file rather than a directory, so that a single :func:`os.replace` swaps an old
checkpoint for a new one atomically; a directory cannot be renamed over a non-empty one.

Writing goes to a temporary file in the destination's directory, which is flushed, fsynced,
and renamed over the destination with :func:`os.replace`; the directory is then fsynced.
The checkpoint it replaces is kept as ``<path>.prev``. A crash at any point leaves either
the old or the new checkpoint at ``path``, never a half-written one.

Reading validates everything before returning anything: the archive structure, the
manifest, each array's name, shape, dtype and SHA-256. Every problem raises a
:class:`~chainrule.errors.CheckpointError` that names the file and what was wrong.

:func:`write_checkpoint` and :func:`read_checkpoint` are the low-level pair (any arrays, any
JSON manifest); :func:`save` and :func:`load` store a model with its loss, optimizer, random
generator state, epoch and preprocessing statistics on top of them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.errors import CheckpointError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Checkpoint",
    "load",
    "read_checkpoint",
    "save",
    "write_checkpoint",
]

FORMAT = "chainrule-checkpoint"
FORMAT_VERSION = 1
_MANIFEST = "manifest.json"
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
# Kinds np.savez/np.load round-trip without pickle: bool, integers, floats, complex.
_ALLOWED_KINDS = frozenset("biufc")


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _describe(array: np.ndarray) -> dict[str, Any]:
    return {"shape": list(array.shape), "dtype": array.dtype.str, "sha256": _sha256(array)}


def _check_arrays_to_write(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise CheckpointError(
                f"cannot write array named {name!r}: names use letters, digits, '_', '.', '-'"
            )
        array = np.asarray(value)
        if array.dtype.kind not in _ALLOWED_KINDS:
            raise CheckpointError(
                f"cannot write array {name!r} of dtype {array.dtype}: only bool, integer, "
                "float and complex arrays are stored (no pickled objects)"
            )
        out[name] = array
    return out


def write_checkpoint(
    path: str | os.PathLike[str],
    arrays: Mapping[str, np.ndarray],
    manifest: Mapping[str, Any],
) -> Path:
    """Write ``arrays`` and a JSON ``manifest`` atomically to one checkpoint file.

    Parameters
    ----------
    path : str or PathLike
        Destination. An existing file there is kept as ``<path>.prev``.
    arrays : mapping of str to ndarray
        Any shapes; dtypes bool, integer, float or complex. Names use letters, digits,
        ``_``, ``.`` and ``-`` (e.g. ``"model.W1"``).
    manifest : mapping
        JSON-serialisable metadata. The keys ``format``, ``format_version`` and ``arrays``
        are set by this function (``kind`` defaults to ``"arrays"``).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    CheckpointError
        A name or dtype that cannot be stored, a manifest that is not JSON, or an
        operating-system error while writing (the previous checkpoint is then untouched).
    """
    path = Path(path)
    checked = _check_arrays_to_write(arrays)
    full = {"kind": "arrays", **dict(manifest)}
    full["format"] = FORMAT
    full["format_version"] = FORMAT_VERSION
    full["arrays"] = {name: _describe(a) for name, a in checked.items()}
    try:
        manifest_bytes = json.dumps(full, indent=1, sort_keys=True, allow_nan=False).encode()
    except (TypeError, ValueError) as err:
        raise CheckpointError(
            f"cannot write checkpoint {path}: manifest is not JSON: {err}"
        ) from err

    directory = path.parent if str(path.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as err:
        raise CheckpointError(f"cannot write checkpoint {path}: {err}") from err
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
                zf.writestr(_MANIFEST, manifest_bytes)
                for name, array in checked.items():
                    with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                        np.lib.format.write_array(member, array, allow_pickle=False)
            fh.flush()
            os.fsync(fh.fileno())
        _keep_previous(path)
        os.replace(tmp, path)
        _fsync_directory(directory)
    except BaseException as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(err, OSError):
            raise CheckpointError(f"cannot write checkpoint {path}: {err}") from err
        raise
    return path


def _keep_previous(path: Path) -> None:
    """Make ``<path>.prev`` a copy of the current checkpoint while ``path`` stays in place."""
    if not path.is_file():
        return
    prev = path.with_name(path.name + ".prev")
    staging = path.with_name(f".{path.name}.prev.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):
        staging.unlink()
    try:
        os.link(path, staging)
    except OSError:
        # File systems without hard links: a copy, fsynced, does the same job.
        with open(path, "rb") as src, open(staging, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
    os.replace(staging, prev)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def read_checkpoint(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read and fully validate a checkpoint written by :func:`write_checkpoint`.

    Parameters
    ----------
    path : str or PathLike
        The checkpoint file.

    Returns
    -------
    arrays : dict of str to ndarray
        Every array, with the shape, dtype and SHA-256 the manifest promises.
    manifest : dict
        The JSON manifest, including ``format_version`` and ``arrays``.

    Raises
    ------
    CheckpointError
        Missing file, not a checkpoint, truncated archive, unreadable or unknown-version
        manifest, a missing or unexpected array, or a shape, dtype or hash mismatch.
    """
    path = Path(path)
    if not path.exists():
        prev = path.with_name(path.name + ".prev")
        hint = f" (a previous checkpoint exists: {prev})" if prev.is_file() else ""
        raise CheckpointError(f"checkpoint {path} does not exist{hint}")
    if path.is_dir():
        raise CheckpointError(f"checkpoint {path} is a directory, expected a .chainrule file")
    try:
        with zipfile.ZipFile(path, "r") as zf:
            names = zf.namelist()
            if _MANIFEST not in names:
                raise CheckpointError(
                    f"checkpoint {path} has no {_MANIFEST}: not a chainrule checkpoint "
                    f"(members {names[:5]})"
                )
            manifest = _parse_manifest(path, zf.read(_MANIFEST))
            expected = manifest["arrays"]
            found = sorted(n[: -len(".npy")] for n in names if n.endswith(".npy"))
            others = sorted(n for n in names if n != _MANIFEST and not n.endswith(".npy"))
            if found != sorted(expected) or others:
                missing = sorted(set(expected) - set(found))
                extra = sorted(set(found) - set(expected)) + others
                raise CheckpointError(
                    f"checkpoint {path}: arrays do not match the manifest "
                    f"(missing {missing or 'none'}, unexpected {extra or 'none'})"
                )
            arrays = {name: _read_array(path, zf, name) for name in expected}
    except CheckpointError:
        raise
    except zipfile.BadZipFile as err:
        size = path.stat().st_size
        raise CheckpointError(
            f"checkpoint {path} ({size} bytes) is truncated or not a chainrule checkpoint: {err}"
        ) from err
    except (OSError, EOFError, ValueError) as err:
        raise CheckpointError(f"checkpoint {path} cannot be read: {err}") from err
    _validate_arrays(path, arrays, expected)
    return arrays, manifest


def _read_array(path: Path, zf: zipfile.ZipFile, name: str) -> np.ndarray:
    try:
        with zf.open(f"{name}.npy") as member:
            return np.lib.format.read_array(member, allow_pickle=False)
    except zipfile.BadZipFile as err:
        # zipfile checks each member's CRC-32 as it reads: a flipped byte ends here
        raise CheckpointError(f"checkpoint {path}: array {name!r} is corrupted: {err}") from err
    except ValueError as err:
        # "Object arrays cannot be loaded when allow_pickle=False", a bad .npy header
        raise CheckpointError(f"checkpoint {path}: array {name!r} is unreadable: {err}") from err
    except (OSError, EOFError) as err:
        raise CheckpointError(f"checkpoint {path}: array {name!r} is truncated: {err}") from err


def _parse_manifest(path: Path, data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"checkpoint {path}: {_MANIFEST} is not valid JSON: {err}") from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {path}: {_MANIFEST} does not describe a {FORMAT}")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {path}: format version {version!r} is not supported "
            f"(this chainrule reads version {FORMAT_VERSION})"
        )
    if not isinstance(manifest.get("arrays"), dict):
        raise CheckpointError(f"checkpoint {path}: {_MANIFEST} has no 'arrays' table")
    return manifest


def _validate_arrays(
    path: Path, arrays: Mapping[str, np.ndarray], expected: Mapping[str, Any]
) -> None:
    for name, info in expected.items():
        array = arrays[name]
        try:
            shape, dtype, digest = tuple(info["shape"]), info["dtype"], info["sha256"]
        except (KeyError, TypeError) as err:
            raise CheckpointError(
                f"checkpoint {path}: manifest entry of array {name!r} is malformed"
            ) from err
        if array.shape != shape:
            raise CheckpointError(
                f"checkpoint {path}: array {name!r} has shape {array.shape}, manifest says {shape}"
            )
        if array.dtype.str != dtype:
            raise CheckpointError(
                f"checkpoint {path}: array {name!r} has dtype {array.dtype.str}, "
                f"manifest says {dtype}"
            )
        if _sha256(array) != digest:
            raise CheckpointError(
                f"checkpoint {path}: array {name!r} is corrupted (SHA-256 mismatch)"
            )


# --------------------------------------------------------------------------------------
# High level: a model, its loss, optimizer and training position.


@dataclass
class Checkpoint:
    """What :func:`load` returns.

    Attributes
    ----------
    path : pathlib.Path
        The file read.
    model : Sequential
        The model rebuilt from its spec with the stored weights.
    loss : Loss or None
        The loss rebuilt from its spec, when one was saved.
    optimizer : dict or None
        ``{"name", "hyper", "step", "lr", "buffers"}`` as :meth:`Optimizer.state_dict` gives;
        pass it to :meth:`Optimizer.load_state_dict` or use :meth:`make_optimizer`.
    extra : dict
        Everything else given to :func:`save` (epoch, position, rng state, preprocessing...).
    manifest : dict
        The raw manifest.
    """

    path: Path
    model: Any
    loss: Any = None
    optimizer: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        """One line: the file, the network, the loss, the optimizer and the epoch."""
        return f"Checkpoint({str(self.path)!r}, {'; '.join(self._facts())})"

    def _facts(self) -> list[str]:
        facts = [self.model.describe(), f"{self.model.dtype.name}"]
        if self.loss is not None:
            facts.append(f"loss {type(self.loss).__name__}")
        if self.optimizer is not None:
            name, step = self.optimizer.get("name"), self.optimizer.get("step")
            facts.append(f"optimizer {name} at step {step}")
        training = self.extra.get("training")
        if isinstance(training, dict) and "epoch" in training:
            facts.append(f"epoch {training['epoch']}")
        data = self.extra.get("data")
        if isinstance(data, dict) and data.get("name"):
            facts.append(f"data {data['name']}")
        return facts

    def _repr_html_(self) -> str:
        from chainrule.notebook import html_table

        rows = [list(r) for r in self.model.summary_rows()]
        footer = "; ".join(self._facts()[2:]) or None
        return html_table(
            ["layer", "output", "parameters", "count"],
            rows,
            caption=f"checkpoint {self.path}",
            footer=footer,
        )

    def make_optimizer(self, model: Any = None) -> Any:
        """Build the saved optimizer for ``model`` (default: :attr:`model`) with its state."""
        if self.optimizer is None:
            raise CheckpointError(f"checkpoint {self.path} holds no optimizer state")
        from chainrule.optim import optimizer_from_state

        return optimizer_from_state(self.model if model is None else model, self.optimizer)


def save(
    model: Any,
    path: str | os.PathLike[str],
    optimizer: Any = None,
    *,
    loss: Any = None,
    **extra: Any,
) -> Path:
    """Save ``model`` (spec and weights), optionally its optimizer and loss, atomically.

    Parameters
    ----------
    model : Sequential
        Anything with ``spec()``, ``state_dict()`` and ``dtype``.
    path : str or PathLike
        Destination file; the file it replaces is kept as ``<path>.prev``.
    optimizer : Optimizer, optional
        Its name, hyper-parameters, step count and per-parameter buffers are saved.
    loss : Loss, optional
        Its ``spec()`` is saved so that :func:`load` can rebuild it.
    **extra
        JSON-serialisable metadata (epoch, position, rng state, preprocessing statistics,
        history...). NumPy arrays given here are stored as arrays, not in the JSON.

    Returns
    -------
    pathlib.Path
    """
    arrays: dict[str, np.ndarray] = {}
    for name, value in model.state_dict().items():
        arrays[f"model.{name}"] = np.asarray(value)
    manifest: dict[str, Any] = {
        "kind": "model",
        "model": {"spec": model.spec(), "dtype": np.dtype(model.dtype).name},
        "loss": None if loss is None else loss.spec(),
        "optimizer": None,
    }
    if optimizer is not None:
        state = optimizer.state_dict()
        for buffer, per_param in state["buffers"].items():
            for pname, value in per_param.items():
                arrays[f"optimizer.{buffer}.{pname}"] = np.asarray(value)
        manifest["optimizer"] = {
            "name": state["name"],
            "hyper": state["hyper"],
            "step": state["step"],
            "lr": state["lr"],
            "buffers": {b: sorted(p) for b, p in state["buffers"].items()},
        }
    extra_json: dict[str, Any] = {}
    extra_arrays: list[str] = []
    for key, value in extra.items():
        if isinstance(value, np.ndarray):
            arrays[f"extra.{key}"] = value
            extra_arrays.append(key)
        else:
            extra_json[key] = value
    manifest["extra"] = extra_json
    manifest["extra_arrays"] = extra_arrays
    return write_checkpoint(path, arrays, manifest)


def load(path: str | os.PathLike[str], *, dtype: Any = None) -> Checkpoint:
    """Load a checkpoint written by :func:`save`, validating it before building anything.

    Parameters
    ----------
    path : str or PathLike
    dtype : numpy dtype, optional
        Build the model in this dtype instead of the saved one.

    Returns
    -------
    Checkpoint

    Raises
    ------
    CheckpointError
        For every problem: see :func:`read_checkpoint`, plus a manifest that does not
        describe a model, or weights that do not fit the architecture in the manifest.
    """
    path = Path(path)
    arrays, manifest = read_checkpoint(path)
    if manifest.get("kind") != "model" or not isinstance(manifest.get("model"), dict):
        raise CheckpointError(
            f"checkpoint {path} holds {manifest.get('kind')!r} data, not a chainrule model"
        )
    from chainrule.model import Sequential

    saved_dtype = manifest["model"].get("dtype", "float32")
    try:
        model = Sequential.from_spec(
            manifest["model"]["spec"], dtype=np.dtype(dtype or saved_dtype), seed=0
        )
    except Exception as err:
        raise CheckpointError(f"checkpoint {path}: its model spec is invalid: {err}") from err
    weights = {k[len("model.") :]: v for k, v in arrays.items() if k.startswith("model.")}
    for name, value in weights.items():
        if value.dtype != np.dtype(saved_dtype):
            raise CheckpointError(
                f"checkpoint {path}: weight {name!r} is {value.dtype}, the manifest says the "
                f"model is {saved_dtype}"
            )
    expected = {name: p.value for name, p in model.named_parameters()}
    _check_fits(path, "model", weights, expected)
    model.load_state_dict(weights)

    loss = None
    if manifest.get("loss") is not None:
        from chainrule.losses import loss_from_spec

        try:
            loss = loss_from_spec(manifest["loss"])
        except Exception as err:
            raise CheckpointError(f"checkpoint {path}: its loss spec is invalid: {err}") from err

    optimizer = None
    if manifest.get("optimizer") is not None:
        info = manifest["optimizer"]
        buffers: dict[str, dict[str, np.ndarray]] = {}
        for buffer, pnames in info.get("buffers", {}).items():
            per: dict[str, np.ndarray] = {}
            for pname in pnames:
                key = f"optimizer.{buffer}.{pname}"
                if key not in arrays:
                    raise CheckpointError(f"checkpoint {path}: optimizer array {key!r} missing")
                per[pname] = arrays[key]
            _check_fits(path, f"optimizer buffer {buffer!r}", per, expected)
            buffers[buffer] = per
        optimizer = {
            "name": info["name"],
            "hyper": info["hyper"],
            "step": info["step"],
            "lr": info.get("lr", info["hyper"].get("lr")),
            "buffers": buffers,
        }
    extra = dict(manifest.get("extra", {}))
    for key in manifest.get("extra_arrays", []):
        extra[key] = arrays[f"extra.{key}"]
    return Checkpoint(path, model, loss, optimizer, extra, manifest)


def _check_fits(
    path: Path, what: str, got: Mapping[str, np.ndarray], expected: Mapping[str, np.ndarray]
) -> None:
    unknown = sorted(set(got) - set(expected))
    if unknown:
        raise CheckpointError(
            f"checkpoint {path}: {what} has arrays {unknown} that the architecture "
            f"(parameters {sorted(expected)}) does not have"
        )
    if what == "model" and set(got) != set(expected):
        raise CheckpointError(
            f"checkpoint {path}: {what} lacks arrays {sorted(set(expected) - set(got))}"
        )
    for name, value in got.items():
        if value.shape != expected[name].shape:
            raise CheckpointError(
                f"checkpoint {path}: {what} array {name!r} has shape {value.shape}, the "
                f"architecture needs {expected[name].shape} (a checkpoint of another network?)"
            )
