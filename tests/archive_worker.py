"""A batch-like writer run as a real subprocess by the crash and concurrency tests of dsr.archive."""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

from dsr.archive import LEDGER_NAME, Archive, Ledger, recover
from dsr.errors import DsrError

BRIGADES = ("文峰区", "北关区")
AT = "2026-03-01T09:00:00+08:00"
YEAR = 2026


def commitment(i: int) -> str:
    """A stable fake commitment hash for draw number i."""
    return hashlib.sha256(f"commitment-{i}".encode()).hexdigest()


def record_files(i: int) -> dict[str, bytes]:
    """Files big enough (256 KiB) that a kill often lands while they are written."""
    block = hashlib.sha256(f"record-{i}".encode()).digest()
    return {"record.pdf": block * 8192, "inputs/units.csv": f"单位,{i}\n".encode(), "draw.json": b"{}"}


def one_draw(archive: Archive, ledger: Ledger, i: int, pause: float = 0.0) -> None:
    """Commit, draw, write the folder, ledger it, skipping any step a killed run already finished.

    `pause` sleeps between steps so a kill lands more often in the gaps, e.g. after the rename.
    """
    c, brigade, draw_id = commitment(i), BRIGADES[i % 2], f"D{i:04d}"
    if not any(e.commitment_hash == c for e in ledger.events("commit")):
        ledger.append("commit", at=AT, commitment_hash=c, payload={"i": i})
        time.sleep(pause)
    if ledger.current_draw(c, brigade) is None:
        units = [{"key": f"U{i:04d}-{k}", "team": [f"C{k}", f"C{k + 1}"]} for k in range(3)]
        payload = {"draw_id": draw_id, "date": f"{YEAR}-03-01", "units": units}
        ledger.append("draw", at=AT, commitment_hash=c, brigade=brigade, draw_id=draw_id, payload=payload)
        time.sleep(pause)
    rel = f"{YEAR}/{brigade}/{draw_id}"
    if rel not in ledger.registered_folders():
        folder = archive.write_record(YEAR, brigade, draw_id, record_files(i))
        time.sleep(pause)
        ledger.append_record(archive.folder_refs(folder), at=AT, brigade=brigade, draw_id=draw_id, commitment_hash=c)


def run_batch(root: Path, count: int, wait: float, linger: float, pause: float) -> None:
    """Take the batch lock, recover, write draws 0..count-1, then hold the lock `linger` seconds."""
    archive = Archive(root)
    with archive.batch_lock(wait=wait), Ledger(root / LEDGER_NAME) as ledger:
        print("locked", flush=True)
        found = recover(archive, ledger)
        print(f"recovered staging={len(found.staging_removed)} orphans={len(found.quarantined)}", flush=True)
        for i in range(count):
            one_draw(archive, ledger, i, pause)
            print(i, flush=True)
        time.sleep(linger)


def run_appends(root: Path, count: int, tag: str) -> None:
    """Append `count` commit events without the batch lock, to race another appender."""
    with Ledger(root / LEDGER_NAME) as ledger:
        print("ready", flush=True)
        for i in range(count):
            ledger.append("commit", at=AT, commitment_hash=hashlib.sha256(f"{tag}-{i}".encode()).hexdigest())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("batch", "append"))
    parser.add_argument("root", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--wait", type=float, default=0.0)
    parser.add_argument("--linger", type=float, default=0.0)
    parser.add_argument("--tag", default="a")
    parser.add_argument("--pause", type=float, default=0.0)
    args = parser.parse_args()
    try:
        if args.mode == "batch":
            run_batch(args.root, args.count, args.wait, args.linger, args.pause)
        else:
            run_appends(args.root, args.count, args.tag)
    except DsrError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
