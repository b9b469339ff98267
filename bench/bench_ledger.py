"""Times the archive: ledger appends, record folder writes, and a full `ledger verify`."""

from __future__ import annotations

import hashlib
import tempfile
import time
from pathlib import Path

from dsr.archive import LEDGER_NAME, Archive, Ledger

AT = "2026-03-01T09:00:00+08:00"
APPENDS = 1000
RECORDS = 100
RECORD_BYTES = 1 << 20  # about the size of a signed PDF record with its attached inputs


def _timed(label: str, count: int, fn) -> None:
    start = time.perf_counter()
    fn()
    spent = time.perf_counter() - start
    print(f"{label}: {count} in {spent:.2f} s ({spent / count * 1000:.2f} ms each)")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        archive, ledger = Archive(root), Ledger(root / LEDGER_NAME)
        hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(APPENDS)]
        _timed("ledger append (WAL, synchronous=FULL)", APPENDS,
               lambda: [ledger.append("commit", at=AT, commitment_hash=h) for h in hashes])  # fmt: skip
        data = bytes(RECORD_BYTES)

        def records() -> None:
            with archive.batch_lock():
                for i in range(RECORDS):
                    folder = archive.write_record(2026, "文峰区", f"D{i:04d}", {"record.pdf": data})
                    ledger.append_record(archive.folder_refs(folder), at=AT, brigade="文峰区", draw_id=f"D{i:04d}")

        _timed(f"record folder of {RECORD_BYTES >> 10} KiB + ledger row", RECORDS, records)
        result = None

        def verify() -> None:
            nonlocal result
            result = ledger.verify()

        _timed(f"ledger verify ({APPENDS + RECORDS} rows, {RECORDS} folders)", 1, verify)
        assert result.ok, result.first_bad
        ledger.close()


if __name__ == "__main__":
    main()
