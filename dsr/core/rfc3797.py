"""RFC 3797 (IETF NomCom) publicly verifiable selection, exactly as the RFC specifies it."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_POOL = 65535  # the index is two bytes, so the RFC limits the pool to 2**16 - 1


@dataclass(frozen=True)
class Step:
    """One row of the RFC 3797 §6 table: which digest, which divisor, which entry it picked."""

    index: int  # 1-based, as the RFC's table numbers its rows
    digest: str  # MD5 digest, upper-case hex as printed in the RFC
    divisor: int  # entries still unselected when this pick was made
    remainder: int  # digest mod divisor
    selected: int  # 1-based position in the original list


def _number(value: str | int | Decimal) -> Decimal:
    """A source value as an exact non-negative decimal number (never a float)."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"RFC 3797 值必须是十进制数：{value!r}")
    text = str(value).strip()
    if not text or not all(ch.isdigit() and ch.isascii() or ch == "." for ch in text) or text.count(".") > 1:
        raise ValueError(f"RFC 3797 值必须是非负十进制数：「{value}」")
    try:
        return Decimal(text)
    except InvalidOperation:  # e.g. a lone "."
        raise ValueError(f"RFC 3797 值必须是非负十进制数：「{value}」") from None


def value_text(value: str | int | Decimal) -> str:
    """RFC 3797 §4 form of one value: integers as `123.`, fractions as `1.25` (no trailing zeros)."""
    number = _number(value)
    whole = int(number)
    fraction = number - whole
    if fraction == 0:
        return f"{whole}."
    digits = format(fraction, "f").split(".")[1].rstrip("0")
    return f"{whole}.{digits}"


def rfc3797_key(sources: list[list[str | int | Decimal]]) -> str:
    """The RFC 3797 key string: each source's values sorted ascending, each source closed by `/`."""
    parts = []
    for values in sources:
        numbers = sorted(_number(v) for v in values)
        parts.append("".join(value_text(n) for n in numbers) + "/")
    return "".join(parts)


def _digest(i: int, key: str) -> bytes:
    """MD5 of the 2-byte big-endian index, the key, and the index again (RFC 3797 §4)."""
    index = i.to_bytes(2, "big")
    return hashlib.md5(index + key.encode("ascii") + index).digest()


def rfc3797_trace(pool_size: int, k: int, key: str) -> tuple[Step, ...]:
    """Every step of selecting `k` of `pool_size` entries with `key`, as the RFC's §6 table shows it."""
    if not 1 <= pool_size <= MAX_POOL:
        raise ValueError(f"RFC 3797 的候选数须在 1–{MAX_POOL} 之间，实为 {pool_size}")
    if not 0 <= k <= pool_size:
        raise ValueError(f"抽取数须在 0–{pool_size} 之间，实为 {k}")
    remaining = list(range(1, pool_size + 1))
    steps = []
    for i in range(k):
        digest = _digest(i, key)
        divisor = len(remaining)
        remainder = int.from_bytes(digest, "big") % divisor
        selected = remaining.pop(remainder)
        steps.append(Step(i + 1, digest.hex().upper(), divisor, remainder, selected))
    return tuple(steps)


def rfc3797_select(pool_size: int, k: int, key: str) -> list[int]:
    """The 1-based positions of the original list, in order of selection."""
    return [step.selected for step in rfc3797_trace(pool_size, k, key)]


def rfc3797_entropy_needed(pool_size: int, k: int) -> float:
    """RFC 3797 §3.3: bits of entropy needed for every outcome to be possible, log2 C(P, k)."""
    return math.log2(math.comb(pool_size, k))
