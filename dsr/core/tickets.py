"""Tickets: HMAC-SHA256 of the seed over a domain label and a stable key (docs/ALGORITHM.md §5).

ticket(seed, label, key) = HMAC-SHA256(key=seed, msg=UTF8(label) || 0x00 || UTF8(key)).
Tickets compare as 32-byte big-endian unsigned integers; the lower ticket wins. The 0x00
separator cannot occur in a label or a key (both are checked), so (label, key) pairs never
collide as messages.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Iterator, Sequence
from hashlib import sha256
from typing import Protocol

try:  # CPython's built-in SHA-256: the same digests as hashlib's OpenSSL one, and its copy() is cheaper
    from _sha256 import sha256 as _sha256  # Python ≤ 3.11
except ImportError:  # pragma: no cover - depends on the Python build
    try:
        from _sha2 import sha256 as _sha256  # Python ≥ 3.12
    except ImportError:
        _sha256 = sha256

try:  # the optional compiled accelerator (setup.py): OpenSSL's SHA-256 in one C loop, the same bytes
    from dsr.core import _ticketc as _fast
except ImportError:  # pragma: no cover - not built here (no compiler or OpenSSL headers): pure Python
    _fast = None

# Domain labels: every stage draws from its own, so no two stages share a stream.
LABEL_UNIT = "dsr/unit/1"
LABEL_INSPECTOR = "dsr/inspector/1"
LABEL_BATCH = "dsr/batch/1"

# A function computing ticket_list(seed, label, keys), e.g. over several processes (dsr.parallel).
TicketFunction = Callable[[bytes, str, Sequence[str]], list[bytes]]


class PendingTickets(Protocol):
    """Tickets being computed elsewhere: what a ticket function's optional `start(seed, label, keys)` returns.

    For callers that want hex tickets while they do other work (run_draw itself uses `map_chunks`).
    """

    def result(self) -> list[str]:
        """ticket_hex_list(seed, label, keys), waiting for it if need be."""

    def close(self) -> None:
        """Stop whatever still runs and free what it holds (also after result(); may be called twice)."""


def ticket(seed: bytes, label: str, key: str) -> bytes:
    """The 32-byte ticket of `key` under `label`."""
    if "\x00" in label or "\x00" in key:
        raise ValueError("NUL is not allowed in a ticket label or key")
    return hmac.new(seed, label.encode("utf-8") + b"\x00" + key.encode("utf-8"), sha256).digest()


def _pads(seed: bytes, label: str):
    """The inner hash with (K' ^ ipad) || label || 0x00 absorbed, and the outer one with K' ^ opad."""
    if "\x00" in label:
        raise ValueError("NUL is not allowed in a ticket label")
    # HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m)); the two pad blocks are absorbed once and
    # copied per key, which costs about half of hmac.HMAC.copy() (a Python object per copy). The built-in
    # SHA-256 copies its state without an OpenSSL context: about 15 % less per ticket than hashlib's.
    block = (sha256(seed).digest() if len(seed) > 64 else seed).ljust(64, b"\x00")
    inner = _sha256(bytes(b ^ 0x36 for b in block) + label.encode("utf-8") + b"\x00")
    outer = _sha256(bytes(b ^ 0x5C for b in block))
    return inner, outer


def ticketer(seed: bytes, label: str) -> Callable[[str], bytes]:
    """ticket(seed, label, ·) with the pads hashed once: for many single look-ups (team matching)."""
    inner, outer = _pads(seed, label)
    icopy, ocopy = inner.copy, outer.copy

    def one(key: str) -> bytes:
        if "\x00" in key:
            raise ValueError("NUL is not allowed in a ticket key")
        i = icopy()
        i.update(key.encode("utf-8"))
        o = ocopy()
        o.update(i.digest())
        return o.digest()

    return one


def _finished(seed: bytes, label: str, keys: Sequence[str]) -> Iterator:
    """The finished outer HMAC state of each key, in order (pads hashed once, RFC 2104)."""
    inner, outer = _pads(seed, label)
    keys = keys if isinstance(keys, list) else list(keys)
    if "\x00" in "".join(keys):
        raise ValueError("NUL is not allowed in a ticket key")
    icopy, ocopy = inner.copy, outer.copy
    for key in keys:
        i = icopy()
        i.update(key.encode("utf-8"))
        o = ocopy()
        o.update(i.digest())
        yield o


def ticket_list(seed: bytes, label: str, keys: Sequence[str]) -> list[bytes]:
    """Tickets for many keys, in the order of `keys`: the same bytes as ticket()."""
    if _fast is not None:
        keys = keys if isinstance(keys, list) else list(keys)
        return split_tickets(joined_tickets(seed, label, "\x00".join(keys).encode("utf-8"), len(keys)))
    return [o.digest() for o in _finished(seed, label, keys)]


def split_tickets(buffer: bytes) -> list[bytes]:
    """32-byte tickets joined into one buffer, as a list."""
    n = len(buffer)
    return list(map(buffer.__getitem__, map(slice, range(0, n, 32), range(32, n + 32, 32))))


def joined_tickets(seed: bytes, label: str, joined: bytes, count: int) -> bytes:
    """The tickets of `count` keys given UTF-8 encoded and joined by single 0x00 bytes, joined (32 bytes each).

    The same bytes as ticket() per key. A `joined` that does not split into exactly `count` keys (a key
    holding NUL) is refused. With the compiled accelerator, all of it runs in C without the GIL.
    """
    if "\x00" in label:
        raise ValueError("NUL is not allowed in a ticket label")
    if _fast is not None:
        return _fast.many(seed, label.encode("utf-8") + b"\x00", joined, count)
    keys = joined.split(b"\x00") if count else []
    if len(keys) != count or (not count and joined):
        raise ValueError("NUL is not allowed in a ticket key")
    return b"".join(encoded_ticket_list(seed, label, keys))


def encoded_ticket_list(seed: bytes, label: str, encoded: Iterable[bytes]) -> list[bytes]:
    """ticket_list for keys given as their UTF-8 bytes, none holding 0x00 (callers split a joined buffer on it)."""
    inner, outer = _pads(seed, label)
    icopy, ocopy = inner.copy, outer.copy
    out: list[bytes] = []
    append = out.append
    for key in encoded:
        i = icopy()
        i.update(key)
        o = ocopy()
        o.update(i.digest())
        append(o.digest())
    return out


def ticket_hex_list(seed: bytes, label: str, keys: Sequence[str]) -> list[str]:
    """Tickets for many keys as lower-case hex, in the order of `keys` (hex sorts as the bytes do)."""
    if _fast is not None:
        return [t.hex() for t in ticket_list(seed, label, keys)]
    return [o.hexdigest() for o in _finished(seed, label, keys)]


def tickets(seed: bytes, label: str, keys: Sequence[str]) -> dict[str, bytes]:
    """Tickets for many keys as key → ticket: the same bytes as ticket()."""
    return dict(zip(keys, ticket_list(seed, label, keys)))
