"""`dsr rfc3797`, `dsr commit` and `dsr draw` end to end on small CSV inputs: files, exit codes, messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsr.cli import main
from dsr.core.canonical import canonical_bytes
from dsr.core.commitment import commitment_hash, derive_seed
from inputs_helpers import credit_code, inspector_row, item_row, unit_row, write_csv

ROOT = Path(__file__).resolve().parents[1]
PARAMS = str(ROOT / "params" / "detachment.yaml")

RULES = """\
brigade: {brigade}
year: 2026
item_code: XF-001
strata:
  - name: 一般单位
    filter: {{unit_class: 一般单位}}
    mode: RATIO
    ratio: 0.5
team:
  pool: [{brigade}]
"""

SOURCES = """\
sources:
  - id: dice
    kind: dice
    description: 见证人掷 {count} 枚十面骰
    when: 摇号现场
    count: {count}
    low: 0
    high: 9
    fallback: 无法辨认的当场重掷
  - id: phrase
    kind: text
    description: 见证人写下的一句话
    when: 摇号现场
    fallback: 未写出的，本来源作废
"""

ENTROPY = """\
values:
  dice: {dice}
  phrase: "见证：安阳 🔥"
"""


def _units(names: dict[int, str] | None = None) -> list[dict]:
    """Eight 文峰区 units and two 北关区 units with valid credit codes; `names` overrides some names."""
    names = names or {}
    rows = [unit_row(name=names.get(i, f"文峰测试单位{i}"), code=credit_code(f"91410502MA9XK3L{i:02d}")) for i in range(8)]
    rows += [unit_row(name=f"北关测试单位{i}", brigade="北关区", code=credit_code(f"91410503MA9XK3L{i:02d}"))
             for i in range(2)]
    return rows


def _inspectors() -> list[dict]:
    """Three 文峰区 and two 北关区 inspectors who may all lead."""
    rows = [inspector_row(name=f"文峰检查员{i}", cert_no=f"4105020012{i}") for i in range(3)]
    return rows + [inspector_row(name=f"北关检查员{i}", brigade="北关区", cert_no=f"4105030012{i}") for i in range(2)]


@pytest.fixture
def case(tmp_path):
    """Inputs, rules and a sources file for 文峰区 and 北关区 in tmp_path."""
    write_csv(tmp_path / "检查对象名录库.csv", _units())
    write_csv(tmp_path / "执法检查人员名录库.csv", _inspectors())
    write_csv(tmp_path / "随机抽查事项清单.csv", [item_row()])
    for name, brigade in (("wenfeng", "文峰区"), ("beiguan", "北关区")):
        (tmp_path / f"{name}.yaml").write_text(RULES.format(brigade=brigade), encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(SOURCES.format(count=20), encoding="utf-8")
    (tmp_path / "entropy.yaml").write_text(ENTROPY.format(dice="3 8 0 9 5 1 2 7 4 6 0 9 1 8 2 7 3 6 4 5"), encoding="utf-8")
    return tmp_path


def _files(d: Path) -> list[str]:
    """Input and rules arguments for the case."""
    inputs = [str(d / n) for n in ("检查对象名录库.csv", "执法检查人员名录库.csv", "随机抽查事项清单.csv")]
    return ["--inputs", *inputs, "--rules", str(d / "wenfeng.yaml"), str(d / "beiguan.yaml"), "--params", PARAMS]


def commit(d: Path, out: str = "c") -> int:
    """Run `dsr commit` for the case into d/out."""
    return main(["commit", *_files(d), "--sources", str(d / "sources.yaml"), "--ceremony-id", "T-1",
                 "--created-at", "2026-11-27T09:00:00+08:00", "--inspection-date", "2026-12-01",
                 "--operator", "贾兵", "--out", str(d / out)])


def draw(d: Path, out: str = "d", entropy: str = "entropy.yaml") -> int:
    """Run `dsr draw` for the case against d/c/commitment.json into d/out."""
    return main(["draw", *_files(d), "--commitment", str(d / "c" / "commitment.json"),
                 "--entropy", str(d / entropy), "--out", str(d / out)])


def test_rfc3797_prints_rfc_example(capsys):
    """The RFC 3797 §6 example prints its ten selections, one per line."""
    assert main(["rfc3797", "--pool", "25", "--select", "10", "9319", "2,5,12,8,10", "9,18,26,34,41,45"]) == 0
    assert capsys.readouterr().out.split() == ["17", "7", "2", "16", "25", "23", "8", "24", "19", "13"]


def test_rfc3797_refuses_bad_value(capsys):
    """A non-numeric source value is refused input: exit 1 with the value named."""
    assert main(["rfc3797", "--pool", "25", "--select", "2", "9319", "2,x"]) == 1
    assert capsys.readouterr().err == "dsr rfc3797: RFC 3797 值必须是非负十进制数：「x」\n"


def test_rfc3797_usage_error():
    """A missing --select is a usage error: exit 2."""
    with pytest.raises(SystemExit) as err:
        main(["rfc3797", "--pool", "25", "9319"])
    assert err.value.code == 2


def test_commit_writes_commitment_hash_and_frozen_inputs(case, capsys):
    """commit writes canonical commitment.json, its hash file and one frozen inputs file per brigade."""
    assert commit(case) == 0
    out = case / "c"
    assert sorted(p.name for p in out.iterdir()) == [
        "commitment.json", "commitment.sha256", "inputs-北关区.json", "inputs-文峰区.json"]
    raw = (out / "commitment.json").read_bytes()
    c = json.loads(raw)
    assert canonical_bytes(c) == raw
    assert (out / "commitment.sha256").read_text() == f"{commitment_hash(c)}  commitment.json\n"
    assert c["brigades"]["文峰区"]["strata"][0]["N"] == 8 and c["brigades"]["文峰区"]["strata"][0]["n"] == 4
    assert f"承诺哈希（SHA-256）：{commitment_hash(c)}" in capsys.readouterr().out


def test_commit_refuses_to_overwrite(case, capsys):
    """A second commit into the same folder is refused and leaves the first untouched."""
    assert commit(case) == 0
    before = (case / "c" / "commitment.json").read_bytes()
    capsys.readouterr()
    assert commit(case) == 1
    assert "输出文件已存在，拒绝覆盖：" in capsys.readouterr().err
    assert (case / "c" / "commitment.json").read_bytes() == before


def test_commit_refuses_weak_sources(case, capsys):
    """One die cannot carry these draws; the commitment is refused and nothing is written."""
    (case / "sources.yaml").write_text(SOURCES.format(count=1), encoding="utf-8")
    assert commit(case) == 1
    err = capsys.readouterr().err
    assert err.startswith("dsr commit: 熵不足：熵源共 3.3 比特，本次抽取需要 ")
    assert not (case / "c").exists()


def test_draw_writes_canonical_results_with_recomputable_seed(case, capsys):
    """draw writes draw-<brigade>.json in canonical form; its seed is recomputable from the commitment."""
    assert commit(case) == 0
    assert draw(case) == 0
    c = json.loads((case / "c" / "commitment.json").read_bytes())
    raw = (case / "d" / "draw-文峰区.json").read_bytes()
    doc = json.loads(raw)
    assert canonical_bytes(doc) == raw
    assert doc["entropy"]["canonical"] == "38095127460918273645./见证：安阳 🔥./"
    assert doc["seed"] == derive_seed(commitment_hash(c), doc["entropy"]["canonical"]).hex()
    assert doc["result"]["seed"] == doc["seed"]
    assert sum(u["status"] == "drawn" for u in doc["result"]["units"]) == 4
    assert (case / "d" / "draw-北关区.json").is_file()


def test_draw_refuses_edited_inputs(case, capsys):
    """A unit renamed after the commitment stops the draw, naming the unit and the change."""
    assert commit(case) == 0
    write_csv(case / "检查对象名录库.csv", _units({3: "改名后的单位"}))
    capsys.readouterr()
    assert draw(case) == 1
    key = credit_code("91410502MA9XK3L03")
    assert capsys.readouterr().err == (
        f"dsr draw: 大队「文峰区」的输入与承诺不一致，拒绝抽取：\n1 个单位有变化：{key}（name：文峰测试单位3→改名后的单位）\n"
    )
    assert not (case / "d").exists()


def test_draw_refuses_dice_value_11(case, capsys):
    """A dice value of 11 on a ten-sided die is refused, naming source, position and value."""
    assert commit(case) == 0
    (case / "bad.yaml").write_text(ENTROPY.format(dice="3 8 0 9 5 1 2 11 4 6 0 9 1 8 2 7 3 6 4 5"), encoding="utf-8")
    capsys.readouterr()
    assert draw(case, entropy="bad.yaml") == 1
    assert capsys.readouterr().err == "dsr draw: 熵值文件 bad.yaml：来源「dice」的第 8 个值「11」超出范围 0–9\n"


def test_draw_refuses_unannounced_source(case, capsys):
    """Values for a source the commitment did not announce are refused."""
    assert commit(case) == 0
    text = ENTROPY.format(dice="3 8 0 9 5 1 2 7 4 6 0 9 1 8 2 7 3 6 4 5") + "  fc3d: 5 2 8\n"
    (case / "extra.yaml").write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert draw(case, entropy="extra.yaml") == 1
    assert capsys.readouterr().err == "dsr draw: 熵值文件 extra.yaml：熵值中有未声明的来源「fc3d」\n"


def test_draw_refuses_tampered_commitment(case, capsys):
    """A commitment file edited by hand (no longer canonical) is refused."""
    assert commit(case) == 0
    path = case / "c" / "commitment.json"
    path.write_text(json.dumps(json.loads(path.read_bytes()), ensure_ascii=False, indent=1), encoding="utf-8")
    capsys.readouterr()
    assert draw(case) == 1
    assert capsys.readouterr().err == "dsr draw: 承诺文件 commitment.json 不是规范 JSON，可能被改动过\n"


def test_draw_refuses_to_overwrite(case, capsys):
    """A second draw into the same folder is refused: results are write-once."""
    assert commit(case) == 0
    assert draw(case) == 0
    capsys.readouterr()
    assert draw(case) == 1
    assert "输出文件已存在，拒绝覆盖：" in capsys.readouterr().err


def test_duplicate_unit_key_refused_at_commit(case, capsys):
    """A unit key appearing twice in the directory is refused before anything is committed."""
    write_csv(case / "检查对象名录库.csv", _units() + _units()[:1])
    assert commit(case) == 1
    key = credit_code("91410502MA9XK3L00")
    assert capsys.readouterr().err == (
        "dsr commit: 输入有 1 处错误，未写入任何文件：\n"
        f"文件 检查对象名录库.csv，第 12 行，列「统一社会信用代码（注册号）」，值「{key}」：代码重复：与第 2 行相同（应为：每条记录的代码唯一）\n"
    )
    assert not (case / "c").exists()
