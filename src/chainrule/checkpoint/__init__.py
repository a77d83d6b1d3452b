"""Safe checkpoints: arrays without pickle, a JSON manifest with its digest, atomic writes.

On-disk layout
--------------
A checkpoint is **one file** (by convention ``*.chainrule``): an uncompressed ``.npz``
(a ZIP archive, ``ZIP_STORED``) with one ``<name>.npy`` member per array, which
``np.load(path, allow_pickle=False)`` reads as it reads any ``.npz``, plus two more members,

``manifest.json``
    UTF-8 JSON: ``format`` (``"chainrule-checkpoint"``), ``format_version`` (2), ``kind``
    (``"model"`` for :func:`save`, anything for other writers), the caller's metadata, and
    ``arrays``: for each array its ``shape``, ``dtype`` (NumPy ``dtype.str``, e.g. ``"<f4"``)
    and ``sha256`` (of its C-order bytes).
``manifest.sha256``
    The hex SHA-256 of ``manifest.json``'s bytes, so that an edited or damaged manifest
    is refused (version 1 files, written before this member existed, are still read).

One file rather than a directory, so that a single :func:`os.replace` swaps an old
checkpoint for a new one atomically; a directory cannot be renamed over a non-empty one.
Writing (:mod:`~chainrule.checkpoint.write`) goes to a temporary file beside the
destination, fsynced and renamed over it; the replaced checkpoint is kept as ``<path>.prev``.

Reading (:mod:`~chainrule.checkpoint.read`) validates everything before returning anything,
in this order: a regular file (not a FIFO, device or symlink loop); a ZIP directory
without repeated names, compression or encryption, whose sizes fit the file; the manifest
and its digest; the manifest's schema (:mod:`~chainrule.checkpoint.schema`: types, allowed
keys, and for a model the shape of every weight for its architecture); each array's
``.npy`` header against the manifest (:mod:`~chainrule.checkpoint.archive`) before its
data is read; each array's SHA-256. Every problem raises a
:class:`~chainrule.errors.CheckpointError` that names the file and what was wrong.

:func:`write_checkpoint` and :func:`read_checkpoint` are the low-level pair (any arrays, any
JSON manifest); :func:`save` and :func:`load` store a model with its loss, optimizer, random
generator state, epoch and preprocessing statistics on top of them.
"""

from __future__ import annotations

from chainrule.checkpoint.model import Checkpoint, load, save
from chainrule.checkpoint.read import read_checkpoint
from chainrule.checkpoint.schema import FORMAT, FORMAT_VERSION
from chainrule.checkpoint.write import write_checkpoint

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Checkpoint",
    "load",
    "read_checkpoint",
    "save",
    "write_checkpoint",
]
