"""Known-answer vectors for dsr-sha256/1: fixed inputs and seed, every ticket, selection, batch and team.

Regenerate on purpose (and review the diff) with: .venv/bin/python tests/test_draw_vectors.py --write
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from dsr.core.canonical import canonical_bytes, canonical_hash, from_plain, to_plain
from dsr.core.draw import run_draw
from dsr.core.model import Conflict, DrawInputs, Exclusion, HistoryEntry, Inspector, Item, Unit
from dsr.core.rules import (
    Batches,
    Factor,
    HazardIndustry,
    LeaderRule,
    Rules,
    Stratum,
    Team,
    UnitFilter,
    rules_from_plain,
)
from dsr.core.tickets import LABEL_BATCH, LABEL_INSPECTOR, LABEL_UNIT, ticket

VECTORS = Path(__file__).resolve().parent / "vectors" / "draw.json"
SEED_TEXT = "安阳市消防救援支队·2026-12-01·🎲"


def _unit(key: str, name: str, **kw) -> Unit:
    base = Unit(key=key, name=name, credit_code=key, reg_no=None, legal_rep="王伟", address="安阳市文峰区文峰大道568号",
                reg_authority="安阳市文峰区市场监督管理局", brigade="文峰区", unit_class="一般单位", key_category=None,
                crowded=False, public_gathering=False, building_category="多层", floor_area=Decimal("1200.5"),
                scale=None, facilities=("灭火器",), industry="商贸零售", risk="一般", credit="B", status="在营")
    return replace(base, **kw)


def _key(**kw) -> dict:
    return dict(unit_class="消防安全重点单位", key_category="公众聚集场所", crowded=True, public_gathering=True, **kw)


def vector_inputs() -> DrawInputs:
    """Twelve units in three strata, five inspectors, one conflict, one exclusion, two history rows."""
    units = [
        _unit("91410502MA44A0B01X", "安阳市文峰区锦和宾馆有限公司", **_key(industry="住宿")),
        _unit("91410502MA44A0B02X", "安阳市文峰区鑫源购物中心有限公司", **_key(industry="商贸零售")),
        _unit("91410502MA44A0B03X", "安阳市文峰区华联国际影城有限公司", **_key(industry="文化娱乐")),
        _unit("91410502MA44A0B04X", "安阳市文峰区恒通化工有限公司", unit_class="消防安全重点单位",
              key_category="易燃易爆化学物品的生产、充装、储存、供应、销售单位", industry="化工", credit="C"),
        _unit("91410502MA44A0B05X", "安阳市文峰区盛世加油站", unit_class="消防安全重点单位",
              key_category="易燃易爆化学物品的生产、充装、储存、供应、销售单位", industry="加油加气站", credit="A"),
        _unit("91410502MA44A0B06X", "安阳市文峰区金鼎物流有限公司", unit_class="消防安全重点单位",
              key_category="其他发生火灾可能性较大以及一旦发生火灾可能造成重大人身伤亡或者财产损失的单位",
              industry="仓储物流", status="停业"),
        _unit("91410502MA44A0B07X", "安阳市文峰区瑞丰商贸有限公司"),
        _unit("91410502MA44A0B08X", "安阳市文峰区天成科技有限公司", industry="商务服务", credit="A"),
        _unit("91410502MA44A0B09X", "安阳市文峰区兴隆餐饮管理有限公司", industry="餐饮", credit="D"),
        _unit("91410502MA44A0B10X", "安阳市文峰区永安物业服务有限公司", industry="物业管理"),
        _unit("410502000012345", "安阳市文峰区福瑞建材市场", credit_code=None, reg_no="410502000012345"),
        _unit("91410502MA44A0B12X", "安阳市文峰区昌盛便利店", unit_class="九小场所"),
    ]
    inspectors = [
        Inspector("豫E2019001", "李建国", "男", "文峰区", "大队长", "高级", dt.date(2008, 7, 1), 18, dt.date(2028, 6, 30),
                  "在岗", True, False),
        Inspector("豫E2019002", "张秀英", "女", "文峰区", "防火监督员", None, dt.date(2015, 3, 1), 11, dt.date(2027, 1, 31),
                  "在岗", False, False),
        Inspector("豫E2019003", "王磊", "男", "文峰区", "防火监督员", None, dt.date(2019, 9, 1), 7, dt.date(2026, 11, 30),
                  "在岗", False, False),
        Inspector("豫E2019004", "赵婷", "女", "文峰区", "副大队长", "中级", dt.date(2010, 1, 1), 16, dt.date(2029, 12, 31),
                  "在岗", True, True),
        Inspector("豫E2019005", "刘志强", "男", "文峰区", "防火监督员", None, dt.date(2017, 5, 1), 9, dt.date(2029, 12, 31),
                  "休假", False, False),
        Inspector("豫E2019006", "陈晓丽", "女", "文峰区", "防火监督员", "初级", dt.date(2020, 5, 1), 6, dt.date(2030, 5, 31),
                  "在岗", False, False, ("XF-001",)),
    ]
    rules = Rules(
        brigade="文峰区", year=2026, item_code="XF-001", title="文峰区大队2026年12月消防监督抽查（测试向量）",
        strata=(
            Stratum("人员密集场所重点单位", "ALL", UnitFilter(unit_classes=("消防安全重点单位",), crowded=True)),
            Stratum("其他重点单位", "RATIO", UnitFilter(unit_classes=("消防安全重点单位",)), ratio=Decimal("0.4"),
                    minimum=1),
            Stratum("一般单位", "COUNT", UnitFilter(unit_classes=("一般单位",)), count=2),
        ),
        credit_multipliers=tuple(Factor(k, Decimal(v)) for k, v in zip("ABCD", ("0.5", "1", "1.5", "2"))),
        hazard_industries=(HazardIndustry("化工", multiplier=Decimal("1.5")),),
        priority_not_drawn_last_year=True,
        team=Team(size=2, leader=LeaderRule(True, 0), pool=("文峰区",), max_units_per_inspector=6),
        batches=Batches(2, "stratum"),
    )
    return DrawInputs(
        detachment="安阳市消防救援支队", brigade="文峰区", units=tuple(sorted(units, key=lambda u: u.key)),
        inspectors=tuple(inspectors),
        items=(Item("XF-001", "日常消防监督抽查", "《中华人民共和国消防法》", "文峰区大队", "社会单位", "消防安全职责履行情况",
                    "现场检查", "按细则"),),
        conflicts=(Conflict("豫E2019004", "91410502MA44A0B02X", "近亲属", "本人申报", dt.date(2026, 1, 1), None),),
        exclusions=(Exclusion("91410502MA44A0B10X", "专项整治", dt.date(2026, 11, 1), dt.date(2026, 12, 31)),),
        history=(HistoryEntry("91410502MA44A0B07X", "2026-文峰区-006", dt.date(2026, 6, 3), ("豫E2019001", "豫E2019002")),
                 HistoryEntry("91410502MA44A0B01X", "2025-文峰区-011", dt.date(2025, 11, 4), ("豫E2019001", "豫E2019006"))),
        rules=rules, inspection_date=dt.date(2026, 12, 1),
    )


def inputs_from_plain(d: dict) -> DrawInputs:
    """Rebuild DrawInputs from its plain form (rules by rules_from_plain)."""
    rebuilt = from_plain(DrawInputs, {**d, "rules": None})  # DrawInputs.rules is typed loosely (object)
    return replace(rebuilt, rules=rules_from_plain(d["rules"]))


def make_vectors() -> dict:
    """The vector document: inputs, seed, the labels' tickets spelled out, and the full expected result."""
    inputs = vector_inputs()
    seed = SEED_TEXT.encode("utf-8")
    result = run_draw(seed, inputs)
    first = result.teams[0]
    return {
        "algorithm": result.algorithm,
        "note": "seed = UTF-8 bytes of seed_text; expected = to_plain(run_draw(seed, inputs)); see docs/ALGORITHM-draw.md",
        "seed_text": SEED_TEXT,
        "seed_hex": seed.hex(),
        "inputs": to_plain(inputs),
        "spot_checks": {
            "unit_ticket": {"label": LABEL_UNIT, "key": inputs.units[0].key,
                            "ticket": ticket(seed, LABEL_UNIT, inputs.units[0].key).hex()},
            "batch_ticket": {"label": LABEL_BATCH, "key": inputs.units[0].key,
                             "ticket": ticket(seed, LABEL_BATCH, inputs.units[0].key).hex()},
            "inspector_ticket": {"label": LABEL_INSPECTOR, "key": f"{first.unit_key}|0",
                                 "ticket": ticket(seed, LABEL_INSPECTOR, f"{first.unit_key}|0").hex()},
        },
        "expected_sha256": canonical_hash(result),
        "expected": to_plain(result),
    }


