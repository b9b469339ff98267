"""1,000 random single-byte changes over the signed bytes of a real record and its attachments: all detected."""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
from asn1crypto import cms

from dsr.record.sign import load_trust_roots
from dsr.record.verify import verify_path
from record_data import fixed_keys, made_record

pytestmark = pytest.mark.slow
FLIPS = int(os.environ.get("DSR_FLIPS", "200"))  # `make soak` runs the 1,000
SEED = 20261126


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """(ceremony, RecordPaths) of the shared real record."""
    return made_record(tmp_path_factory)


@pytest.fixture(scope="module")
def folder(made, tmp_path_factory) -> Path:
    """A private copy of the record folder, restored after each flip."""
    target = tmp_path_factory.mktemp("tamper") / "record"
    shutil.copytree(made[1].folder, target)
    return target


def _byte_ranges(pdf: bytes) -> list[tuple[int, int, int, int]]:
    """(covered1 start, end, covered2 start, end) of each embedded signature, as pyHanko reads its /ByteRange."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    out = []
    for sig in PdfFileReader(io.BytesIO(pdf)).embedded_signatures:
        a, b, c, d = (int(x) for x in sig.sig_object["/ByteRange"])
        out.append((a, a + b, c, c + d))
    assert out, "the record PDF has no signature"
    return out


def _signature_value_span(der: bytes) -> tuple[int, int]:
    """Offsets of the (first) signer's signature value inside a DER CMS blob."""
    info = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
    value = info["signature"].contents
    start = der.rindex(value)
    return start, start + len(value)


def _pdf_targets(pdf: bytes) -> tuple[list[int], list[int]]:
    """Offsets covered by the signatures' /ByteRange, and offsets of hex digits of each signature value."""
    covered, sig = [], []
    for a, b, c, d in _byte_ranges(pdf):
        covered += [a, b - 1, c, d - 1]  # ends are always tried; the sample fills the rest
        covered.extend(range(a, b))
        covered.extend(range(c, d))
        hex_start = b + 1  # after '<'
        der = bytes.fromhex(pdf[hex_start:c - 1].decode("ascii"))
        s, e = _signature_value_span(der)
        sig.extend(range(hex_start + 2 * s, hex_start + 2 * e))
    return sorted(set(covered)), sig


def _plan(folder: Path, rng: random.Random) -> list[tuple[str, int]]:
    """FLIPS (file, offset) pairs, in the proportions of the 1,000-flip run: 30 % PDF bytes covered by /ByteRange,
    10 % PDF signature value, 12 % record.json, 16 % record.html, 5 % each .p7s signature value, the rest inputs."""
    share = lambda fraction: max(1, round(FLIPS * fraction))  # noqa: E731 - a local rounding rule
    pdf = (folder / "record.pdf").read_bytes()
    covered, sig = _pdf_targets(pdf)
    plan = [("record.pdf", o) for o in rng.sample(covered, share(0.30))]
    plan += [("record.pdf", o) for o in rng.choices(sig, k=share(0.10))]
    plan += [("record.json", rng.randrange(len((folder / "record.json").read_bytes()))) for _ in range(share(0.12))]
    plan += [("record.html", rng.randrange(len((folder / "record.html").read_bytes()))) for _ in range(share(0.16))]
    for p7s in ("record.json.p7s", "record.html.p7s"):
        s, e = _signature_value_span((folder / p7s).read_bytes())
        plan += [(p7s, rng.randrange(s, e)) for _ in range(share(0.05))]
    inputs = sorted(p.relative_to(folder).as_posix() for p in (folder / "inputs").iterdir() if p.is_file())
    for i in range(FLIPS - len(plan)):
        name = inputs[i % len(inputs)]
        plan.append((name, rng.randrange(len((folder / name).read_bytes()))))
    return plan


def _changed(data: bytes, offset: int, rng: random.Random, hexdigit: bool) -> bytes:
    """The data with the byte at offset replaced by a different one (a hex digit of another value inside /Contents:
    pyHanko writes upper-case hex, and E → e would change no bit of the signature)."""
    old = data[offset]
    if hexdigit:
        new = rng.choice([c for c in b"0123456789ABCDEF" if c != bytes([old]).upper()[0]])
    else:
        new = old ^ rng.randrange(1, 256)
    return data[:offset] + bytes([new]) + data[offset + 1:]


def _keep(name: str, offset: int, original: bytes, damaged: bytes) -> tuple:
    """An undetected change: keep both versions of the file for analysis and return where it was."""
    keep = Path(tempfile.gettempdir()) / "dsr-undetected"
    keep.mkdir(exist_ok=True)
    (keep / f"{offset}-damaged-{Path(name).name}").write_bytes(damaged)
    (keep / f"{offset}-original-{Path(name).name}").write_bytes(original)
    return name, offset, original[max(0, offset - 40):offset + 40]


def test_thousand_single_byte_changes_are_all_detected(made, folder: Path):
    """Every one of 1,000 seeded single-byte changes makes dsr.record.verify report failure."""
    roots = load_trust_roots([made[0].keys.ca_pem])
    assert verify_path(folder, roots).ok  # the control: untouched, it verifies
    rng = random.Random(SEED)
    plan = _plan(folder, rng)
    sig_offsets = set(_pdf_targets((folder / "record.pdf").read_bytes())[1])
    assert len(plan) == FLIPS
    undetected, per_file = [], Counter()
    start = time.perf_counter()
    for name, offset in plan:
        path = folder / name
        original = path.read_bytes()
        damaged = _changed(original, offset, rng, name == "record.pdf" and offset in sig_offsets)
        path.write_bytes(damaged)
        try:
            ok = verify_path(folder, roots).ok
        except Exception:  # noqa: BLE001 - "cannot read this at all" is a detection too
            ok = False
        finally:
            path.write_bytes(original)
        per_file[name.split("/")[0] if not name.startswith("inputs/") else "inputs/*"] += 1
        if ok:
            undetected.append(_keep(name, offset, original, damaged))
    elapsed = time.perf_counter() - start
    print(f"\nTAMPER {FLIPS} flips {dict(per_file)}: {FLIPS - len(undetected)} detected in {elapsed:.1f} s "
          f"({elapsed / FLIPS * 1000:.0f} ms per verify)")
    assert undetected == []
    assert verify_path(folder, roots).ok


def test_record_re_signed_with_a_foreign_ca_is_rejected(made, tmp_path: Path):
    """A record whose signer chains to a freshly made CA outside the trust roots fails verification."""
    from dsr.record.pipeline import make_record
    from record_data import params

    ceremony, _paths = made
    other = fixed_keys(tmp_path / "other-keys", tag=7)
    forged = make_record(params(ceremony, pkcs12=other.signer_p12, passphrase=other.passphrase),
                         tmp_path / "forged", "2026-11-30T10:30:00+08:00")
    trusted = load_trust_roots([ceremony.keys.ca_pem])
    result = verify_path(forged.folder, trusted)
    assert not result.ok
    failed = {c.label for c in result.checks if not c.ok}
    assert failed, result.checks
    assert verify_path(forged.folder, load_trust_roots([other.ca_pem])).ok  # the same record under its own CA
