"""Spreadsheet cells that no program will run as a formula (CSV/formula injection, OWASP)."""

from __future__ import annotations

from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_text(value: Any) -> Any:
    """Text that starts like a formula gets a leading apostrophe; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def write_row(sheet: Any, values: list[Any]) -> None:
    """Append a row to an openpyxl sheet with every string cell stored as plain text."""
    sheet.append([safe_text(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
