"""Canonical JSON: the one byte encoding that is hashed, signed and published.

Rules (docs/ALGORITHM.md §1): UTF-8, object keys sorted by their UTF-16 code units as in
RFC 8785 (identical to code-point order for the BMP text dsr uses), no insignificant
whitespace, no floats (Decimal is written as a JSON string in plain notation, dates as
ISO 8601 strings), non-ASCII written as itself, not escaped.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import fields, is_dataclass
from decimal import Decimal
from enum import Enum
from typing import Any


def to_plain(value: Any) -> Any:
    """Turn dataclasses, tuples, Decimals and dates into JSON-ready builtins."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        raise TypeError("floats are not allowed in canonical JSON; use Decimal or int")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return to_plain(value.value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"canonical JSON keys must be str, got {type(k).__name__}")
            out[k] = to_plain(v)
        return out
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        raise TypeError("sets have no canonical order; sort them into a tuple first")
    raise TypeError(f"cannot encode {type(value).__name__} canonically")


def _sort_key(key: str) -> list[int]:
    return list(key.encode("utf-16-be"))


def _dump(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=_sort_key)):
            if i:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _dump(value[key], out)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _dump(item, out)
        out.append("]")
    else:
        out.append(json.dumps(value, ensure_ascii=False))


def canonical_bytes(value: Any) -> bytes:
    """The canonical UTF-8 JSON encoding of a value."""
    out: list[str] = []
    _dump(to_plain(value), out)
    return "".join(out).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256."""
    return hashlib.sha256(data).hexdigest()


def canonical_hash(value: Any) -> str:
    """SHA-256 (hex) of the canonical encoding."""
    return sha256_hex(canonical_bytes(value))
