"""`dsr check` and `dsr template` from the command line: exit codes, output, and nothing written."""

from __future__ import annotations

from dsr.cli import main
from dsr.inputs import schema
from inputs_helpers import ROOT, unit_row, write_xlsx

PARAMS = str(ROOT / "params" / "detachment.yaml")


def test_check_passes_and_prints_a_summary(tmp_path, capsys):
    """A good file exits 0 with counts per brigade and class."""
    path = write_xlsx(tmp_path / "u.xlsx", schema.UNITS.title, [unit_row()])
    assert main(["check", str(path), "--params", PARAMS, "--on", "2026-03-01"]) == 0
    out = capsys.readouterr().out
    assert "检查通过：1 个文件，0 处警告" in out
    assert "  按管辖单位：文峰区 1" in out and "  按单位类别：一般单位 1" in out


def test_check_failure_lists_errors_and_warnings_writes_nothing(tmp_path, capsys):
    """A bad file exits 1, prints each error and warning, and the folder is unchanged."""
    path = write_xlsx(tmp_path / "u.xlsx", schema.UNITS.title, [unit_row(brigade="郑州市", legal_rep="")])
    before = sorted(tmp_path.iterdir())
    assert main(["check", str(path), "--params", PARAMS, "--on", "2026-03-01"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "输入有 1 处错误、1 处警告，未写入任何文件。"
    assert err[1].startswith("错误：文件 u.xlsx，工作表 检查对象名录库，第 2 行，列「管辖单位」，值「郑州市」：不是本支队所属的大队")
    assert err[2] == "警告：文件 u.xlsx，工作表 检查对象名录库，第 2 行，列「法定代表人」：未填写"
    assert sorted(tmp_path.iterdir()) == before


def test_check_with_missing_params_is_a_usage_error(tmp_path, capsys):
    """Without a detachment.yaml the command exits 2 and says how to give one."""
    path = write_xlsx(tmp_path / "u.xlsx", schema.UNITS.title, [unit_row()])
    assert main(["check", str(path), "--params", str(tmp_path / "none.yaml")]) == 2
    assert "用 --params 指定 detachment.yaml" in capsys.readouterr().err


def test_template_writes_then_refuses(tmp_path, capsys):
    """`dsr template DIR` writes five workbooks once, then exits 2 rather than overwrite."""
    assert main(["template", str(tmp_path / "t")]) == 0
    assert len(list((tmp_path / "t").iterdir())) == 5
    assert main(["template", str(tmp_path / "t")]) == 2
    assert "不覆盖" in capsys.readouterr().err
