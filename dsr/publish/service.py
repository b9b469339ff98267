"""The publishing steps the `dsr` command runs, each over the archive root and its ledger."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from dsr.archive.ledger import LEDGER_NAME, Ledger
from dsr.core.canonical import sha256_hex
from dsr.core.model import Item
from dsr.publish import review
from dsr.publish.archive_view import FROZEN_FILE, archive_draws, frozen_items, load_json, notice_files, voided_draws
from dsr.publish.credit import credit_rows, write_credit
from dsr.publish.draws import DrawView
from dsr.publish.errors import PublishError
from dsr.publish.ledger import PUBLISH, ArchiveLog
from dsr.publish.results_import import read_results
from dsr.publish.results_template import write_template
from dsr.publish.site import Attachment, PlanRow, Site, build_site
from dsr.publish.stats import UnitFacts, write_report, year_stats
from dsr.publish.status import render, status
from dsr.publish.workdays import WorkCalendar


@dataclass(frozen=True)
class Published:
    """What `dsr publish` did."""

    marked: int
    index: Path
    credit_csv: Path
    credit_xlsx: Path


def open_ledger(root: Path) -> Ledger:
    """The archive ledger, which must already exist (draws are recorded in it)."""
    path = root / LEDGER_NAME
    if not path.is_file():
        raise PublishError(f"档案根目录 {root.name or root} 中没有账本 {LEDGER_NAME}：请先完成抽取并归档")
    return Ledger(path, root, create=False)


def draws(root: Path, ledger: Ledger) -> tuple[DrawView, ...]:
    """Every recorded, non-voided draw."""
    return archive_draws(root, voided_draws(ledger))


def find_draw(root: Path, ledger: Ledger, draw_id: str) -> DrawView:
    """One draw by id, or a refusal naming the known ids."""
    known = draws(root, ledger)
    for d in known:
        if d.draw_id == draw_id:
            return d
    names = "、".join(d.draw_id for d in known) or "（无）"
    raise PublishError(f"档案中没有抽查编号为「{draw_id}」的有效抽取；现有：{names}")


def results_template(root: Path, draw_id: str, out: Path) -> Path:
    """Write the results workbook of one draw."""
    with open_ledger(root) as ledger:
        return write_template(find_draw(root, ledger, draw_id), out)


def results_import(root: Path, draw_id: str, path: Path, by: str, now: dt.datetime) -> tuple[int, int]:
    """Check a filled workbook and store its results as 已录入 (nothing stored on any error)."""
    with open_ledger(root) as ledger:
        checked = read_results(path, find_draw(root, ledger, draw_id), now.date())
        return review.record_import(ArchiveLog(ledger), checked, by, now)


def results_review(root: Path, draw_id: str, reviewer: str, now: dt.datetime, keys: tuple[str, ...] | None) -> int:
    """Mark a draw's entered results 已审核."""
    with open_ledger(root) as ledger:
        find_draw(root, ledger, draw_id)
        return review.review(ArchiveLog(ledger), draw_id, reviewer, now, keys)


def _items(root: Path, views: tuple[DrawView, ...]) -> tuple[Item, ...]:
    """The 抽查事项 of the published draws, from their frozen inputs, by code."""
    found: dict[str, Item] = {}
    for d in views:
        frozen = root / d.folder / FROZEN_FILE
        if frozen.is_file():
            for item in frozen_items(load_json(frozen)):
                found.setdefault(item.code, item)
    return tuple(found[c] for c in sorted(found))


def _plan(views: tuple[DrawView, ...]) -> tuple[PlanRow, ...]:
    """The plan as committed: per draw and stratum, the population and the number to draw."""
    return tuple(PlanRow(d.brigade, d.plan_month, "、".join(n for _, n in d.items),
                         s.name, f"对象 {s.population} 家，抽取 {s.drawn} 家") for d in views for s in d.strata)


def _attachments(root: Path, views: tuple[DrawView, ...]) -> dict[str, tuple[Attachment, ...]]:
    return {d.draw_id: tuple(Attachment(label, path) for label, path in notice_files(root, d)) for d in views}


def publish(root: Path, out: Path, by: str, now: dt.datetime, agencies: dict[str, str], detachment: str,
            draw_ids: tuple[str, ...] | None = None, skip_unreviewed: bool = False) -> Published:
    """Mark reviewed results 已公开 (refusing unreviewed ones), then write the site and the credit export."""
    with open_ledger(root) as ledger:
        views = draws(root, ledger)
        chosen = [find_draw(root, ledger, i) for i in draw_ids] if draw_ids else list(views)
        log = ArchiveLog(ledger)
        pending = [d.draw_id for d in chosen if not skip_unreviewed and any(
            e.state == "entered" for e in review.entries(log, d.draw_id).values())]
        if pending:  # check every draw before marking any, so a refusal changes nothing
            review.publish(log, pending[0], by, now)
        marked = sum(review.publish(log, d.draw_id, by, now, skip_unreviewed=True) for d in chosen)
        public = review.published(log)
        site = Site(detachment, _items(root, views), _plan(views), views, public, now.isoformat(timespec="minutes"),
                    agencies, _attachments(root, views))
        index = build_site(site, out)
        csv_path, xlsx_path = write_credit(credit_rows(views, public, agencies), out / "data")
        ledger.append(PUBLISH, at=now.isoformat(timespec="seconds"), payload={
            "by": by, "results": len(public), "marked": marked,
            "index_sha256": sha256_hex(index.read_bytes()), "credit_sha256": sha256_hex(csv_path.read_bytes())})
    return Published(marked, index, csv_path, xlsx_path)


def status_report(root: Path, today: dt.date, days: int, soon: int, calendar: WorkCalendar = WorkCalendar()) -> str:
    """The text `dsr status` prints."""
    with open_ledger(root) as ledger:
        lines = status(draws(root, ledger), review.entries(ArchiveLog(ledger)), today, days, soon, calendar)
    return render(lines, today, days)


def _directory(root: Path, views: tuple[DrawView, ...]) -> tuple[UnitFacts, ...]:
    """Each brigade's units as of its latest draw of the views, from the frozen inputs."""
    latest = {d.brigade: d for d in views}
    facts = []
    for brigade, d in sorted(latest.items()):
        frozen = root / d.folder / FROZEN_FILE
        if frozen.is_file():
            facts += [UnitFacts(u["key"], brigade, u["unit_class"], bool(u["crowded"]))
                      for u in load_json(frozen).get("units", ())]
    return tuple(facts)


def stats_report(root: Path, year: int, out: Path, detachment: str) -> Path:
    """Write the internal yearly statistics report."""
    with open_ledger(root) as ledger:
        views = tuple(d for d in draws(root, ledger) if d.year == year)
        results = {k: e.result for k, e in review.entries(ArchiveLog(ledger)).items()}
    return write_report(year_stats(year, views, results, _directory(root, views)), detachment, out)
