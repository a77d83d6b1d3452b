"""Unpickling a CIFAR-10 python batch without letting the pickle reach raw memory.

A pickle names the functions that rebuild its objects, and NumPy's own rebuilders trust
what they are given: ``numpy.ndarray((1,), dtype("O"), b"AAAAAAAA")`` is an array of
object pointers read from attacker bytes, and touching it crashes the interpreter. So no
NumPy function is ever handed to the pickle. :class:`RestrictedUnpickler` resolves the five
globals that the official batches use to *stand-ins* that only record their arguments:

================================  ===============================================
global                            stand-in
================================  ===============================================
``numpy.dtype``                   accepts ``("u1", False, True)`` and the uint8 state
``numpy.core.multiarray._reconstruct``  an empty array waiting for its state
``numpy.ndarray``                 a marker that can only be passed to the above
``numpy.core.numeric._frombuffer``  protocol 5: bytes, uint8, a shape, order ``"C"``
``_codecs.encode``                protocol 2 from Python 3: ``(str, "latin1")`` -> bytes
================================  ===============================================

(``numpy._core`` as well as ``numpy.core``, for pickles written by NumPy 2.) The only
array ever built is ``np.frombuffer(raw, np.uint8).reshape(shape)`` after checking that
``raw`` holds exactly ``prod(shape)`` bytes. :func:`check_batch` then checks the type,
dtype and shape of every value of the dict before anything uses it.
"""

from __future__ import annotations

import io
import math
import pickle
import pickletools
from typing import Any

import numpy as np

from chainrule.errors import DataError

__all__ = ["RestrictedUnpickler", "check_batch", "unpickle_batch"]

# The dtype state NumPy pickles for uint8 (version 3, byte order '|', no names or fields,
# elsize/alignment -1 meaning "from the type", no flags).
_UINT8_STATE = (3, "|", None, None, None, -1, -1, 0)
_IMAGE_VALUES = 32 * 32 * 3
_KEYS = ("batch_label", "labels", "data", "filenames")


def _text(value: Any) -> Any:
    # Python 2's str loads as bytes (encoding="bytes"); Python 3's as str.
    return value.decode("latin-1") if isinstance(value, bytes) else value


class _Refused(DataError):
    """Raised inside the unpickler; read_cifar_python adds the file name."""


