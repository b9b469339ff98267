"""Spreadsheet cells that no program will run as a formula (CSV/formula injection, OWASP)."""

from __future__ import annotations

import re
from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Characters XML 1.0 (so xlsx) cannot hold; shown as \xNN text instead of crashing the writer.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def safe_text(value: Any) -> Any:
    """Text that starts like a formula gets a leading apostrophe, control characters are written out
    as visible \\xNN; other values pass unchanged."""
    if not isinstance(value, str):
        return value
    value = _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return "'" + value if value.startswith(_TRIGGERS) else value


def same_text(written: str | None, original: str) -> bool:
    """Whether a cell read back holds `original` as safe_text wrote it (a clerk may also drop the apostrophe)."""
    return written in (original, safe_text(original))


def write_row(sheet: Any, values: list[Any]) -> None:
    """Append a row to an openpyxl sheet with every string cell stored as plain text."""
    sheet.append([safe_text(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
