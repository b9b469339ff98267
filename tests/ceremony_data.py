"""Small typed factories for ceremony tests: units, inspectors, items, a directory and rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from dsr.core import model
from dsr.core.rules import Rules, Stratum, Team

DATE = dt.date(2026, 12, 1)


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
        inspector("豫B0002", "周九", brigade="北关区"),
    )
    conflicts = (
        model.Conflict("豫A0001", "K001", "近亲属", "本人申报", None, None),
        model.Conflict("豫B0001", "L001", "持股", "单位申请", DATE, None),
    )
    exclusions = (model.Exclusion("K002", "专项整治", dt.date(2026, 11, 1), dt.date(2026, 12, 31)),)
    return model.Directory(units, inspectors, (item("XF-002", "消防产品"), item()), conflicts, exclusions)


def rules(brigade: str = "文峰区", ratio: str = "0.5", pool: tuple[str, ...] = ()) -> Rules:
    """Rules drawing `ratio` of every in-business unit, teams of 2 from the brigade and the 支队."""
    stratum = Stratum("全部单位", "RATIO", ratio=Decimal(ratio), multipliers=False)
    return Rules(brigade, 2026, "XF-001", (stratum,), team=Team(size=2, pool=pool or (brigade, "支队")))

