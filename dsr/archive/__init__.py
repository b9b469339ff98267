"""Write-once record folders and the hash-chained ledger (docs/ARCHIVE.md)."""

from dsr.archive.ledger import KINDS, LEDGER_NAME, Event, Ledger
from dsr.archive.manifest import MANIFEST, FileRef, FolderCheck, verify_folder
from dsr.archive.recover import Recovery, recover
from dsr.archive.store import Archive, BatchLock
from dsr.archive.verify import Check, LedgerCheck, verify_ledger

__all__ = [
    "KINDS", "LEDGER_NAME", "MANIFEST", "Archive", "BatchLock", "Check", "Event", "FileRef", "FolderCheck",
    "Ledger", "LedgerCheck", "Recovery", "recover", "verify_folder", "verify_ledger",
]  # fmt: skip
