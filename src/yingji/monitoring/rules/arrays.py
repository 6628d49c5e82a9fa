"""Array helpers of the rule engine: per-sensor segments, forward fill, shifts, the checkpoint encoding of arrays
(pure numpy)."""

from __future__ import annotations

import base64
import operator
from typing import Any

import numpy as np
import numpy.typing as npt

EVENT_ORDER = operator.attrgetter("at", "raised", "rule", "sensor_id")  # clears before raises at a tie
NO_TIME = np.iinfo(np.int64).min  # "never": a sensor with no run / no reading yet
CHECKPOINT_VERSION = 1
FIXED_POINT = 1_000_000  # window sums are exact to 1e-6 of the sensor's unit

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# ---------------------------------------------------------------------------------- array helpers


def forward_fill(values: npt.NDArray[Any], marked: BoolArray) -> npt.NDArray[Any]:
    """Each position takes the value at the nearest marked position at or before it (first is marked)."""
    holes = np.flatnonzero(~marked)
    if not len(holes):
        return values
    if len(holes) * 4 > len(marked):
        index = np.where(marked, np.arange(len(marked)), 0)
        np.maximum.accumulate(index, out=index)
        return values[index]
    # few holes: each run of consecutive holes copies the marked value just before it
    source = holes - 1
    continues = np.empty(len(holes), np.bool_)
    continues[0] = False
    np.equal(holes[1:], holes[:-1] + 1, out=continues[1:])
    source[continues] = 0
    np.maximum.accumulate(source, out=source)
    out = values.copy()
    out[holes] = values[source]
    return out


def shift(values: npt.NDArray[Any], first: npt.NDArray[Any], starts: IntArray) -> npt.NDArray[Any]:
    """The previous row's value within each segment; ``first`` (one per segment) at its first row
    (``starts``: the first rows' positions)."""
    out = np.empty_like(values)
    out[1:] = values[:-1]
    out[starts] = first
    return out


def segment_starts(sensor: IntArray) -> BoolArray:
    starts = np.empty(len(sensor), dtype=np.bool_)
    if len(sensor):
        starts[0] = True
        np.not_equal(sensor[1:], sensor[:-1], out=starts[1:])
    return starts


def segment_ends(starts: BoolArray) -> BoolArray:
    ends = np.empty_like(starts)
    if len(starts):
        ends[:-1] = starts[1:]
        ends[-1] = True
    return ends


def ms_of(seconds: float) -> int:
    return round(seconds * 1000)


def encode(array: npt.NDArray[Any], raw: bool = False) -> Any:
    """An array as JSON-safe base64 (or, ``raw``, as a numpy copy for a binary snapshot file)."""
    if raw:
        return np.array(array, copy=True)
    data = np.ascontiguousarray(array)
    return {"dtype": data.dtype.str, "data": base64.b64encode(data.tobytes()).decode("ascii")}


def decode(spec: Any) -> npt.NDArray[Any]:
    if isinstance(spec, np.ndarray):
        return spec
    return np.frombuffer(base64.b64decode(spec["data"]), dtype=np.dtype(spec["dtype"])).copy()


def ranges(first: IntArray, length: IntArray) -> IntArray:
    """Concatenated ``arange(first[k], first[k] + length[k])`` for every k."""
    out: IntArray = np.arange(int(length.sum()), dtype=np.int64)
    out += np.repeat(first - (np.cumsum(length) - length), length)  # position k's first − its offset
    return out
