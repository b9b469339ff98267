"""Readings of the workbooks made once in a parent process and reused, by content, in the processes it forks.

In a batch, every record's kernel reads the same detachment-wide workbooks again (the witnessed check that
they are the committed ones): 0.3 s of CPU per record for the demo's 5,000 units, more for a larger
detachment. The kernel nursery (dsr.record.notebook) reads them once with `prime` before it forks any
kernel; `read_inputs` in a kernel then returns that reading when every file it is given has the same name
and the same bytes (SHA-256) as one primed, for the same detachment and date. A reading is a pure function
of these (names, bytes, detachment, date), so what the kernel gets is what reading the files again would
give; any other call — a changed byte, another file, another date, a process nothing was primed in — reads
the files as usual. Nothing is written anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_READINGS: dict[tuple, Any] = {}  # (files, detachment, date) → CheckedInputs


def _files(paths: Sequence[Path | str]) -> tuple[tuple[str, str], ...] | None:
    """(name, SHA-256 of the bytes) of every path, in order; None if one cannot be read."""
    out = []
    for path in paths:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        out.append((path.name, hashlib.sha256(data).hexdigest()))
    return tuple(out)


def recall(paths: Sequence[Path | str], detachment: Any, on: dt.date) -> Any | None:
    """The primed reading of exactly these files' bytes, detachment and date, or None (read them)."""
    if not _READINGS:
        return None
    files = _files(paths)
    if files is None:
        return None
    try:
        return _READINGS.get((files, detachment, on))
    except TypeError:  # an unhashable detachment-like object: nothing can be primed for it
        return None


def prime(paths: Sequence[Path | str], detachment: Any, on: dt.date) -> bool:
    """Read the files now (as read_inputs does) and keep the reading for `recall`; False if they do not read.

    The reading is kept under the name and SHA-256 of the bytes it was read from (its sources), and only if
    those are the files' bytes hashed before it: a file replaced in between is not primed.
    """
    from dsr.errors import DsrError
    from dsr.inputs.reader import read_inputs

    before = _files(paths)
    if before is None:
        return False
    try:
        reading = read_inputs(paths, detachment, on)
    except DsrError:
        return False
    if tuple((s.name, s.sha256) for s in reading.sources) != before:
        return False
    _READINGS[(before, detachment, on)] = reading
    return True


def forget() -> None:
    """Drop every primed reading (tests)."""
    _READINGS.clear()
