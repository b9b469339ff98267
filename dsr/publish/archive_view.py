"""Draws as publishing sees them, read from the write-once archive's record folders and the ledger."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from dsr.archive.store import Archive
from dsr.core.canonical import canonical_bytes
from dsr.core.commitment import commitment_hash
from dsr.core.model import Item
from dsr.publish.draws import Commitment, DrawView, from_result
from dsr.publish.errors import PublishError

RECORD_FILE = "record.json"
COMMITMENT_FILE = "inputs/commitment.json"
FROZEN_FILE = "inputs/frozen-inputs.json"
_ITEM_FIELDS = tuple(f.name for f in fields(Item))
NOTICE_DIR = "承诺公告"  # <year>/承诺公告/<ceremony id>/, written by dsr batch


def load_json(path: Path) -> Any:
    """A JSON file, or a refusal naming it."""
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise PublishError(f"无法读取 {path.name}：{exc}") from None


def withheld_strata(rules: dict[str, Any]) -> frozenset[str]:
    """Strata whose ratio the rules weight by credit, risk or hazard: their cutoffs are never published.

    Reads the frozen document's plain `rules` (field names of dsr.core.rules.Rules) directly:
    rebuilding the typed inputs costs seconds per brigade and publishing needs only these fields.
    """
    weighted = bool(rules.get("credit_multipliers") or rules.get("risk_multipliers") or rules.get("hazard_industries"))
    return frozenset(s["name"] for s in rules.get("strata", ())
                     if s.get("mode") == "RATIO" and s.get("multipliers", True) and weighted)


def frozen_items(frozen: dict[str, Any]) -> tuple[Item, ...]:
    """The 抽查事项 of a frozen-inputs document."""
    return tuple(Item(**{f: i[f] for f in _ITEM_FIELDS if f in i}) for i in frozen.get("items", ()))


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


def record_view(folder: Path, root: Path) -> DrawView:
    """The DrawView of one record folder; its id is the record id (ceremony id and brigade)."""
    record = load_json(folder / RECORD_FILE)
    frozen = load_json(folder / FROZEN_FILE) if (folder / FROZEN_FILE).is_file() else {}
    code = record["header"].get("item_code")
    items = tuple((i.code, i.name) for i in frozen_items(frozen) if i.code == code)
    withheld = withheld_strata(frozen.get("rules", {}))
    draw_id = str(record.get("record_id") or f"{folder.name}-{folder.parent.name}")
    view = from_result(record["draw"], draw_id, _drawn_on(record), record["header"].get("detachment", ""),
                       items=items, commitment=_commitment(record), withheld=withheld)
    return replace(view, folder=folder.resolve().relative_to(root.resolve()).as_posix())


def archive_draws(root: Path, voided: frozenset[tuple[str, str]] = frozenset()) -> tuple[DrawView, ...]:
    """Every recorded draw under the archive root whose (brigade, folder) the ledger has not voided."""
    views = [record_view(f, root) for f in Archive(root).record_folders()
             if (f / RECORD_FILE).is_file() and (f.parent.name, f.name) not in voided]
    return tuple(sorted(views, key=lambda v: (v.drawn_on, v.brigade, v.draw_id)))


def voided_draws(ledger: Any) -> frozenset[tuple[str, str]]:
    """(brigade, draw id) pairs the ledger has voided."""
    return frozenset((e.brigade, e.draw_id) for e in ledger.events("void") if e.draw_id)


def notice_files(root: Path, view: DrawView) -> tuple[tuple[str, Path], ...]:
    """The ceremony's published commitment notice (HTML, PDF) and the commitment JSON, where present."""
    year, _, ceremony = view.folder.split("/")
    notice = root / year / NOTICE_DIR / ceremony
    found = [("承诺公告（网页）", notice / "承诺公告.html"), ("承诺公告（PDF）", notice / "承诺公告.pdf"),
             ("承诺文件 commitment.json", root / view.folder / COMMITMENT_FILE)]
    return tuple((label, path) for label, path in found if path.is_file())
