"""Typed factories with test defaults for the draw, teams and rules tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from dsr.core.model import Conflict, DrawInputs, Exclusion, HistoryEntry, Inspector, Item, Unit
from dsr.core.rules import Batches, Factor, HazardIndustry, Rules, Stratum, Team, UnitFilter

DAY = dt.date(2026, 12, 1)
BRIGADE = "文峰区"
ITEM = Item("XF-001", "消防安全检查", "消防法", "大队", "社会单位", "消防安全职责", "现场检查", "按细则")


def unit(key: str, **kw) -> Unit:
    """A 在营 一般单位 of the test brigade; override any field by keyword."""
    base = Unit(
        key=key, name=f"安阳市测试单位{key[-4:]}有限公司", credit_code=key, reg_no=None, legal_rep="张三",
        address="文峰大道1号", reg_authority="安阳市市场监督管理局", brigade=BRIGADE, unit_class="一般单位",
        key_category=None, crowded=False, public_gathering=False, building_category=None, floor_area=None,
        scale=None, facilities=(), industry="商贸", risk="一般", credit="B", status="在营",
    )
    return replace(base, **kw)


def crowded_key(key: str, **kw) -> Unit:
    """A 人员密集场所 消防安全重点单位."""
    return unit(key, unit_class="消防安全重点单位", crowded=True, key_category="公众聚集场所", **kw)


def other_key(key: str, **kw) -> Unit:
    """A 消防安全重点单位 that is not a crowded place."""
    return unit(key, unit_class="消防安全重点单位", key_category="重要的科研单位", **kw)


def inspector(cert: str, **kw) -> Inspector:
    """An on-duty inspector of the test brigade, valid certificate, may lead."""
    base = Inspector(
        cert_no=cert, name=f"检查员{cert[-3:]}", gender="男", brigade=BRIGADE, post="监督员", title=None,
        enforcement_since=None, years=5, cert_expiry=dt.date(2030, 1, 1), status="在岗", leader=True,
        expert=False, items=(),
    )
    return replace(base, **kw)


def strata() -> tuple[Stratum, ...]:
    """The seed's strata: crowded key units all, other key units 20 %, general units 5 %."""
    return (
        Stratum("人员密集场所重点单位", "ALL", UnitFilter(unit_classes=("消防安全重点单位",), crowded=True)),
        Stratum("其他重点单位", "RATIO", UnitFilter(unit_classes=("消防安全重点单位",)), ratio=Decimal("0.2"),
                minimum=1),
        Stratum("一般单位", "RATIO", UnitFilter(unit_classes=("一般单位",)), ratio=Decimal("0.05"), minimum=1),
    )


def rules(**kw) -> Rules:
    """Rules with the seed's strata, team of 2 with a leader, 2 batches."""
    base = Rules(
        brigade=BRIGADE, year=2026, item_code="XF-001", strata=strata(),
        team=Team(size=2, pool=(BRIGADE,)), batches=Batches(count=2),
    )
    return replace(base, **kw)


def multiplier_rules(**kw) -> Rules:
    """The seed rules with the demo's credit multipliers and one hazard industry."""
    credit = tuple(Factor(k, Decimal(v)) for k, v in (("A", "0.5"), ("B", "1"), ("C", "1.5"), ("D", "2")))
    kw.setdefault("hazard_industries", (HazardIndustry("化工", multiplier=Decimal("1.5")),))
    return rules(credit_multipliers=credit, **kw)


def inputs(units, inspectors, rules_=None, *, conflicts=(), exclusions=(), history=(), day=DAY) -> DrawInputs:
    """DrawInputs for the test brigade, tuples sorted the way freeze sorts them."""
    return DrawInputs(
        detachment="安阳市消防救援支队", brigade=BRIGADE, units=tuple(sorted(units, key=lambda u: u.key)),
        inspectors=tuple(sorted(inspectors, key=lambda i: i.cert_no)), items=(ITEM,),
        conflicts=tuple(conflicts), exclusions=tuple(exclusions), history=tuple(history),
        rules=rules_ or rules(), inspection_date=day,
    )


def keys(prefix: str, n: int) -> list[str]:
    """n distinct 18-character unit keys (format only; the draw does not check them)."""
    return [f"{prefix}{i:0{18 - len(prefix)}d}" for i in range(n)]


__all__ = [
    "BRIGADE",
    "DAY",
    "Conflict",
    "Exclusion",
    "HistoryEntry",
    "crowded_key",
    "inputs",
    "inspector",
    "keys",
    "multiplier_rules",
    "other_key",
    "rules",
    "strata",
    "unit",
]
