"""Start-of-batch recovery: clear dead staging folders, quarantine folders no ledger row names."""

from __future__ import annotations

from dataclasses import dataclass

from dsr.archive.ledger import Ledger
from dsr.archive.store import Archive
from dsr.errors import ArchiveError


@dataclass(frozen=True)
class Recovery:
    """What a recovery pass removed or moved, as root-relative names."""

    staging_removed: tuple[str, ...]
    quarantined: tuple[tuple[str, str], ...]  # (folder, where it went under .orphans)


def recover(archive: Archive, ledger: Ledger) -> Recovery:
    """Undo what a killed batch left behind; needs the batch lock so no live writer is mid-commit."""
    if not archive.locked:
        raise ArchiveError("恢复中断的批次前须先取得批次锁")
    removed = archive.clean_staging()
    registered = ledger.registered_folders()
    moved = []
    for folder in archive.record_folders():
        rel = folder.relative_to(archive.root).as_posix()
        if rel not in registered:
            # Killed between rename and ledger row: never claimed, so set aside and let the rerun redo it.
            moved.append((rel, archive.relative(archive.quarantine(folder))))
    return Recovery(removed, tuple(moved))
