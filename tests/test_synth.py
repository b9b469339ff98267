"""Tests of dsr.synth: the 安阳 demo workbooks and the large synthetic directories."""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from python_calamine import CalamineWorkbook

from dsr import synth
from dsr.core import model
from dsr.inputs import schema, uscc

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo" / "data"
CODE = "统一社会信用代码（注册号）"


def _sheet(path: Path) -> tuple[str, list[list]]:
    """Sheet name and all rows of a one-sheet workbook, as calamine reads them."""
    wb = CalamineWorkbook.from_path(str(path))
    (name,) = wb.sheet_names
    return name, wb.get_sheet_by_name(name).to_python()


def _dicts(kind: str, rows: list[tuple]) -> list[dict]:
    """Rows of one demo sheet as header → value dicts."""
    headers = [c.header for c in schema.SHEETS[kind].columns]
    return [dict(zip(headers, r, strict=True)) for r in rows]


@pytest.fixture(scope="module")
def demo() -> dict[str, list[dict]]:
    """The demo set as dicts, generated once for the module."""
    return {kind: _dicts(kind, rows) for kind, rows in synth.demo_rows().items()}


def _as_read(value: object) -> object:
    """A generated value as calamine reads it back from the workbook: numbers as float, empty as ''."""
    if value is None:
        return ""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return float(value)
    return value


# ------------------------------------------------------------ determinism and the committed files


def test_same_seed_gives_same_rows_and_other_seed_differs(demo: dict) -> None:
    """The generator is a function of its seed: same seed, same rows; another seed, other units."""
    assert _dicts("units", synth.demo_rows()["units"]) == demo["units"]
    small = {"文峰区": 40}
    one, two = (synth.demo_units(random.Random(s), synth.ANYANG[:1], small) for s in (5, 6))
    assert one == synth.demo_units(random.Random(5), synth.ANYANG[:1], small) and one != two


def test_committed_demo_equals_fresh_generation_cell_by_cell() -> None:
    """Every committed demo workbook holds, cell by cell, exactly what the generator makes now."""
    for kind, rows in synth.demo_rows().items():
        sheet = schema.SHEETS[kind]
        _, cells = _sheet(DEMO / f"{sheet.title}.xlsx")
        assert cells[1:] == [[_as_read(v) for v in row] for row in rows], sheet.title


def test_workbooks_are_byte_stable(tmp_path: Path) -> None:
    """Zip timestamps and the modified time are fixed, so writing twice gives identical bytes (no git churn)."""
    rows = synth.demo_rows()["inspectors"]
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    synth.write_workbook(first, schema.INSPECTORS, rows)
    synth.write_workbook(second, schema.INSPECTORS, rows)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as z:
        assert {i.date_time for i in z.infolist()} == {synth.FIXED_TIME.timetuple()[:6]}
        assert b"2026-11-01T08:00:00Z</dcterms:modified>" in z.read("docProps/core.xml")


def test_committed_files_stay_small() -> None:
    """Each committed workbook is well under 2 MB."""
    for path in DEMO.glob("*.xlsx"):
        assert path.stat().st_size < 1_000_000, path.name


def test_headers_and_sheet_titles_equal_the_schema() -> None:
    """Each workbook has one sheet named for its input, header row exactly the schema's headers."""
    for sheet in schema.SHEETS.values():
        name, rows = _sheet(DEMO / f"{sheet.title}.xlsx")
        assert name == sheet.title
        assert rows[0] == [c.header for c in sheet.columns]


