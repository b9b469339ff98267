"""`dsr ledger verify`, `dsr ledger show` and `dsr void` as a user types them."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive_helpers import BRIGADE, C1, C2, filled, tamper
from dsr.archive import LEDGER_NAME, Ledger
from dsr.cli import main


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A six-row archive on disk, ledger closed."""
    _archive, ledger = filled(tmp_path)
    ledger.close()
    return tmp_path


def test_verify_prints_each_check_and_exits_0(root: Path, capsys):
    """A clean archive: one line per check, then the head to publish."""
    assert main(["ledger", "verify", "--root", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    with Ledger(root / LEDGER_NAME, create=False) as ledger:
        head = ledger.head()
    assert lines[0] == "[通过] 序号：共 6 条记录，序号 1–6 连续"
    assert lines[-1] == f"账本校验通过：共 6 条记录，账本头 seq=6 {head[1]}"
    assert len(lines) == 9


def test_verify_names_the_first_bad_row_and_exits_1(root: Path, capsys):
    """A hand-edited row makes verify fail and name it."""
    tamper(root / LEDGER_NAME, "UPDATE events SET payload = replace(payload, 'U1', 'U7') WHERE seq = 5")
    assert main(["ledger", "verify", "--root", str(root)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "[失败] 行哈希：第 5 条记录（seq=5）哈希不符：内容被修改" in lines
    assert lines[-1] == "账本校验未通过：第 5 条记录（seq=5）哈希不符：内容被修改"


def test_verify_with_published_head(root: Path, capsys):
    """--head checks that a head published earlier is still in the chain."""
    with Ledger(root / LEDGER_NAME, create=False) as ledger:
        seq, digest = ledger.head()
    assert main(["ledger", "verify", "--root", str(root), "--head", f"{seq}:{digest}"]) == 0
    assert "[通过] 公布的账本头：公布的账本头 seq=6 在账本中" in capsys.readouterr().out


def test_verify_with_malformed_head_is_a_usage_error(root: Path, capsys):
    """A head that is not SEQ:HASH is a command-line mistake: exit 2."""
    assert main(["ledger", "verify", "--root", str(root), "--head", "6"]) == 2
    assert capsys.readouterr().err == "dsr ledger: --head 格式不符：「6」（应为 SEQ:64 位小写十六进制哈希）\n"


def test_verify_without_a_ledger_exits_1(tmp_path: Path, capsys):
    """No ledger: a clear refusal, and none is created."""
    assert main(["ledger", "verify", "--root", str(tmp_path)]) == 1
    assert capsys.readouterr().err == "dsr ledger: 账本不存在：ledger.sqlite3\n"
    assert not (tmp_path / LEDGER_NAME).exists()


def test_show_lists_every_event(root: Path, capsys):
    """A header, one tab-separated line per event, oldest first, then the head."""
    assert main(["ledger", "show", "--root", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 8
    assert lines[0] == "序号\t时间\t类型\t大队\t抽取编号\t摘要\t行哈希（前 16 位）"
    assert lines[2].split("\t")[:6] == ["2", "2026-03-01T09:00:00+08:00", "draw", BRIGADE, "D-001",
                                        "抽中 2 个单位，日期 2026-03-01"]  # fmt: skip
    assert lines[3].split("\t")[5] == "2 个文件"
    assert lines[-1].startswith("账本头：seq=6 ")


def test_void_with_reason_is_recorded_and_shown(root: Path, capsys):
    """`dsr void` appends a void the next record can show, and verify still passes."""
    args = ["void", "--root", str(root), "--commitment", C2, "--brigade", BRIGADE, "--reason", "见证人未到场"]
    assert main(args) == 0
    assert capsys.readouterr().out == "已作废文峰区的抽取 D-002（seq=5），理由：见证人未到场；账本记录 seq=7\n"
    with Ledger(root / LEDGER_NAME, create=False) as ledger:
        assert ledger.last_void_reason(C2, BRIGADE) == "见证人未到场"
        assert ledger.current_draw(C2, BRIGADE) is None
        assert ledger.verify().ok


def test_void_without_reason_exits_1(root: Path, capsys):
    """Leaving out --reason is refused with exit 1 and nothing is appended."""
    assert main(["void", "--root", str(root), "--commitment", C1, "--brigade", BRIGADE]) == 1
    assert capsys.readouterr().err == "dsr void: 作废必须注明理由\n"
    with Ledger(root / LEDGER_NAME, create=False) as ledger:
        assert ledger.head()[0] == 6


def test_void_of_an_unknown_commitment_exits_1(root: Path, capsys):
    """Voiding what was never drawn is refused."""
    other = "e" * 64
    assert main(["void", "--root", str(root), "--commitment", other, "--brigade", BRIGADE, "--reason", "x"]) == 1
    assert capsys.readouterr().err == f"dsr void: 承诺 {other} 在文峰区没有可作废的抽取\n"