def load() -> dict:
    """The stored vector document."""
    return json.loads(VECTORS.read_text(encoding="utf-8"))


def test_inputs_in_the_vector_file_are_the_ones_built_here():
    """The stored inputs round-trip to the very inputs this module builds."""
    doc = load()
    assert inputs_from_plain(doc["inputs"]) == vector_inputs()
    assert bytes.fromhex(doc["seed_hex"]) == doc["seed_text"].encode("utf-8")


def test_spot_check_tickets():
    """Each label's ticket recomputes from HMAC-SHA256(seed, label ‖ 0x00 ‖ key)."""
    doc = load()
    seed = bytes.fromhex(doc["seed_hex"])
    for check in doc["spot_checks"].values():
        assert ticket(seed, check["label"], check["key"]).hex() == check["ticket"]


def test_draw_reproduces_the_vector_exactly():
    """run_draw on the stored inputs and seed gives the stored result, byte for byte."""
    doc = load()
    result = run_draw(bytes.fromhex(doc["seed_hex"]), inputs_from_plain(doc["inputs"]))
    assert to_plain(result) == doc["expected"]
    assert canonical_hash(result) == doc["expected_sha256"]


def test_vector_exercises_every_rule():
    """The vector covers exclusions of four kinds, a recusal, rotation, an expired certificate and leave."""
    exp = load()["expected"]
    reasons = {u["reason"] for u in exp["units"] if u["reason"]}
    assert reasons == {"单位状态为停业", "九小场所不列入本次抽查", "不列入随机抽查：专项整治", "本年度已抽查"}
    removed = {r for t in exp["teams"] for x in t["removed"] for r in x["reasons"]}
    assert {"利害关系回避（近亲属）", "轮换：上次检查过该单位", "执法证已过期", "非在岗状态（休假）"} <= removed
    assert [len(b["units"]) for b in exp["batches"]] == [4, 3]


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        VECTORS.write_bytes(canonical_bytes(make_vectors()) + b"\n")
        print(f"wrote {VECTORS.name}")
