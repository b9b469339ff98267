"""The strict rules loader (dsr/rules.py) and the rules value types (dsr/core/rules.py)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from dsr.core.canonical import canonical_bytes, to_plain
from dsr.core.rules import Factor, HazardIndustry, LeaderRule, Rules, Stratum, UnitFilter, rules_from_plain
from dsr.errors import RulesError
from dsr.rules import load_rules, load_rules_text

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "params" / "demo"
BRIGADES = ("文峰区", "北关区", "殷都区", "龙安区", "安阳县", "汤阴县", "滑县", "内黄县", "林州市")
DEMO_FILES = ("wenfeng", "beiguan", "yindu", "longan", "anyangxian", "tangyin", "huaxian", "neihuang", "linzhou")

MINIMAL = """\
brigade: 文峰区
year: 2026
item_code: XF-001
strata:
  - name: 人员密集场所重点单位
    filter: {unit_class: [消防安全重点单位], crowded: true}
    mode: ALL
  - name: 一般单位
    filter: {unit_class: 一般单位}
    mode: RATIO
    ratio: 0.05
    minimum: 1
"""


def error_of(text: str, brigades=BRIGADES) -> str:
    """The message of the RulesError the text raises."""
    with pytest.raises(RulesError) as e:
        load_rules_text(text, "test.yaml", brigades)
    return str(e.value)


def test_minimal_file_gets_documented_defaults():
    """Unset settings take the defaults of docs/RULES.md, and the pool is the own brigade."""
    r = load_rules_text(MINIMAL, "test.yaml", BRIGADES)
    assert r.strata[1] == Stratum("一般单位", "RATIO", UnitFilter(unit_classes=("一般单位",)), ratio=Decimal("0.05"),
                                  minimum=1)
    assert (r.rounding, r.exclude_drawn_this_year, r.priority_not_drawn_last_year) == ("ceil", True, False)
    assert (r.include_nine_small, r.eligible_statuses) == (False, ("在营",))
    assert (r.team.size, r.team.leader, r.team.pool, r.team.rotation) == (2, LeaderRule(True, 0), ("文峰区",), True)
    assert (r.team.max_extra_load, r.team.max_units_per_inspector) == (1, None)
    assert (r.batches.count, r.batches.order, r.witnesses.minimum) == (1, "random", 2)


def test_decimals_are_exact_and_never_floats():
    """0.1 is read as Decimal('0.1') and 0.50 as Decimal('0.5'), so canonical bytes never depend on spelling."""
    r = load_rules_text(MINIMAL.replace("0.05", "0.10") + "multipliers: {credit: {A: 0.50, D: 2}}\n", "t.yaml")
    assert r.strata[1].ratio == Decimal("0.1") and str(r.strata[1].ratio) == "0.1"
    assert r.credit_multipliers == (Factor("A", Decimal("0.5")), Factor("D", Decimal(2)))
    assert b"0.5" in canonical_bytes(r) and b"0.50" not in canonical_bytes(r)


def test_dates_stay_text():
    """A date-like title stays a string: the loader has no timestamp resolver."""
    r = load_rules_text(MINIMAL + "title: 2026-12-01\n", "t.yaml")
    assert r.title == "2026-12-01"


def test_ratio_above_one_is_refused():
    """A ratio of 1.5 names the key path and the value."""
    assert error_of(MINIMAL.replace("0.05", "1.5")) == (
        "细则文件 test.yaml 有 1 处错误：\n「strata[2].ratio」应在 0 到 1 之间，实际为 1.5"
    )


def test_ratio_below_zero_is_refused():
    """A negative ratio is refused the same way."""
    assert error_of(MINIMAL.replace("0.05", "-0.1")) == (
        "细则文件 test.yaml 有 1 处错误：\n「strata[2].ratio」应在 0 到 1 之间，实际为 -0.1"
    )


def test_negative_minimum_is_refused():
    """minimum: -1 is refused with its path."""
    assert error_of(MINIMAL.replace("minimum: 1", "minimum: -1")) == (
        "细则文件 test.yaml 有 1 处错误：\n「strata[2].minimum」不能为负数，实际为 -1"
    )


def test_misspelt_key_names_the_nearest_valid_key():
    """A misspelt key is an error that suggests the key meant."""
    assert error_of(MINIMAL.replace("ratio: 0.05", "ratoi: 0.05")) == (
        "细则文件 test.yaml 有 2 处错误：\n"
        "「strata[2].ratoi」是未知的键，是否应为「ratio」？\n"
        "「strata[2].ratio」在 mode 为 RATIO 时必填"
    )


def test_misspelt_top_level_key():
    """A misspelt top-level key is named without a path prefix."""
    assert error_of(MINIMAL + "exclude_drawn_this_yaer: false\n") == (
        "细则文件 test.yaml 有 1 处错误：\n「exclude_drawn_this_yaer」是未知的键，是否应为「exclude_drawn_this_year」？"
    )


def test_unknown_key_without_near_match_lists_valid_keys():
    """A key like nothing valid lists the keys that are allowed there."""
    assert error_of(MINIMAL + "batches: {zzz: 1}\n") == (
        "细则文件 test.yaml 有 1 处错误：\n「batches.zzz」是未知的键（可用的键：count、order）"
    )


def test_team_size_of_one_is_refused():
    """A team of one contradicts 执法检查人员不得少于两人."""
    assert error_of(MINIMAL + "team: {size: 1}\n") == (
        "细则文件 test.yaml 有 1 处错误：\n「team.size」检查组人数不得少于 2 人，实际为 1"
    )


def test_types_are_checked():
    """A float where an integer belongs, and text where true/false belongs, are both reported."""
    assert error_of(MINIMAL + "team: {size: 2.5, rotation: 是}\n") == (
        "细则文件 test.yaml 有 2 处错误：\n「team.size」应为整数，实际为「2.5」\n「team.rotation」应为布尔值（true 或 false），实际为「是」"
    )


def test_enumerations_are_checked():
    """mode, unit_class and rounding must be from their lists."""
    text = MINIMAL.replace("mode: ALL", "mode: all").replace("unit_class: 一般单位", "unit_class: 普通单位")
    assert error_of(text + "rounding: up\n") == (
        "细则文件 test.yaml 有 3 处错误：\n"
        "「strata[1].mode」应为 ALL、RATIO、COUNT 之一，实际为「all」\n"
        "「strata[2].filter.unit_class」应为 消防安全重点单位、一般单位、九小场所 之一，实际为「普通单位」\n"
        "「rounding」应为 ceil、floor、half_up 之一，实际为「up」"
    )


def test_unknown_brigade_is_refused():
    """A brigade not in the detachment's list is refused when the list is given."""
    assert error_of(MINIMAL.replace("brigade: 文峰区", "brigade: 高新区")) == (
        "细则文件 test.yaml 有 1 处错误：\n「brigade」大队「高新区」不在支队的大队名单中"
        "（应为：文峰区、北关区、殷都区、龙安区、安阳县、汤阴县、滑县、内黄县、林州市）"
    )


