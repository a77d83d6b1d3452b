"""Download MNIST, Fashion-MNIST and CIFAR-10 from their official addresses.

Every file is checked against a published SHA-256 before it is given its final name.
An interrupted download leaves ``NAME.part``; the next call resumes it with an HTTP
``Range`` request. The SHA-256 sums are those of the TensorFlow Datasets checksum files
(``tensorflow_datasets/url_checksums/{mnist,fashion_mnist}.txt`` and ``cifar10.csv``);
Keras' ``cifar10.py`` and Zalando's published MD5s agree with them.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from chainrule.atomic import atomic_write, replace_durably
from chainrule.errors import ChainruleError, ConfigError, DataError

__all__ = ["DATASETS", "MIRRORS", "download"]

DATASETS: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
        ),
        "train-labels-idx1-ubyte.gz": (
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
        ),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": (
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
        ),
        "train-labels-idx1-ubyte.gz": (
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"
        ),
    },
    "cifar10": {
        "cifar-10-binary.tar.gz": (
            "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
        ),
    },
}
# Tried in order; the checksum makes any of them as good as the original.
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    "cifar10": ("https://www.cs.toronto.edu/~kriz/",),
}
CIFAR_DIR = "cifar-10-batches-bin"
_CIFAR_MEMBERS = frozenset(
    f"{CIFAR_DIR}/{n}"
    for n in (
        *(f"data_batch_{i}.bin" for i in range(1, 6)),
        "test_batch.bin",
        "batches.meta.txt",
        "readme.html",
    )
)
_MAX_MEMBER_BYTES = 64 * 1024 * 1024
_CHUNK = 1 << 16


def download(
    name: str,
    dest: str | os.PathLike[str],
    *,
    base_url: str | Sequence[str] | None = None,
    checksums: Mapping[str, str] | None = None,
    progress: bool = True,
    timeout: float = 60.0,
    retries: int = 3,
) -> Path:
    """Download a data set into ``dest``, verified by SHA-256, resuming partial files.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist", "cifar10"}
    dest : path-like
        Directory for the files (created if needed). For CIFAR-10 the archive stays
        there and its binary batches are unpacked into ``dest/cifar-10-batches-bin``.
    base_url : str or sequence of str, optional
        Address(es) of a folder holding the files, tried in order; default: the
        official addresses and their known mirrors (:data:`MIRRORS`).
    checksums : mapping of str to str, optional
        SHA-256 hex digest for each file name, replacing :data:`DATASETS` ``[name]``.
    progress : bool
        Show a progress bar on stderr.
    timeout : float
        Seconds to wait for the server on each connection and read.
    retries : int
        Further attempts per address after a broken connection, each resuming.

    Returns
    -------
    Path
        ``dest``, ready for ``load(f"{name}:{dest}")``.

    Raises
    ------
    ConfigError
        Unknown data set name.
    DataError
        A file does not match its checksum (it is deleted), or a file already in
        ``dest`` differs from the published one.
    ChainruleError
        No address could deliver a file.
    """
    key = name.strip().lower()
    if key not in DATASETS:
        raise ConfigError(
            f"cannot download {name!r}; downloadable data sets are: {', '.join(DATASETS)}"
        )
    files = dict(checksums) if checksums is not None else DATASETS[key]
    if isinstance(base_url, str):
        bases: tuple[str, ...] = (base_url,)
    else:
        bases = tuple(base_url) if base_url is not None else MIRRORS[key]
    dest = Path(dest).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        bar = stack.enter_context(_progress_bar()) if progress else None
        for filename, sha256 in files.items():
            target = dest / filename
            if target.exists():
                if _sha256(target) != sha256.lower():
                    raise DataError(
                        f"{target} exists but its SHA-256 differs from the published one; "
                        "delete it and download again"
                    )
                continue
            urls = [b if b.endswith("/") else b + "/" for b in bases]
            _fetch([u + filename for u in urls], target, sha256.lower(), bar, timeout, retries)
    if key == "cifar10":
        _unpack_cifar(dest / "cifar-10-binary.tar.gz", dest)
    return dest


def _progress_bar() -> Any:
    # rich is only needed when a download shows progress.
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TransferSpeedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=Console(stderr=True),
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(
    urls: list[str], target: Path, sha256: str, bar: Any, timeout: float, retries: int
) -> None:
    part = target.with_name(target.name + ".part")
    task = bar.add_task(target.name, total=None) if bar is not None else None
    failures = []
    for url in urls:
        for attempt in range(retries + 1):
            try:
                complete = _get(url, part, bar, task, timeout)
            except urllib.error.HTTPError as exc:
                exc.close()
                failures.append(f"{url}: HTTP {exc.code} {exc.reason}")
                break  # the server answered; asking again will not change its mind
            except (OSError, http.client.HTTPException) as exc:
                failures.append(f"{url}: {type(exc).__name__}: {exc}")
                complete = False
            if complete:
                _verify_and_rename(part, target, sha256, url)
                return
            time.sleep(min(2.0, 0.05 * 2**attempt))
    shown = "\n  ".join(failures[-6:])
    raise ChainruleError(
        f"could not download {target.name} (a partial file, if any, is kept as {part.name} "
        f"and resumed next time); attempts:\n  {shown}"
    )


def _get(url: str, part: Path, bar: Any, task: Any, timeout: float) -> bool:
    """Fetch ``url`` into ``part``, resuming from its size; True when it is complete."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "chainrule"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            # Nothing after `offset`: the partial file is already whole (the checksum decides).
            exc.close()
            return True
        raise
    with response:
        total = None
        if response.status == 206 and offset:
            start, total = _content_range(response.headers.get("Content-Range", ""))
            if start != offset:
                raise http.client.HTTPException(
                    f"asked for bytes from {offset}, the server sent them from {start}"
                )
        else:
            offset = 0  # the server ignored the range: start again
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        if bar is not None:
            bar.update(task, total=total, completed=offset)
        with open(part, "ab" if offset else "wb") as out:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                if bar is not None:
                    bar.advance(task, len(chunk))
            out.flush()
            os.fsync(out.fileno())
    return total is None or part.stat().st_size == total


