"""The review state machine of results: entered → reviewed → published, kept as ledger events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dsr.core.canonical import to_plain
from dsr.publish import results as r
from dsr.publish.errors import PublishError
from dsr.publish.ledger import RESULT, EventLog


@dataclass(frozen=True)
class Entry:
    """The latest state of one unit's result, and who put it there when."""

    result: r.Result
    state: str
    by: str
    at: str


def _result_from(plain: dict[str, Any]) -> r.Result:
    """A Result back from its ledger payload."""
    def day(text):
        return dt.date.fromisoformat(text) if text else None
    return r.Result(plain["draw_id"], plain["unit_key"], plain["unit_name"], day(plain["inspected_on"]),
                    plain["outcome"], plain["document_no"], tuple(plain["checks"]), day(plain["reinspected_on"]),
                    plain["reinspection"], plain["note"])


def entries(log: EventLog, draw_id: str | None = None) -> dict[tuple[str, str], Entry]:
    """The latest entry per (draw id, unit key), optionally for one draw."""
    out: dict[tuple[str, str], Entry] = {}
    for p in log.payloads(RESULT):
        if draw_id is None or p["draw_id"] == draw_id:
            out[(p["draw_id"], p["unit_key"])] = Entry(_result_from(p["result"]), p["state"], p["by"], p["at"])
    return out


def _event(result: r.Result, state: str, by: str, at: dt.datetime, source: str | None = None) -> dict[str, Any]:
    payload = {"draw_id": result.draw_id, "unit_key": result.unit_key, "state": state, "by": by,
               "at": at.isoformat(timespec="seconds"), "result": to_plain(result)}
    if source:
        payload["source_sha256"] = source
    return payload


def record_import(log: EventLog, results: r.ResultSet, by: str, at: dt.datetime) -> tuple[int, int]:
    """Store imported results as 已录入; returns (new or changed, unchanged). Published ones cannot change."""
    current = entries(log, results.draw_id)
    changed = [x for x in results.results if (e := current.get((x.draw_id, x.unit_key))) is None or e.result != x]
    locked = [x for x in changed if current.get((x.draw_id, x.unit_key)) and current[(x.draw_id, x.unit_key)].state == "published"]
    if locked:
        names = "、".join(f"{x.unit_name}（{x.unit_key}）" for x in locked)
        raise PublishError(f"以下单位的检查结果已公开，不能通过导入修改，未写入任何结果：{names}")
    for x in changed:
        log.append(RESULT, _event(x, "entered", by, at, results.sha256))
    return len(changed), len(results.results) - len(changed)


def _select(current: dict[tuple[str, str], Entry], draw_id: str, keys: tuple[str, ...] | None) -> list[Entry]:
    """The entries of a draw, or of the named units (each must have a result)."""
    if keys is None:
        return [e for (d, _), e in sorted(current.items()) if d == draw_id]
    missing = [k for k in keys if (draw_id, k) not in current]
    if missing:
        raise PublishError(f"抽查 {draw_id} 中以下单位没有已录入的检查结果：{'、'.join(missing)}")
    return [current[(draw_id, k)] for k in keys]


def review(log: EventLog, draw_id: str, reviewer: str, at: dt.datetime, keys: tuple[str, ...] | None = None) -> int:
    """Mark entered results 已审核 by `reviewer`; returns how many changed state."""
    if not reviewer.strip():
        raise PublishError("审核人不能为空")
    chosen = [e for e in _select(entries(log, draw_id), draw_id, keys) if e.state == "entered"]
    for e in chosen:
        log.append(RESULT, _event(e.result, "reviewed", reviewer.strip(), at))
    return len(chosen)


def publish(log: EventLog, draw_id: str, by: str, at: dt.datetime, keys: tuple[str, ...] | None = None,
            skip_unreviewed: bool = False) -> int:
    """Mark reviewed results 已公开; unreviewed ones refuse the whole step unless skipped on purpose."""
    selected = _select(entries(log, draw_id), draw_id, keys)
    pending = [e for e in selected if e.state == "entered"]
    if pending and not skip_unreviewed:
        names = "、".join(f"{e.result.unit_name}（{e.result.unit_key}）" for e in pending)
        raise PublishError(f"抽查 {draw_id} 有 {len(pending)} 条检查结果尚未审核，不能公开：{names}"
                           "（先审核：dsr results review；或只公开已审核的：--skip-unreviewed）")
    chosen = [e for e in selected if e.state == "reviewed"]
    for e in chosen:
        log.append(RESULT, _event(e.result, "published", by, at))
    return len(chosen)


def published(log: EventLog) -> dict[tuple[str, str], r.Result]:
    """Every published result by (draw id, unit key)."""
    return {k: e.result for k, e in entries(log).items() if e.state == "published"}