def test_missing_required_keys():
    """brigade, year, item_code and strata are required."""
    assert error_of("title: 空\n", None) == (
        "细则文件 test.yaml 有 4 处错误：\n缺少必填项「brigade」\n缺少必填项「year」\n缺少必填项「item_code」\n缺少必填项「strata」"
    )


def test_duplicate_yaml_key_is_refused():
    """PyYAML would keep the last of two equal keys silently; the loader refuses them."""
    assert error_of(MINIMAL + "rounding: ceil\nrounding: floor\n") == "细则文件 test.yaml：第 14 行的键「rounding」重复出现"


def test_duplicate_stratum_names_are_refused():
    """Stratum names identify cells and must be unique."""
    assert error_of(MINIMAL.replace("name: 一般单位", "name: 人员密集场所重点单位")) == (
        "细则文件 test.yaml 有 1 处错误：\n「strata[2].name」抽查层名称「人员密集场所重点单位」重复"
    )


def test_hazard_industry_needs_exactly_one_setting():
    """A hazard industry has a multiplier or a ratio override, not both."""
    text = MINIMAL + "hazard_industries:\n  化工: {multiplier: 1.5, ratio: 1}\n  加油加气站: {ratio: 1}\n"
    assert error_of(text) == "细则文件 test.yaml 有 1 处错误：\n「hazard_industries.化工」须填 multiplier 或 ratio 其中之一"
    ok = load_rules_text(MINIMAL + "hazard_industries:\n  加油加气站: {ratio: 1}\n", "t.yaml")
    assert ok.hazard_industries == (HazardIndustry("加油加气站", None, Decimal(1)),)