def _content_range(value: str) -> tuple[int, int | None]:
    # "bytes START-END/TOTAL" (TOTAL may be "*")
    try:
        unit, _, spec = value.partition(" ")
        span, _, size = spec.partition("/")
        start = int(span.split("-")[0])
        if unit != "bytes":
            raise ValueError(unit)
    except ValueError as exc:
        raise http.client.HTTPException(f"bad Content-Range header {value!r}") from exc
    return start, int(size) if size.isdigit() else None


def _verify_and_rename(part: Path, target: Path, sha256: str, url: str) -> None:
    actual = _sha256(part)
    if actual != sha256:
        part.unlink()
        raise DataError(
            f"the file downloaded from {url} has SHA-256 {actual}, but the published sum is "
            f"{sha256}; it was deleted. Try again later; if this repeats, the server is "
            "sending a different file"
        )
    replace_durably(part, target)


def _unpack_cifar(archive: Path, dest: Path) -> None:
    out_dir = dest / CIFAR_DIR
    wanted = {m for m in _CIFAR_MEMBERS if m.endswith(".bin")}
    if all((dest / m).is_file() for m in wanted):
        return
    out_dir.mkdir(exist_ok=True)
    found = set()
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                # Only the known regular files, written by name: no links, no paths that
                # could climb out of dest.
                if member.name not in _CIFAR_MEMBERS or not member.isfile():
                    continue
                if member.size > _MAX_MEMBER_BYTES:
                    raise DataError(f"{archive}: member {member.name} is {member.size} bytes")
                source = tar.extractfile(member)
                assert source is not None
                with source, atomic_write(dest / member.name) as out:
                    while block := source.read(1 << 20):
                        out.write(block)
                found.add(member.name)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DataError(f"{archive}: cannot unpack the archive ({exc})") from exc
    missing = sorted(wanted - found)
    if missing:
        raise DataError(f"{archive}: the archive lacks {', '.join(missing)}")