class _Marker:
    """``numpy.ndarray`` as the pickle sees it: it can be named, never called."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise _Refused("the pickle calls numpy.ndarray directly, which no CIFAR batch does")


_NDARRAY = _Marker()


class _Uint8:
    """``numpy.dtype("u1", False, True)`` and its state; any other dtype is refused."""

    __slots__ = ("complete",)

    def __init__(self, code: Any = None, align: Any = False, copy: Any = True) -> None:
        if _text(code) != "u1" or align not in (0, False) or copy not in (1, True):
            raise _Refused(f"the pickle asks for dtype {code!r}; a CIFAR batch holds only uint8")
        self.complete = False

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, tuple) or tuple(_text(v) for v in state) != _UINT8_STATE:
            raise _Refused(f"the pickle gives uint8 the dtype state {state!r}")
        self.complete = True


def _shape(shape: Any) -> tuple[int, int]:
    if (
        not isinstance(shape, tuple)
        or len(shape) != 2
        or not all(type(s) is int and s >= 0 for s in shape)
    ):
        raise _Refused(f"the array's shape {shape!r} is not (n, {_IMAGE_VALUES})")
    return shape


def _uint8_array(raw: Any, dtype: Any, shape: Any) -> np.ndarray:
    """The one array a batch may hold, built only after every argument is checked."""
    if not isinstance(dtype, _Uint8) or not dtype.complete:
        raise _Refused("the array's dtype is not a finished uint8 dtype")
    shape = _shape(shape)
    if not isinstance(raw, (bytes, bytearray)):
        raise _Refused(f"the array's data is {type(raw).__name__}, expected bytes")
    if len(raw) != math.prod(shape):
        raise _Refused(f"the array's shape {shape} needs {math.prod(shape)} bytes, got {len(raw)}")
    return np.frombuffer(bytes(raw), dtype=np.uint8).reshape(shape)


class _PendingArray:
    """What ``_reconstruct(ndarray, (0,), b"b")`` returns; the BUILD opcode fills it in."""

    __slots__ = ("array",)

    def __init__(self, kind: Any = None, shape: Any = None, code: Any = None) -> None:
        if kind is not _NDARRAY or shape != (0,) or _text(code) != "b":
            raise _Refused("the pickle rebuilds an array in a way no CIFAR batch does")
        self.array: np.ndarray | None = None

    def __setstate__(self, state: Any) -> None:
        if self.array is not None:
            raise _Refused("the pickle sets an array's contents twice")
        if not isinstance(state, tuple) or len(state) != 5 or state[0] != 1:
            raise _Refused("the array's state is not (1, shape, dtype, fortran, data)")
        _, shape, dtype, fortran, raw = state
        if fortran not in (0, False):
            raise _Refused("the array is stored in Fortran order, which no CIFAR batch is")
        self.array = _uint8_array(raw, dtype, shape)


def _frombuffer(raw: Any, dtype: Any, shape: Any, order: Any = "C") -> np.ndarray:
    if _text(order) != "C":
        raise _Refused(f"the array has order {order!r}, expected 'C'")
    return _uint8_array(raw, dtype, shape)


def _encode(text: Any, encoding: Any = "utf-8") -> bytes:
    # Python 3 writes bytes at protocol 2 as _codecs.encode(str, "latin1").
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _Refused(
            f"the pickle calls _codecs.encode with ({type(text).__name__}, {encoding!r})"
        )
    return text.encode("latin-1")


_STAND_INS: dict[tuple[str, str], Any] = {
    ("numpy", "dtype"): _Uint8,
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy.core.multiarray", "_reconstruct"): _PendingArray,
    ("numpy._core.multiarray", "_reconstruct"): _PendingArray,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("_codecs", "encode"): _encode,
}


class _Bounded(io.BytesIO):
    """The pickle's bytes; a read past their end fails before allocating for it.

    (The unpickler allocates a declared string length first, then reads into it: a
    flipped length byte would ask for gigabytes.)
    """

    def __init__(self, raw: bytes) -> None:
        super().__init__(raw)
        self.size = len(raw)

    def _check(self, n: int) -> None:
        left = self.size - self.tell()
        if n > left:
            raise _Refused(f"a string of {n} bytes is declared, but only {left} bytes are left")

    def read(self, n: int | None = -1) -> bytes:
        if n is not None and n > 0:
            self._check(n)
        return super().read(n)

    def readinto(self, buffer: Any) -> int:
        self._check(len(memoryview(buffer)))
        return super().readinto(buffer)


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the stand-ins above; any other global is refused.

    ``RestrictedUnpickler(file, where="CIFAR-10 file data_batch_1").load()`` returns plain
    dicts, lists, ints, bytes and at most uint8 arrays built by ``np.frombuffer``.
    """

    def __init__(self, file: io.BufferedIOBase, *, where: str) -> None:
        # CIFAR's batches were written by Python 2: its byte strings load as bytes.
        super().__init__(file, encoding="bytes")
        self.where = where

    def find_class(self, module: str, name: str) -> Any:
        stand_in = _STAND_INS.get((module, name))
        if stand_in is None:
            raise DataError(
                f"{self.where}: refused to load the global {module}.{name}; a CIFAR-10 python "
                "batch holds only a uint8 array, lists and strings, so this file is not one "
                "(and unpickling it could run code)"
            )
        return stand_in

    def persistent_load(self, pid: Any) -> Any:
        raise DataError(f"{self.where}: refused a persistent object reference in the pickle")