def test_yaml_syntax_error_names_the_line():
    """Broken YAML is reported with its line."""
    assert error_of("brigade: [文峰区\nyear: 2026\n").startswith("细则文件 test.yaml：YAML 格式错误（第 ")


def test_include_merges_mappings_key_by_key(tmp_path):
    """An including file overrides single keys of a shared mapping and keeps the rest."""
    (tmp_path / "shared.yaml").write_text(MINIMAL + "team: {size: 3, max_units_per_inspector: 9}\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("include: shared.yaml\nbrigade: 北关区\nteam: {pool: [北关区, 文峰区]}\n",
                                     encoding="utf-8")
    r = load_rules(tmp_path / "b.yaml", BRIGADES)
    assert (r.brigade, r.team.size, r.team.max_units_per_inspector, r.team.pool) == ("北关区", 3, 9, ("北关区", "文峰区"))


def test_include_of_missing_file(tmp_path):
    """A missing include is named."""
    (tmp_path / "b.yaml").write_text("include: nope.yaml\n", encoding="utf-8")
    with pytest.raises(RulesError) as e:
        load_rules(tmp_path / "b.yaml")
    assert str(e.value) == "细则文件 b.yaml：「include」找不到文件「nope.yaml」"


@pytest.mark.parametrize("stem,brigade", list(zip(DEMO_FILES, BRIGADES)))
def test_demo_rules_follow_the_seed(stem, brigade):
    """Every demo brigade draws all crowded key units, others by ratio, with teams of 2 and a 廉政监督员."""
    r = load_rules(DEMO / f"{stem}.yaml", BRIGADES)
    assert r.brigade == brigade and r.team.pool == (brigade,)
    first = r.strata[0]
    assert (first.mode, first.filter.unit_classes, first.filter.crowded) == ("ALL", ("消防安全重点单位",), True)
    assert all(s.mode == "RATIO" and 0 < s.ratio <= 1 for s in r.strata[1:])
    assert r.team.size == 2 and r.team.leader.required and "廉政监督员" in r.witnesses.required_roles
    assert r.credit_multipliers == tuple(Factor(k, Decimal(v)) for k, v in zip("ABCD", ("0.5", "1", "1.5", "2")))


def test_rules_rebuild_from_their_plain_form():
    """A verifier rebuilds the very same Rules from the frozen JSON of a record."""
    r = load_rules(DEMO / "wenfeng.yaml", BRIGADES)
    assert rules_from_plain(to_plain(r)) == r
    assert isinstance(rules_from_plain(to_plain(r)), Rules)


def test_setting_for_another_mode_is_refused():
    """A ratio on an ALL stratum would be ignored silently, so it is refused."""
    text = MINIMAL.replace("    mode: ALL\n", "    mode: ALL\n    ratio: 0.5\n")
    assert error_of(text) == "细则文件 test.yaml 有 1 处错误：\n「strata[1].ratio」只在 mode 为 RATIO 时使用，本层 mode 为 ALL"
