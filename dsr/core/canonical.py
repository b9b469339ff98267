"""Canonical JSON: the one byte encoding that is hashed, signed and published.

Rules (docs/ALGORITHM.md §1): UTF-8, object keys sorted by their UTF-16 code units as in
RFC 8785 (identical to code-point order for the BMP text dsr uses), no insignificant
whitespace, no floats (Decimal is a JSON string in plain notation without trailing zeros, dates
as ISO 8601 strings), non-ASCII written as itself, not escaped. from_plain is the inverse.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import MISSING, fields, is_dataclass
from decimal import Decimal
from enum import Enum
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints


def to_plain(value: Any) -> Any:
    """Turn dataclasses, tuples, Decimals and dates into JSON-ready builtins, objects' keys in canonical order."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        raise TypeError("floats are not allowed in canonical JSON; use Decimal or int")
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return to_plain(value.value)
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        for k in value:
            if not isinstance(k, str):
                raise TypeError(f"canonical JSON keys must be str, got {type(k).__name__}")
        return {k: to_plain(value[k]) for k in _sorted_keys(value)}
    if is_dataclass(value) and not isinstance(value, type):
        return {name: to_plain(getattr(value, name)) for name in _field_order(type(value))}
    plain = getattr(type(value), "canonical_plain", None)
    if plain is not None:  # a value that writes its own plain form (draw.UnitOutcomes: columns read as a tuple)
        return plain(value)
    if isinstance(value, (set, frozenset)):
        raise TypeError("sets have no canonical order; sort them into a tuple first")
    raise TypeError(f"cannot encode {type(value).__name__} canonically")


_FIELD_ORDER: dict[type, tuple[str, ...]] = {}


def _field_order(cls: type) -> tuple[str, ...]:
    """A dataclass's field names in canonical key order, computed once per class."""
    order = _FIELD_ORDER.get(cls)
    if order is None:
        order = _FIELD_ORDER[cls] = tuple(_sorted_keys([f.name for f in fields(cls)]))
    return order


def _sorted_keys(keys: Any) -> list[str]:
    """Keys in RFC 8785 order: by UTF-16 code units, which is code-point order unless a key leaves the BMP."""
    keys = list(keys)
    if all(k.isascii() or max(k) <= "\uffff" for k in keys):
        return sorted(keys)
    return sorted(keys, key=_sort_key)


def decimal_from_text(text: str) -> Decimal:
    """A finite Decimal from its canonical text; anything else is a ValueError like every other bad value."""
    try:
        value = Decimal(text)
    except ArithmeticError:  # decimal.InvalidOperation is not a ValueError
        raise ValueError(f"expected a decimal number, got {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"expected a finite decimal number, got {text!r}")
    return value


def _decimal_text(value: Decimal) -> str:
    """Plain notation without trailing zeros, so 1.50, 1.5 and 15E-1 encode alike ("1.5")."""
    if not value.is_finite():
        raise TypeError("NaN and infinity are not allowed in canonical JSON")
    if value.is_zero():
        return "0"  # also for -0, which equals 0
    return format(value.normalize(), "f")


def from_plain(tp: Any, value: Any) -> Any:
    """The inverse of to_plain for a type annotation: rebuild dataclasses, tuples, Decimals and dates.

    Strict: unknown or missing dataclass keys and values of the wrong JSON type raise ValueError.
    """
    if tp is Any or tp is object:
        return value
    origin = get_origin(tp)
    if origin in (Union, UnionType):
        return _from_union(tp, value)
    if origin is tuple:
        return _from_tuple(tp, value)
    if origin in (dict, Mapping):
        _expect(value, dict, tp)
        return {k: from_plain(get_args(tp)[1], v) for k, v in value.items()}
    if is_dataclass(tp):
        return _from_dataclass(tp, value)
    return _from_scalar(tp, value)


def _expect(value: Any, kind: type, tp: Any) -> None:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"expected {getattr(tp, '__name__', tp)}, got {value!r}")


def _from_union(tp: Any, value: Any) -> Any:
    args = get_args(tp)
    if value is None and type(None) in args:
        return None
    others = [a for a in args if a is not type(None)]
    if len(others) != 1:
        raise ValueError(f"cannot rebuild a value of {tp} from canonical JSON")
    return from_plain(others[0], value)


def _from_tuple(tp: Any, value: Any) -> tuple:
    _expect(value, list, tp)
    args = get_args(tp)
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(from_plain(args[0], v) for v in value)
    if len(args) != len(value):
        raise ValueError(f"expected {len(args)} items for {tp}, got {len(value)}")
    return tuple(from_plain(a, v) for a, v in zip(args, value))


@functools.cache
def _dataclass_shape(tp: type) -> tuple[dict[str, Any], dict[str, Any]]:
    """A dataclass's resolved type hints and init fields, once per class (get_type_hints is slow)."""
    return get_type_hints(tp), {f.name: f for f in fields(tp) if f.init}


def _from_dataclass(tp: Any, value: Any) -> Any:
    _expect(value, dict, tp)
    hints, known = _dataclass_shape(tp)
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ValueError(f"unknown keys for {tp.__name__}: {', '.join(unknown)}")
    missing = [n for n, f in known.items() if n not in value and f.default is MISSING and f.default_factory is MISSING]
    if missing:
        raise ValueError(f"missing keys for {tp.__name__}: {', '.join(missing)}")
    return tp(**{name: from_plain(hints[name], v) for name, v in value.items()})


def _from_scalar(tp: Any, value: Any) -> Any:
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(value)
    if tp is Decimal:
        _expect(value, str, tp)
        return decimal_from_text(value)
    if tp is _dt.date:
        _expect(value, str, tp)
        return _dt.date.fromisoformat(value)
    if tp in (str, int, bool):
        _expect(value, tp, tp)
        return value
    if tp is type(None) and value is None:
        return None
    raise ValueError(f"cannot rebuild a value of {tp} from canonical JSON")


def _sort_key(key: str) -> list[int]:
    return list(key.encode("utf-16-be"))


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False)


def canonical_bytes(value: Any) -> bytes:
    """The canonical UTF-8 JSON encoding of a value (to_plain already put every object's keys in order)."""
    return _ENCODER.encode(to_plain(value)).encode("utf-8")


def plain_bytes(plain: Any) -> bytes:
    """Canonical bytes of a value that is already to_plain output (objects' keys in canonical order).

    Skips the to_plain pass for large documents built by to_plain; anything else must use canonical_bytes.
    """
    return _ENCODER.encode(plain).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256."""
    return hashlib.sha256(data).hexdigest()


def canonical_hash(value: Any) -> str:
    """SHA-256 (hex) of the canonical encoding."""
    return sha256_hex(canonical_bytes(value))
