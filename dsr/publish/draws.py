"""What publishing needs of one draw: drawn units, teams, seed, commitment — read from the draw result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

CLASS_WORDS = ("信用", "风险")  # a stratum named by these is split by a class that must stay internal


@dataclass(frozen=True)
class Member:
    """One inspector of a team, as published: name and 执法证号 only."""

    cert_no: str
    name: str
    leader: bool = False


@dataclass(frozen=True)
class DrawnUnit:
    """One drawn unit with what may be published about it."""

    key: str  # the ticket key: 统一社会信用代码, else 注册号
    name: str
    stratum: str
    batch: str
    ticket_hex: str
    team: tuple[Member, ...] = ()


@dataclass(frozen=True)
class Stratum:
    """One stratum: size, number drawn and, where it reveals no class, the cutoff ticket."""

    name: str
    population: int
    drawn: int
    cutoff_hex: str | None  # None: withheld, the stratum is split or selected by more than a cutoff


@dataclass(frozen=True)
class Commitment:
    """The ceremony commitment as announced, and the entropy revealed: enough to recompute the seed."""

    hash_hex: str
    posted_at: str  # the commitment's created_at
    sources: tuple[str, ...]  # announced sources, one line each
    entropy: tuple[tuple[str, str], ...]  # (source id, values) as read out at the ceremony
    canonical_entropy: str
    document: str = ""  # the commitment's canonical JSON text, whose SHA-256 is hash_hex
    draw_at: str = ""  # when the public draw took place


@dataclass(frozen=True)
class DrawView:
    """One brigade's draw as the publishing stage sees it."""

    draw_id: str
    detachment: str
    brigade: str
    drawn_on: dt.date
    algorithm: str
    seed_hex: str
    units: tuple[DrawnUnit, ...]
    strata: tuple[Stratum, ...]
    items: tuple[tuple[str, str], ...] = ()  # (code, name) of the 抽查事项 of this draw
    commitment: Commitment | None = None
    folder: str = ""  # the record folder, relative to the archive root ("2026/文峰区/AY-2026-12")
    inspection_date: dt.date | None = None  # the planned inspection date the draw was made for

    @property
    def plan_month(self) -> str:
        """The month the inspections are planned for (the draw's month when the result names no date)."""
        day = self.inspection_date or self.drawn_on
        return f"{day.year}年{day.month}月"

    @property
    def year(self) -> int:
        """The year the draw belongs to."""
        return self.drawn_on.year

    def unit(self, key: str) -> DrawnUnit | None:
        """The drawn unit with this key, if any."""
        return next((u for u in self.units if u.key == key), None)


def public_cutoff(name: str, units: list[dict[str, Any]], withheld: frozenset[str] = frozenset()) -> str | None:
    """The stratum's cutoff ticket, or None when publishing it could reveal a risk or credit class.

    Published only if the rules do not weight the stratum by class (`withheld`), its name names no
    class, all its candidates share one cell and one probability, and every drawn ticket is below
    every undrawn one (a pure cutoff selection).
    """
    if name in withheld or any(word in name for word in CLASS_WORDS):
        return None
    candidates = [u for u in units if u.get("status") in ("drawn", "not_drawn")]
    if len({(u.get("cell"), str(u.get("probability"))) for u in candidates}) > 1:
        return None
    drawn = [u["ticket"] for u in candidates if u["status"] == "drawn"]
    rest = [u["ticket"] for u in candidates if u["status"] == "not_drawn"]
    if not drawn or (rest and max(drawn) >= min(rest)):
        return None
    return max(drawn)


def _member(entry: Any, names: dict[str, str], leader: str | None) -> Member:
    """A team member from a cert number or a {cert_no, name} mapping."""
    if isinstance(entry, dict):
        cert = str(entry.get("cert_no", ""))
        return Member(cert, str(entry.get("name") or names.get(cert, "")), bool(entry.get("leader")) or cert == leader)
    return Member(str(entry), names.get(str(entry), ""), str(entry) == leader)


def _teams(result: dict[str, Any], names: dict[str, str]) -> dict[str, tuple[Member, ...]]:
    """Teams by unit key."""
    out: dict[str, tuple[Member, ...]] = {}
    for team in result.get("teams", ()):
        leader = team.get("leader")
        out[team["unit_key"]] = tuple(_member(m, names, leader) for m in team.get("members", ()))
    return out


def _batch_order(batch: Any) -> tuple[int, int, str]:
    """Batches in numeric order, then text batches, then none."""
    if isinstance(batch, int):
        return (0, batch, "")
    return (1, 0, str(batch)) if batch else (2, 0, "")


def batch_label(batch: Any) -> str:
    """批次 as shown: 第N批 for a batch number, the text itself otherwise."""
    return f"第{batch}批" if isinstance(batch, int) else str(batch or "")


def from_result(
    result: dict[str, Any],
    draw_id: str,
    drawn_on: dt.date,
    detachment: str,
    inspector_names: dict[str, str] | None = None,
    items: tuple[tuple[str, str], ...] = (),
    commitment: Commitment | None = None,
    withheld: frozenset[str] = frozenset(),
) -> DrawView:
    """A DrawView from the canonical draw result (plain JSON); names come from its pool unless given."""
    names = {p["cert_no"]: p["name"] for p in result.get("pool", ())} | dict(inspector_names or {})
    teams = _teams(result, names)
    units = tuple(
        DrawnUnit(u["key"], u["name"], u.get("stratum") or "", batch_label(u.get("batch")), u["ticket"],
                  teams.get(u["key"], ()))
        for u in sorted(result["units"], key=lambda u: (_batch_order(u.get("batch")), u["key"]))
        if u.get("status") == "drawn"
    )
    strata = tuple(
        Stratum(s["name"], int(s["N"]), int(s["n"]),
                public_cutoff(s["name"], [u for u in result["units"] if u.get("stratum") == s["name"]], withheld))
        for s in result.get("strata", ())
    )
    return DrawView(draw_id, detachment, result["brigade"], drawn_on, str(result.get("algorithm", "")),
                    result["seed"], units, strata, items, commitment,
                    inspection_date=_date_or_none(result.get("inspection_date")))


def _date_or_none(text: Any) -> dt.date | None:
    """An ISO date from a record, or None when it is absent or not a date."""
    try:
        return dt.date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
