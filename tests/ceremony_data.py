"""Small typed factories for ceremony tests: units, inspectors, items and a stand-in for Rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from dsr.core import model

DATE = dt.date(2026, 12, 1)


@dataclass(frozen=True)
class StandInTeam:
    """Stand-in for dsr.core.rules team settings: only what freeze reads (pool) plus a size."""

    pool: tuple[str, ...]
    size: int = 2


@dataclass(frozen=True)
class StandInRules:
    """Stand-in for dsr.core.rules.Rules, used only where the real rules type is not needed."""

    team: StandInTeam
    ratio: Decimal = Decimal("0.05")


def unit(key: str, name: str = "安阳市文峰区某某商贸有限公司", brigade: str = "文峰区", **changes) -> model.Unit:
    """A 一般单位 in 文峰区 with test defaults; override any field by keyword."""
    base = model.Unit(
        key=key, name=name, credit_code=key if len(key) == 18 else None, reg_no=None, legal_rep="张三",
        address="安阳市文峰区中华路 1 号", reg_authority="安阳市文峰区市场监督管理局", brigade=brigade,
        unit_class="一般单位", key_category=None, crowded=False, public_gathering=False,
        building_category="多层", floor_area=Decimal("1200.5"), scale=None, facilities=("灭火器",),
        industry="批发和零售业", risk="一般", credit="B", status="在营",
    )
    return replace(base, **changes)


def inspector(cert_no: str, name: str = "李四", brigade: str = "文峰区", **changes) -> model.Inspector:
    """An on-duty inspector with a valid certificate; override any field by keyword."""
    base = model.Inspector(
        cert_no=cert_no, name=name, gender="男", brigade=brigade, post="防火监督", title=None,
        enforcement_since=dt.date(2015, 3, 1), years=11, cert_expiry=dt.date(2029, 6, 30),
        status="在岗", leader=True, expert=False,
    )
    return replace(base, **changes)


def item(code: str = "XF-001", name: str = "日常消防监督抽查") -> model.Item:
    """An inspection item of the 随机抽查事项清单."""
    return model.Item(
        code=code, name=name, basis="《消防监督检查规定》", subject="大队级消防救援机构",
        target="消防安全重点单位、一般单位", content="消防安全职责落实情况", method="现场检查", ratio_freq="5%/年",
    )


def directory(n_units: int = 6) -> model.Directory:
    """A directory with units in two brigades, inspectors of a brigade and the detachment, and side rows."""
    units = tuple(unit(f"K{i:03d}", f"文峰单位{i}号") for i in range(n_units))
    units += (unit("L001", "北关单位", brigade="北关区"),)
    inspectors = (
        inspector("豫A0002", "王五"), inspector("豫A0001", "赵六", gender="女"),
        inspector("豫S0001", "钱七", brigade="支队"), inspector("豫B0001", "孙八", brigade="北关区"),
    )
    conflicts = (
        model.Conflict("豫A0001", "K001", "近亲属", "本人申报", None, None),
        model.Conflict("豫B0001", "L001", "持股", "单位申请", DATE, None),
    )
    exclusions = (model.Exclusion("K002", "专项整治", dt.date(2026, 11, 1), dt.date(2026, 12, 31)),)
    return model.Directory(units, inspectors, (item("XF-002", "消防产品"), item()), conflicts, exclusions)


def rules(pool: tuple[str, ...] = ("文峰区", "支队")) -> StandInRules:
    """Stand-in rules whose team pool is 文峰区 plus 支队."""
    return StandInRules(StandInTeam(pool))


@dataclass(frozen=True)
class StandInStratum:
    """Stand-in for dsr.core.draw.StratumPlan: a stratum's name, population N and draw size n."""

    name: str
    N: int
    n: int


def stand_in_plan(inputs: model.DrawInputs) -> tuple[StandInStratum, ...]:
    """One stratum of all units, drawing half of them (rounded up)."""
    size = len(inputs.units)
    return (StandInStratum("全部", size, (size + 1) // 2),)


@dataclass(frozen=True)
class StandInResult:
    """Stand-in for dsr.core.draw.DrawResult: the drawn unit keys in ticket order."""

    drawn: tuple[str, ...]


def stand_in_draw(seed: bytes, inputs: model.DrawInputs) -> StandInResult:
    """Lowest unit tickets win, as the real draw does within a stratum."""
    from dsr.core.tickets import LABEL_UNIT, tickets

    t = tickets(seed, LABEL_UNIT, [u.key for u in inputs.units])
    order = sorted(t, key=lambda k: (t[k], k))
    return StandInResult(tuple(order[: stand_in_plan(inputs)[0].n]))
