"""The commands end to end over an archive-shaped folder: results template, import, review, publish, status."""

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

import publish_data as data
from dsr.archive.ledger import LEDGER_NAME, Ledger
from dsr.archive.store import Archive
from dsr.cli import main
from dsr.publish import results as r

PARAMS = str(Path(__file__).resolve().parents[1] / "params" / "detachment.yaml")


@pytest.fixture
def root(tmp_path):
    """An archive root holding one recorded draw (record.json + commitment) and a ledger."""
    root = tmp_path / "outputs"
    record = {"record_id": data.DRAW_ID, "created_at": "2026-09-01T10:00:00+08:00",
              "header": {"detachment": "安阳市消防救援支队", "brigade": "文峰区", "item_code": "XF-001",
                         "draw_at": "2026-09-01T09:30:00+08:00"},
              "commitment": data.COMMITMENT_DOC,
              "entropy": {"values": {"lottery": ["3", "1", "4", "1", "5"]}, "canonical": data.CANONICAL_ENTROPY},
              "seed": data.SEED.hex(), "draw": data.draw_result()}
    files = {"record.json": json.dumps(record, ensure_ascii=False).encode(),
             "inputs/commitment.json": json.dumps(data.COMMITMENT_DOC, ensure_ascii=False).encode()}
    archive = Archive(root)
    with Ledger(root / LEDGER_NAME, root) as ledger, archive.batch_lock():
        ledger.append("commit", at="2026-08-28T10:00:00+08:00", commitment_hash=data.COMMIT_HASH)
        folder = archive.write_record(2026, "文峰区", "AY-2026-09", files)
        ledger.append_record(archive.folder_refs(folder), at="2026-09-01T10:00:00+08:00", brigade="文峰区",
                             draw_id="AY-2026-09")
    return root


def _fill(path, row, values):
    book = openpyxl.load_workbook(path)
    for header, value in values.items():
        book[r.RESULTS_SHEET].cell(row, r.HEADERS.index(header) + 1, value)
    book.save(path)


def _checks(value="符合"):
    return {h: value for h in r.HEADERS if h.startswith(r.CHECK_PREFIX)}


def test_full_cycle_publishes_only_reviewed_results(root, tmp_path, capsys):
    """Template ▶ import (已录入) ▶ publish refused ▶ review ▶ publish writes the site and the credit export."""
    book = tmp_path / "结果.xlsx"
    assert main(["results", "template", "--root", str(root), "--draw", data.DRAW_ID, "--out", str(book)]) == 0
    _fill(book, 2, {r.H_DATE: dt.date(2026, 9, 10), r.H_OUTCOME: "未发现问题", **_checks()})
    assert main(["results", "import", "--root", str(root), "--draw", data.DRAW_ID, str(book), "--by", "刘洋"]) == 0
    pub = ["publish", "--root", str(root), "--params", PARAMS, "--by", "陈静"]
    assert main(pub) == 1
    assert "有 1 条检查结果尚未审核，不能公开" in capsys.readouterr().err
    assert not (root / "public").exists()
    assert main(["results", "review", "--root", str(root), "--draw", data.DRAW_ID, "--reviewer", "陈静"]) == 0
    assert main(pub) == 0
    index = (root / "public" / "index.html").read_text("utf-8")
    unit = data.view().units[0]
    assert f"<td>{unit.name}</td><td>{unit.key}</td><td></td><td>安阳市文峰区消防救援大队</td><td>2026-09-10</td><td>未发现问题</td>" in index
    credit = (root / "public" / "data" / "抽查检查结果.csv").read_text("utf-8-sig").splitlines()
    assert credit[1] == f"{unit.key},{unit.name},安阳市文峰区消防救援大队,抽查,2026-09-10,未发现问题"
    with Ledger(root / LEDGER_NAME, root, create=False) as ledger:
        assert [e.payload["state"] for e in ledger.events("result")] == ["entered", "reviewed", "published"]
        assert ledger.events("publish")[0].payload["results"] == 1
        assert ledger.verify(root).ok


def test_import_of_bad_workbook_stores_nothing(root, tmp_path, capsys):
    """A 行政处罚 row without document number is refused with the exact message and nothing is stored."""
    book = tmp_path / "结果.xlsx"
    main(["results", "template", "--root", str(root), "--draw", data.DRAW_ID, "--out", str(book)])
    _fill(book, 3, {r.H_DATE: dt.date(2026, 9, 10), r.H_OUTCOME: "行政处罚", **_checks("不符合")})
    assert main(["results", "import", "--root", str(root), "--draw", data.DRAW_ID, str(book), "--by", "刘洋"]) == 1
    assert capsys.readouterr().err == (
        "dsr results: 输入有 1 处错误，未写入任何文件：\n文件 结果.xlsx，工作表 检查结果，第 3 行，列「文书编号」："
        "检查结果为“行政处罚”时必须填写行政处罚决定书编号（应为：行政处罚决定书编号）\n")
    with Ledger(root / LEDGER_NAME, root, create=False) as ledger:
        assert ledger.events("result") == ()


def test_unknown_draw_is_refused(root, capsys):
    """A draw id the archive does not hold is refused, naming the ids it does hold."""
    assert main(["results", "template", "--root", str(root), "--draw", "2026-北关区-09"]) == 1
    assert capsys.readouterr().err == f"dsr results: 档案中没有抽查编号为「2026-北关区-09」的有效抽取；现有：{data.DRAW_ID}\n"


def test_status_lists_overdue(root, tmp_path, capsys):
    """dsr status prints the summary and the overdue unit."""
    book = tmp_path / "结果.xlsx"
    main(["results", "template", "--root", str(root), "--draw", data.DRAW_ID, "--out", str(book)])
    _fill(book, 2, {r.H_DATE: dt.date(2026, 9, 28), r.H_OUTCOME: "未发现问题", **_checks()})
    main(["results", "import", "--root", str(root), "--draw", data.DRAW_ID, str(book), "--by", "刘洋"])
    capsys.readouterr()
    assert main(["status", "--root", str(root), "--today", "2026-11-02"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "截至 2026-11-02（检查后 20 个工作日内公开）：已超期 1，即将到期 0，未到期 0，未录入结果 5，已公开 0"
    assert out[1].startswith("已超期：文峰区 ") and out[1].endswith("期限 2026-10-30，超期 1 个工作日，状态 已录入")


def test_stats_writes_the_yearly_report(root, tmp_path, capsys):
    """dsr stats writes statistics-<year>.html from the archive's draws and entered results."""
    book = tmp_path / "结果.xlsx"
    main(["results", "template", "--root", str(root), "--draw", data.DRAW_ID, "--out", str(book)])
    _fill(book, 2, {r.H_DATE: dt.date(2026, 9, 10), r.H_OUTCOME: "未发现问题", **_checks()})
    main(["results", "import", "--root", str(root), "--draw", data.DRAW_ID, str(book), "--by", "刘洋"])
    out = tmp_path / "stats"
    assert main(["stats", "--root", str(root), "--year", "2026", "--out", str(out), "--params", PARAMS]) == 0
    text = (out / "statistics-2026.html").read_text("utf-8")
    assert "检查 1 家次；发现不符合检查要点 0 项，每百次检查 0.0 项。" in text