def test_builtin_brigades_match_params() -> None:
    """synth.ANYANG agrees with params/detachment.yaml, which demo/generate.py reads."""
    data = yaml.load((ROOT / "params" / "detachment.yaml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    assert [(b.name, b.division, b.full_name) for b in synth.ANYANG] == [
        (b["name"], b["division"], b["full_name"]) for b in data["brigades"]
    ]
    assert data["city_division"] == synth.CITY_DIVISION and data["detachment"] == synth.DETACHMENT


# ------------------------------------------------------------ units


def test_every_credit_code_is_valid_except_the_marked_legacy_ones(demo: dict) -> None:
    """18-char codes pass GB 32100 unless flagged 历史代码=是; 3–5 legacy codes exist and all of them fail."""
    legacy = [u for u in demo["units"] if u["历史代码"] == "是"]
    assert 3 <= len(legacy) <= 5
    assert all(not uscc.is_valid(u[CODE]) for u in legacy)
    others = [u[CODE] for u in demo["units"] if u["历史代码"] != "是" and len(u[CODE]) == 18]
    assert others and all(uscc.is_valid(c) for c in others)


def test_some_units_have_only_a_registration_number(demo: dict) -> None:
    """About 2 % of units carry a 15-digit 注册号 instead of a credit code."""
    codes = [u[CODE] for u in demo["units"]]
    regs = [c for c in codes if len(c) != 18]
    assert all(uscc.is_reg_no(c) for c in regs)
    assert 0.01 <= len(regs) / len(codes) <= 0.03


def test_keys_unique_and_names_unique_within_a_brigade(demo: dict) -> None:
    """No two units share a key; no brigade has two units of the same name."""
    units = demo["units"]
    assert len({u[CODE] for u in units}) == len(units)
    assert len({(u["管辖单位"], u["单位名称"]) for u in units}) == len(units)


def test_division_code_is_the_brigades_or_the_citys(demo: dict) -> None:
    """Positions 3–8 of the code are the brigade's division code, a few the city's (410500)."""
    division = {b.name: b.division for b in synth.ANYANG}
    found = Counter(
        "own" if u[CODE][2:8] == division[u["管辖单位"]] else u[CODE][2:8] for u in demo["units"] if len(u[CODE]) == 18
    )
    assert set(found) == {"own", synth.CITY_DIVISION}
    assert found[synth.CITY_DIVISION] < found["own"] / 10


def test_registration_authority_matches_the_codes_first_character(demo: dict) -> None:
    """9 → 市场监督管理局, 5 → 民政局, 1 → 机构编制委员会办公室; a city-level code → 安阳市's own authority."""
    expect = {"9": "市场监督管理局", "5": "民政局", "1": "机构编制委员会办公室"}
    for u in demo["units"]:
        code = u[CODE]
        if len(code) == 18:
            assert u["登记机关"].endswith(expect[code[0]]), u
            if code[2:8] == synth.CITY_DIVISION:
                assert u["登记机关"] == "安阳市" + expect[code[0]]


def test_class_shares_are_as_in_the_brief(demo: dict) -> None:
    """About 6 % crowded key units, 6 % other key units, 50 % 一般单位, 38 % 九小场所."""
    units = demo["units"]
    share = Counter((u["单位类别"], u["人员密集场所"] if u["单位类别"] == "消防安全重点单位" else "") for u in units)
    n = len(units)
    assert 4500 <= n <= 5500
    assert 0.045 <= share[("消防安全重点单位", "是")] / n <= 0.075
    assert 0.045 <= share[("消防安全重点单位", "否")] / n <= 0.075
    assert 0.45 <= share[("一般单位", "")] / n <= 0.55
    assert 0.33 <= share[("九小场所", "")] / n <= 0.43


def test_values_come_from_the_schemas_vocabularies(demo: dict) -> None:
    """Enumerated columns hold only allowed values; 行业 only the documented vocabulary."""
    for u in demo["units"]:
        assert u["单位类别"] in model.UNIT_CLASSES and u["状态"] in model.UNIT_STATUSES
        assert u["风险等级"] in model.RISK_LEVELS and u["信用等级"] in model.CREDIT_LEVELS
        assert u["行业"] in synth.INDUSTRIES and u["建筑类别"] in schema.BUILDING_CATEGORIES
        assert set(u["消防设施类别"].split("、")) <= set(schema.FACILITIES)
        assert (u["重点单位类别"] in schema.KEY_CATEGORIES) == (u["单位类别"] == "消防安全重点单位")


def test_hazard_industries_and_missing_legal_reps_occur(demo: dict) -> None:
    """Hazard-prone industries appear, and some units have no 法定代表人 (a warning for the checker)."""
    industries = Counter(u["行业"] for u in demo["units"])
    for hazard in ("化工", "加油加气站", "仓储物流", "纺织服装", "家具制造"):
        assert industries[hazard] >= 5, hazard
    assert sum(u["法定代表人"] is None for u in demo["units"]) >= 10


# ------------------------------------------------------------ inspectors


def test_inspectors_per_brigade_and_at_the_detachment(demo: dict) -> None:
    """6–10 inspectors in every brigade and 4–6 at the 支队."""
    count = Counter(p["单位"] for p in demo["inspectors"])
    assert all(6 <= count[b.name] <= 10 for b in synth.ANYANG), count
    assert 4 <= count[synth.DETACHMENT_UNIT] <= 6
    assert set(count) == {b.name for b in synth.ANYANG} | {synth.DETACHMENT_UNIT}


def test_every_brigade_keeps_a_drawable_team(demo: dict) -> None:
    """On the demo date every brigade has ≥ 5 on-duty inspectors with valid certificates, ≥ 2 of them leaders."""
    for b in synth.ANYANG:
        ready = [p for p in demo["inspectors"]
                 if p["单位"] == b.name and p["状态"] == "在岗" and p["执法证有效期至"] >= synth.DEMO_DATE]
        assert len(ready) >= 5, b.name
        assert sum(p["可任组长"] == "是" for p in ready) >= 2, b.name


def test_some_certificates_expired_and_some_inspectors_away(demo: dict) -> None:
    """The demo exercises the filters: expired certificates, and 休假 / 借调 statuses."""
    people = demo["inspectors"]
    assert sum(p["执法证有效期至"] < synth.DEMO_DATE for p in people) >= 2
    statuses = Counter(p["状态"] for p in people)
    assert statuses["休假"] >= 1 and statuses["借调"] >= 1 and statuses["在岗"] > len(people) * 0.8


def test_certificate_numbers_unique_plain_ascii(demo: dict) -> None:
    """执法证号 are unique and upper-case letters and digits only."""
    certs = [p["执法证号"] for p in demo["inspectors"]]
    assert len(set(certs)) == len(certs)
    assert all(c.isascii() and c.isalnum() and c == c.upper() for c in certs)


def test_years_or_start_date_always_given_and_consistent(demo: dict) -> None:
    """Each inspector has 执法工作年限 or its start date; when both are given they agree on the demo date."""
    for p in demo["inspectors"]:
        since, years = p["执法工作起始日期"], p["执法工作年限"]
        assert since is not None or years is not None
        if since is not None and years is not None:
            d = synth.DEMO_DATE
            assert d.year - since.year - ((d.month, d.day) < (since.month, since.day)) == years


# ------------------------------------------------------------ items, conflicts, exclusions


def test_items_have_every_column_filled(demo: dict) -> None:
    """3–5 items, unique codes, no empty cell."""
    items = demo["items"]
    assert 3 <= len(items) <= 5
    assert len({i["事项编码"] for i in items}) == len(items)
    assert all(v for i in items for v in i.values())


def test_conflicts_pair_an_inspector_and_a_unit_of_the_same_brigade(demo: dict) -> None:
    """Every conflict names a real inspector and a real unit of that inspector's brigade; some have ended."""
    brigade_of_unit = {u[CODE]: u["管辖单位"] for u in demo["units"]}
    brigade_of_person = {p["执法证号"]: p["单位"] for p in demo["inspectors"]}
    rows = demo["conflicts"]
    assert 20 <= len(rows) <= 30
    for c in rows:
        assert brigade_of_unit[c[CODE]] == brigade_of_person[c["执法证号"]]
        assert c["利害关系类型"] in model.CONFLICT_TYPES and c["来源"] in schema.CONFLICT_SOURCES
    assert any(c["失效日期"] and c["失效日期"] < synth.DEMO_DATE for c in rows)


def test_exclusions_name_real_units_with_known_reasons(demo: dict) -> None:
    """Exclusions are distinct existing units with an allowed reason; some are over by the demo date."""
    keys = {u[CODE] for u in demo["units"]}
    rows = demo["exclusions"]
    assert 25 <= len(rows) <= 35 and len({e[CODE] for e in rows}) == len(rows)
    assert all(e[CODE] in keys and e["原因"] in model.EXCLUSION_REASONS for e in rows)
    assert any(e["结束日期"] and e["结束日期"] < synth.DEMO_DATE for e in rows)
    assert any(e["结束日期"] is None or e["结束日期"] >= synth.DEMO_DATE for e in rows)


# ------------------------------------------------------------ code helpers


def test_organisation_check_of_the_worked_example() -> None:
    """GB 11714 check of 59467239 is 9 (the worked example in the domain notes)."""
    assert synth._org_check("59467239") == "9"


def test_credit_code_helper_gives_valid_codes() -> None:
    """credit_code() yields a GB 32100-valid code with the requested parts."""
    code = synth.credit_code("92", "410581", "MA4F8TQ2")
    assert uscc.is_valid(code) and code.startswith("92410581MA4F8TQ2")


def test_registration_number_check_digit_catches_any_single_digit_change() -> None:
    """MOD 11,10 detects every single-digit error, so a changed digit never keeps the check digit right."""
    number = synth.reg_no("410502", 12345678)
    assert uscc.is_reg_no(number)
    for pos in range(14):
        for digit in "0123456789":
            if digit != number[pos]:
                changed = number[:pos] + digit + number[pos + 1:14]
                assert synth.reg_no(changed[:6], int(changed[6:])) != changed + number[14]


# ------------------------------------------------------------ large synthetic directories


def test_synth_detachment_extends_the_real_brigades() -> None:
    """The first 9 brigades are Anyang's; the rest are invented, with distinct names and division codes."""
    brigades = synth.synth_detachment(150)
    assert brigades[:9] == synth.ANYANG and len(brigades) == 150
    assert len({b.name for b in brigades}) == len({b.division for b in brigades}) == 150


def test_synth_units_rows_have_valid_unique_keys() -> None:
    """synth_units gives rows in schema order whose keys are unique valid codes or 注册号."""
    rows = list(synth.synth_units(3000, seed=4))
    keys = [r[1] for r in rows]
    assert len(set(keys)) == 3000 and len({(r[5], r[0]) for r in rows}) == 3000
    assert all(uscc.is_valid(k) if len(k) == 18 else uscc.is_reg_no(k) for k in keys)
    assert all(len(r) == len(schema.UNITS.columns) for r in rows)


def test_write_units_xlsx_reads_back(tmp_path: Path) -> None:
    """The benchmark workbook has the units sheet, the schema headers and `n` data rows."""
    path = tmp_path / "units.xlsx"
    synth.write_units_xlsx(path, 200, seed=2)
    name, rows = _sheet(path)
    assert name == schema.UNITS.title and rows[0] == list(synth.SYNTH_UNIT_HEADERS) and len(rows) == 201
    assert rows[1][1] == next(synth.synth_units(200, seed=2))[1]


def test_synth_directory_is_whole_deterministic_and_consistent() -> None:
    """synth_directory's Units are complete and equal to normally built ones; same seed, same directory."""
    d = synth.synth_directory(2000, n_brigades=12, n_inspectors=40, seed=9)
    assert d == synth.synth_directory(2000, n_brigades=12, n_inspectors=40, seed=9)
    assert {u.key for u in d.units} != {u.key for u in synth.synth_directory(2000, 12, 40, seed=10).units}
    assert all(model.Unit(**vars(u)) == u for u in d.units[:500])
    assert len({u.key for u in d.units}) == 2000 and len({u.brigade for u in d.units}) == 12
    assert all(uscc.is_valid(u.credit_code) for u in d.units if u.credit_code)
    brigade_of = {u.key: u.brigade for u in d.units}
    person = {p.cert_no: p for p in d.inspectors}
    assert all(brigade_of[c.unit_key] == person[c.cert_no].brigade for c in d.conflicts)
    assert all(e.unit_key in brigade_of for e in d.exclusions) and len(d.exclusions) == 2
    assert Counter(p.brigade for p in d.inspectors if p.leader).most_common()[-1][1] >= 2


def test_synth_rows_and_objects_describe_the_same_units() -> None:
    """The workbook rows and the Unit objects for one seed agree on key, name and brigade."""
    brigades = synth.synth_detachment(9)
    rows = list(synth.synth_units(500, brigades, seed=3))
    units = synth.synth_unit_objects(500, brigades, seed=3)
    assert [(r[1], r[0], r[5]) for r in rows] == [(u.key, u.name, u.brigade) for u in units]
    assert dt.date(2030, 12, 31) == synth.synth_inspectors(3, brigades, 1)[0].cert_expiry


def test_plain_xlsx_round_trips_text_numbers_and_empty_cells(tmp_path: Path) -> None:
    """The streaming writer keeps markup characters, numbers and empty cells as they were."""
    path = tmp_path / "plain.xlsx"
    synth.write_plain_xlsx(path, "表<1>", ("甲", "乙", "丙"), iter([("A&B <c>", Decimal("12.50"), None), ("x", 3, "y")]))
    name, rows = _sheet(path)
    assert name == "表<1>"
    assert rows == [["甲", "乙", "丙"], ["A&B <c>", 12.5, ""], ["x", 3.0, "y"]]
