"""Rules (抽查工作细则) as frozen values: strata, ratios, multipliers, teams, batches, witnesses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dsr.core.canonical import decimal_from_text

MODES = ("ALL", "RATIO", "COUNT")
ROUNDINGS = ("ceil", "floor", "half_up")
BATCH_ORDERS = ("random", "stratum")


@dataclass(frozen=True)
class UnitFilter:
    """Which units a stratum takes; an empty tuple or None means "any"."""

    unit_classes: tuple[str, ...] = ()  # 单位类别
    crowded: bool | None = None  # 人员密集场所
    public_gathering: bool | None = None  # 公众聚集场所
    key_categories: tuple[str, ...] = ()  # 重点单位类别
    industries: tuple[str, ...] = ()  # 行业


@dataclass(frozen=True)
class Stratum:
    """One 抽查层: a filter and how many of its units are drawn."""

    name: str
    mode: str  # one of MODES
    filter: UnitFilter = UnitFilter()
    ratio: Decimal | None = None  # RATIO: base ratio in [0, 1]
    count: int | None = None  # COUNT: units to draw
    minimum: int = 0  # per cell, for cells whose effective ratio is above 0
    maximum: int | None = None  # per cell
    multipliers: bool = True  # RATIO: apply credit/risk/hazard multipliers
    exclude_drawn_this_year: bool | None = None  # None: the rules' default


@dataclass(frozen=True)
class Factor:
    """A multiplier for one credit level (A–D) or one risk level (低 … 高)."""

    level: str
    value: Decimal


@dataclass(frozen=True)
class HazardIndustry:
    """A 行业 with a raised ratio: a multiplier, or a ratio that replaces the effective ratio."""

    industry: str
    multiplier: Decimal | None = None
    ratio: Decimal | None = None


@dataclass(frozen=True)
class LeaderRule:
    """Who may lead a team (组长): 可任组长=是 if `required`, and at least `min_years` of service."""

    required: bool = True
    min_years: int = 0


@dataclass(frozen=True)
class Team:
    """Inspector teams: size, leader, pool of brigades, rotation and workload caps."""

    size: int = 2
    leader: LeaderRule = LeaderRule()
    pool: tuple[str, ...] = ()  # brigades whose inspectors may serve; the loader fills in the own brigade
    rotation: bool = True  # nobody inspects a unit they inspected at its last draw
    max_extra_load: int = 1  # per batch: ⌈slots / eligible⌉ + max_extra_load
    max_units_per_inspector: int | None = None  # per draw, hard; also the capacity rule of plan()


@dataclass(frozen=True)
class Batches:
    """How drawn units are split into ordered 批次."""

    count: int = 1
    order: str = "random"  # one of BATCH_ORDERS


@dataclass(frozen=True)
class Witnesses:
    """Who must witness the ceremony (checked by the ceremony, not the draw)."""

    minimum: int = 2
    required_roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rules:
    """One brigade's 抽查工作细则 for one item and year."""

    brigade: str
    year: int
    item_code: str
    strata: tuple[Stratum, ...]
    credit_multipliers: tuple[Factor, ...] = ()  # missing level: 1
    risk_multipliers: tuple[Factor, ...] = ()  # missing level: 1
    hazard_industries: tuple[HazardIndustry, ...] = ()
    rounding: str = "ceil"  # one of ROUNDINGS
    exclude_drawn_this_year: bool = True
    priority_not_drawn_last_year: bool = False
    include_nine_small: bool = False
    eligible_statuses: tuple[str, ...] = ("在营",)
    team: Team = Team()
    batches: Batches = Batches()
    witnesses: Witnesses = Witnesses()
    title: str | None = None  # 细则名称, for display


def _dec(value: Any) -> Decimal | None:
    return None if value is None else decimal_from_text(str(value))


def _factors(items: list[dict[str, Any]]) -> tuple[Factor, ...]:
    return tuple(Factor(f["level"], decimal_from_text(f["value"])) for f in items)


def _filter_from_plain(d: dict[str, Any]) -> UnitFilter:
    return UnitFilter(
        unit_classes=tuple(d["unit_classes"]),
        crowded=d["crowded"],
        public_gathering=d["public_gathering"],
        key_categories=tuple(d["key_categories"]),
        industries=tuple(d["industries"]),
    )


def _stratum_from_plain(d: dict[str, Any]) -> Stratum:
    return Stratum(
        name=d["name"],
        mode=d["mode"],
        filter=_filter_from_plain(d["filter"]),
        ratio=_dec(d["ratio"]),
        count=d["count"],
        minimum=d["minimum"],
        maximum=d["maximum"],
        multipliers=d["multipliers"],
        exclude_drawn_this_year=d["exclude_drawn_this_year"],
    )


def _team_from_plain(d: dict[str, Any]) -> Team:
    return Team(
        size=d["size"],
        leader=LeaderRule(**d["leader"]),
        pool=tuple(d["pool"]),
        rotation=d["rotation"],
        max_extra_load=d["max_extra_load"],
        max_units_per_inspector=d["max_units_per_inspector"],
    )


def rules_from_plain(d: dict[str, Any]) -> Rules:
    """Rebuild Rules from `dsr.core.canonical.to_plain(rules)`, e.g. the frozen JSON of a record."""
    return Rules(
        brigade=d["brigade"],
        year=d["year"],
        item_code=d["item_code"],
        strata=tuple(_stratum_from_plain(s) for s in d["strata"]),
        credit_multipliers=_factors(d["credit_multipliers"]),
        risk_multipliers=_factors(d["risk_multipliers"]),
        hazard_industries=tuple(
            HazardIndustry(h["industry"], _dec(h["multiplier"]), _dec(h["ratio"])) for h in d["hazard_industries"]
        ),
        rounding=d["rounding"],
        exclude_drawn_this_year=d["exclude_drawn_this_year"],
        priority_not_drawn_last_year=d["priority_not_drawn_last_year"],
        include_nine_small=d["include_nine_small"],
        eligible_statuses=tuple(d["eligible_statuses"]),
        team=_team_from_plain(d["team"]),
        batches=Batches(**d["batches"]),
        witnesses=Witnesses(d["witnesses"]["minimum"], tuple(d["witnesses"]["required_roles"])),
        title=d["title"],
    )


def team_pool(rules: Rules) -> tuple[str, ...]:
    """The brigades whose inspectors may serve: the configured pool, else the own brigade."""
    return rules.team.pool or (rules.brigade,)