def _check_memo(raw: bytes) -> None:
    """Refuse memo indices beyond the number of opcodes before any is run.

    The unpickler grows its memo table to the largest index it is given (a flipped
    ``LONG_BINPUT`` byte asks for gigabytes of zeros); a real pickle numbers its memo
    entries from 0 as it goes, so an index can never exceed the opcodes seen so far.
    """
    for count, (op, arg, _) in enumerate(pickletools.genops(raw)):
        if "PUT" in op.name or "GET" in op.name:
            index = int(arg)
            if not 0 <= index <= count:
                raise _Refused(f"opcode {op.name} {index} refers past the {count} objects so far")


def unpickle_batch(raw: bytes, where: str) -> dict[str, Any]:
    """Unpickle and check a python batch: ``{"data": uint8 (n, 3072), "labels": [int]}``."""
    try:
        _check_memo(raw)
        obj = RestrictedUnpickler(_Bounded(raw), where=where).load()
    except _Refused as exc:
        raise DataError(f"{where}: not a CIFAR-10 python batch: {exc}") from None
    except DataError:
        raise
    except Exception as exc:  # a damaged pickle fails in many ways; all mean the same here
        raise DataError(
            f"{where}: not a readable python batch ({type(exc).__name__}: {exc})"
        ) from None
    return check_batch(obj, where)


def _check_list(value: Any, key: str, kinds: tuple[type, ...], where: str) -> list[Any]:
    if not isinstance(value, list):
        raise DataError(f"{where}: expected {key!r} to be a list, found {type(value).__name__}")
    for i, item in enumerate(value):
        if type(item) not in kinds:
            raise DataError(
                f"{where}: {key!r} item {i} is {type(item).__name__}, expected "
                f"{' or '.join(k.__name__ for k in kinds)}"
            )
    return value


def _check_labels(labels: Any, where: str) -> list[int]:
    for i, v in enumerate(_check_list(labels, "labels", (int,), where)):
        if not 0 <= v <= 9:
            shown = v if abs(v) < 10**12 else f"of {v.bit_length()} bits"
            raise DataError(
                f"{where}: example {i}: label {shown} is outside the classes 0..9; the file is "
                "corrupt or not a CIFAR-10 batch"
            )
    return labels


def _check_data(data: Any, where: str) -> np.ndarray:
    if isinstance(data, _PendingArray):
        data = data.array
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
        raise DataError(f"{where}: expected 'data' to be a uint8 array of shape (n, 3072)")
    if data.shape[1] != _IMAGE_VALUES:
        raise DataError(f"{where}: 'data' has shape {data.shape}, expected (n, 3072)")
    return data


def check_batch(obj: Any, where: str) -> dict[str, Any]:
    """Check every key and value of an unpickled batch; keys come back as str."""
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected a pickled dict, found {type(obj).__name__}")
    batch: dict[str, Any] = {}
    for key, value in obj.items():
        name = _text(key)
        if type(name) is not str or name not in _KEYS:
            raise DataError(
                f"{where}: unexpected key {key!r}; a CIFAR-10 batch has {', '.join(_KEYS)}"
            )
        batch[name] = value
    data = _check_data(batch.get("data"), where)
    if "labels" not in batch:
        raise DataError(f"{where}: the batch has no 'labels'")
    labels = _check_labels(batch["labels"], where)
    if len(labels) != data.shape[0]:
        raise DataError(f"{where}: {data.shape[0]} images but {len(labels)} labels")
    if "batch_label" in batch and type(batch["batch_label"]) not in (bytes, str):
        raise DataError(f"{where}: 'batch_label' is {type(batch['batch_label']).__name__}")
    if "filenames" in batch:
        names = _check_list(batch["filenames"], "filenames", (bytes, str), where)
        if len(names) != len(labels):
            raise DataError(f"{where}: {len(names)} file names for {len(labels)} images")
    return {**batch, "data": data, "labels": labels}
