"""A one-brigade ceremony whose unit and inspector names are hostile text, and scanners for every kind of output."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from batch_helpers import dsr_command, dsr_env, write_ceremony, write_workbooks

from .builders import edit_yaml

BRIGADE = "文峰区"
CEREMONY_ID = "HOSTILE-2026-12"
LONG = "长" * 250 + "x" * 250  # 500 characters
CONTROL = "控制\x07字符\x1b[31m红"
NUL = "空\x00字符"
UNIT_NAMES = (
    "<script>alert(1)</script>商店",
    "\"><img src=x onerror=alert(2)>公司",
    "+1 商贸",
    "-1 商贸",
    "@SUM(1) 商贸",
    "../../etc/passwd",
    "a/b\\c 商行",
    LONG,
    "\u202eevil.exe\u202c 右向左",
    "🔥🚒 消防用品店",
    CONTROL,
    NUL,
)
INSPECTOR_NAMES = ("<script>alert(3)</script>", "+李四", "@王五", "-赵六", "../钱七", "\u202e孙八", "🔥周九", "长" * 500)
FORMULA_PREFIXES = ("=", "+", "-", "@")


def _rows(path: Path) -> list[list]:
    wb = load_workbook(path, read_only=True)
    rows = [list(r) for r in wb[path.stem].iter_rows(values_only=True)]
    wb.close()
    return rows


def _to_csv(path: Path, rows: list[list]) -> Path:
    target = path.with_suffix(".csv")
    buf = io.StringIO()
    csv.writer(buf).writerows([["" if v is None else v for v in r] for r in rows])
    target.write_text(buf.getvalue(), encoding="utf-8")
    path.unlink()
    return target


def build(base: Path, units: tuple[str, ...] = UNIT_NAMES, inspectors: tuple[str, ...] = INSPECTOR_NAMES) -> Path:
    """Write the hostile ceremony under `base`: units and inspectors as CSV (xlsx cannot hold NUL), every unit drawn."""
    data = base / "data"
    write_workbooks(data, brigades=(BRIGADE,), sizes={BRIGADE: 16})
    rules = {"strata": [{"name": "全部<b>单位</b>", "mode": "ALL"}], "include_nine_small": True,
             "eligible_statuses": ["在营"]}
    path = write_ceremony(base, brigades=(BRIGADE,), ceremony_id=CEREMONY_ID, rules_overrides={BRIGADE: rules})
    unit_rows = _rows(data / "检查对象名录库.xlsx")
    head = unit_rows[0]
    for row, name in zip(unit_rows[1:], units):
        row[head.index("单位名称")] = name
        row[head.index("状态")] = "在营"
    _to_csv(data / "检查对象名录库.xlsx", unit_rows)
    people = _rows(data / "执法检查人员名录库.xlsx")
    mine = [r for r in people[1:] if r[people[0].index("单位")] == BRIGADE]
    for row, name in zip(mine, inspectors):
        row[people[0].index("姓名")] = name
    _to_csv(data / "执法检查人员名录库.xlsx", people)
    edit_yaml(path, lambda d: d.update(inputs=sorted(f"data/{p.name}" for p in data.iterdir()), **_dates()))
    return path


def _dates() -> dict[str, str]:
    """Ceremony dates just before today, so results can be entered (检查日期 between the draw and today)."""
    today = dt.date.today()
    return {"commit_at": f"{today - dt.timedelta(days=4)}T09:00:00+08:00",
            "draw_at": f"{today - dt.timedelta(days=3)}T10:00:00+08:00",
            "inspection_date": str(today - dt.timedelta(days=2))}


def dsr(base: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `dsr args…` as a subprocess in `base`."""
    return subprocess.run(dsr_command(*args), cwd=base, env=dsr_env(), capture_output=True, text=True,
                          timeout=timeout)


# ---------------------------------------------------------------- scanners


def files(root: Path) -> list[Path]:
    """Every regular file under root."""
    return sorted(p for p in root.rglob("*") if p.is_file())


def cells_of_xlsx(path: Path) -> list[tuple[str, str, object]]:
    """(sheet, coordinate, value) of every non-empty string cell whose text is data, not a formula."""
    wb = load_workbook(path)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    out.append((ws.title, c.coordinate, c.value, c.data_type))
    return out


def formula_cells(path: Path) -> list[str]:
    """Cells that Excel would evaluate: formulas, or strings a spreadsheet would read as one."""
    bad = []
    for sheet, coord, value, kind in cells_of_xlsx(path):
        if kind == "f" or (isinstance(value, str) and value.startswith(FORMULA_PREFIXES)):
            bad.append(f"{path.name}!{sheet}!{coord}={value!r}")
    return bad


def formula_fields_csv(path: Path) -> list[str]:
    """CSV fields that a spreadsheet would read as a formula."""
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    return [f"{path.name}:{i}:{f!r}" for i, row in enumerate(csv.reader(io.StringIO(text)), 1)
            for f in row if f.startswith(FORMULA_PREFIXES)]


def xlsx_in_zip_has_no_formula(path: Path) -> bool:
    """No <f> element anywhere in the workbook XML (belt and braces for openpyxl's data_type)."""
    with zipfile.ZipFile(path) as z:
        return not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in z.namelist() if n.endswith(".xml"))
