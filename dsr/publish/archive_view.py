"""Draws as publishing sees them, read from the write-once archive's record folders and the ledger."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from dsr.archive.store import Archive
from dsr.core.canonical import canonical_bytes
from dsr.core.commitment import commitment_hash
from dsr.core.freeze import inputs_from_document
from dsr.publish.draws import Commitment, DrawView, from_result
from dsr.publish.errors import PublishError

RECORD_FILE = "record.json"
COMMITMENT_FILE = "inputs/commitment.json"
FROZEN_FILE = "inputs/frozen-inputs.json"


def load_json(path: Path) -> Any:
    """A JSON file, or a refusal naming it."""
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise PublishError(f"无法读取 {path.name}：{exc}") from None


def withheld_strata(rules: Any) -> frozenset[str]:
    """Strata whose ratio the rules weight by credit, risk or hazard: their cutoffs are never published."""
    weighted = bool(rules.credit_multipliers or rules.risk_multipliers or rules.hazard_industries)
    return frozenset(s.name for s in rules.strata if s.mode == "RATIO" and s.multipliers and weighted)


def _commitment(record: dict[str, Any]) -> Commitment:
    doc, entropy = record["commitment"], record.get("entropy", {})
    sources = tuple(f"{s.get('id')}：{s.get('description', '')}（{s.get('when', '')}）"
                    for s in doc.get("entropy", {}).get("sources", ()))
    values = tuple((k, " ".join(str(v) for v in vs)) for k, vs in entropy.get("values", {}).items())
    return Commitment(commitment_hash(doc), str(doc.get("created_at", "")), sources, values,
                      str(entropy.get("canonical", "")), canonical_bytes(doc).decode("utf-8"),
                      str(record.get("header", {}).get("draw_at", "")))


def _drawn_on(record: dict[str, Any]) -> dt.date:
    header = record.get("header", {})
    stamp = header.get("draw_at") or record["created_at"]
    return dt.datetime.fromisoformat(stamp).date() if "T" in stamp else dt.date.fromisoformat(stamp)


def record_view(folder: Path) -> DrawView:
    """The DrawView of one record folder (its draw id is the folder name)."""
    record = load_json(folder / RECORD_FILE)
    frozen = folder / FROZEN_FILE
    inputs = inputs_from_document(load_json(frozen)) if frozen.is_file() else None
    items = tuple((i.code, i.name) for i in inputs.items if i.code == record["header"].get("item_code")) if inputs else ()
    withheld = withheld_strata(inputs.rules) if inputs else frozenset()
    return from_result(record["draw"], folder.name, _drawn_on(record), record["header"].get("detachment", ""),
                       items=items, commitment=_commitment(record), withheld=withheld)


def archive_draws(root: Path, voided: frozenset[str] = frozenset()) -> tuple[DrawView, ...]:
    """Every recorded, non-voided draw under the archive root, oldest first."""
    views = [record_view(f) for f in Archive(root).record_folders()
             if (f / RECORD_FILE).is_file() and f.name not in voided]
    return tuple(sorted(views, key=lambda v: (v.drawn_on, v.brigade, v.draw_id)))


def voided_draws(ledger: Any) -> frozenset[str]:
    """Draw ids the ledger has voided."""
    return frozenset(e.draw_id for e in ledger.events("void") if e.draw_id)
