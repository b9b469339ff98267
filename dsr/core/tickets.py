"""Tickets: HMAC-SHA256 of the seed over a domain label and a stable key (docs/ALGORITHM.md §5).

ticket(seed, label, key) = HMAC-SHA256(key=seed, msg=UTF8(label) || 0x00 || UTF8(key)).
Tickets compare as 32-byte big-endian unsigned integers; the lower ticket wins. The 0x00
separator cannot occur in a label or a key (both are checked), so (label, key) pairs never
collide as messages.
"""

from __future__ import annotations

import hmac
from hashlib import sha256

# Domain labels: every stage draws from its own, so no two stages share a stream.
LABEL_UNIT = "dsr/unit/1"
LABEL_INSPECTOR = "dsr/inspector/1"
LABEL_BATCH = "dsr/batch/1"


def ticket(seed: bytes, label: str, key: str) -> bytes:
    """The 32-byte ticket of `key` under `label`."""
    if "\x00" in label or "\x00" in key:
        raise ValueError("NUL is not allowed in a ticket label or key")
    return hmac.new(seed, label.encode("utf-8") + b"\x00" + key.encode("utf-8"), sha256).digest()


def tickets(seed: bytes, label: str, keys: list[str] | tuple[str, ...]) -> dict[str, bytes]:
    """Tickets for many keys, reusing one HMAC key schedule (about 2× faster than ticket())."""
    base = hmac.new(seed, label.encode("utf-8") + b"\x00", sha256)
    out: dict[str, bytes] = {}
    for key in keys:
        if "\x00" in key:
            raise ValueError("NUL is not allowed in a ticket key")
        h = base.copy()
        h.update(key.encode("utf-8"))
        out[key] = h.digest()
    return out
