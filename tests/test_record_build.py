"""Record JSON pieces, display helpers and `dsr keys init` (fast: no kernel)."""

from __future__ import annotations

import pytest

from dsr.cli import main
from dsr.errors import RecordError
from dsr.record import show
from dsr.record.build import InputFile, build_record, check_file_name, check_witnesses, record_bytes, record_id


def test_record_id_counts_voided_draws():
    """The first draw keeps the batch id; after voids the id gets -r2, -r3 …"""
    assert record_id("AY-2026-12", "文峰区") == "AY-2026-12-文峰区"
    assert record_id("AY-2026-12", "文峰区", 1) == "AY-2026-12-文峰区-r2"


@pytest.mark.parametrize("name", ["../x.csv", "a/b.csv", ".hidden", "", "a\\b"])
def test_attachment_names_that_could_escape_are_refused(name):
    """Names with separators, leading dots or nothing at all cannot be attached."""
    with pytest.raises(RecordError):
        check_file_name(name)


def test_witness_without_name_is_refused():
    """Each witness needs a name and a role."""
    with pytest.raises(RecordError) as info:
        check_witnesses([{"name": "王建国", "role": "廉政监督员"}, {"name": " ", "role": "企业代表"}], 1, ())
    assert str(info.value) == "第 2 位见证人缺少姓名或身份（name、role）"


def test_duplicate_attachment_names_are_refused_in_the_record():
    """Two inputs with one name would make the manifest ambiguous."""
    files = [InputFile("a.csv", "workbook", b"1"), InputFile("a.csv", "workbook", b"2")]
    with pytest.raises(RecordError) as info:
        build_record(record_id="r", created_at="t", header={}, files=files, commitment={}, entropy={}, seed="",
                     draw={}, people={}, software={})
    assert str(info.value) == "附件文件名重复：a.csv"


def test_record_bytes_are_canonical_and_list_each_input():
    """The manifest gives name, kind, SHA-256 and size; keys come out sorted; no whitespace."""
    record = build_record(record_id="r", created_at="2026-11-30T10:30:00+08:00", header={"brigade": "文峰区"},
                          files=[InputFile("单位.csv", "workbook", b"abc")], commitment={}, entropy={},
                          seed="00", draw={}, people={}, software={}, voids=[{"draw_id": "d", "reason": "停电"}])
    data = record_bytes(record)
    assert data.startswith(b'{"commitment":{},"created_at":"2026-11-30T10:30:00+08:00","draw":{}')
    assert ('{"kind":"workbook","name":"单位.csv","sha256":'
            '"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","size":3}').encode() in data
    assert '"voids":[{"draw_id":"d","reason":"停电"}]'.encode() in data


def test_excluded_units_are_grouped_by_reason_and_escaped():
    """Excluded units appear under their reason with a count; names are escaped."""
    draw = {"units": [
        {"key": "1", "name": "<b>甲</b>", "status": "excluded", "reason": "单位状态为停业"},
        {"key": "2", "name": "乙", "status": "excluded", "reason": "单位状态为停业"},
        {"key": "3", "name": "丙", "status": "drawn"},
    ]}
    html = show.excluded_table(draw).text
    assert "<b>单位状态为停业（2 家）</b>：&lt;b&gt;甲&lt;/b&gt;、乙</p>" in html and "丙" not in html


def test_charts_are_plain_svg_with_escaped_labels():
    """Charts are inline SVG without scripts; labels from inputs are escaped."""
    svg = show.strata_chart({"strata": [{"name": "<script>x</script>", "N": 10, "n": 2}]}).text
    assert svg.startswith("<svg") and "<script" not in svg and "&lt;script&gt;x&lt;/script&gt;" in svg
    assert ">10 / 2</text>" in svg


def test_voids_are_shown_with_their_reasons():
    """A redraw's record says which draws were voided, when and why."""
    html = show.voids_table([{"draw_id": "AY-2026-12", "at": "2026-11-30T11:00:00+08:00", "reason": "录入错误"}]).text
    assert "本承诺此前的抽取已作废，本次为重新抽取" in html and "<td>录入错误</td>" in html


def test_keys_init_creates_test_identity_once(tmp_path, capsys):
    """`dsr keys init --dir D` creates the test CA and identities, and says so; a second run finds them."""
    assert main(["keys", "init", "--dir", str(tmp_path / "keys")]) == 0
    first = capsys.readouterr().out
    assert main(["keys", "init", "--dir", str(tmp_path / "keys")]) == 0
    second = capsys.readouterr().out
    assert first.startswith("测试证书已创建（仅供演示，不具法律效力）：")
    assert second.startswith("测试证书已存在（仅供演示，不具法律效力）：")
    assert (tmp_path / "keys" / "test-ca.pem").is_file()


def test_verify_without_trust_root_and_without_test_ca_is_a_usage_error(tmp_path, capsys, monkeypatch):
    """With no --trust and no keys/test-ca.pem, dsr verify stops with exit status 2."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "record.pdf").write_bytes(b"%PDF-1.7")
    assert main(["verify", "record.pdf"]) == 2
    assert "未指定信任根证书：请用 --trust CA.pem 给出支队公布的根证书" in capsys.readouterr().err


def test_tables_have_fixed_column_widths():
    """Record tables carry their column widths (fixed layout); label-value pairs are lines, not table rows."""
    html = show.table([("甲", 1)], ("单位", "数"), ("数",), widths=(70, 30)).text
    assert html.startswith('<table><colgroup><col style="width: 70%"><col style="width: 30%"></colgroup><thead>')
    assert "<colgroup>" not in show.table([("甲",)], ("单位",)).text
    pairs = show.key_values([("支队", "安阳<市>"), ("种子", "a&b")]).text
    assert pairs == ('<div class="dsr-kvs"><p class="dsr-kv">支队：安阳&lt;市&gt;</p>'
                     '<p class="dsr-kv">种子：a&amp;b</p></div>')
    versions = show.software_table({"python": "3.11", "dsr": "<1>"}, "dsr-draw/1").text
    assert "抽取算法 dsr-draw/1；python 3.11；dsr &lt;1&gt;" in versions and "<table" not in versions


def test_drawn_units_show_ticket_and_team_but_not_inspectors_out_of_the_whole_draw():
    """Each drawn unit is one escaped line with its code, stratum, probability, ticket prefix and team
    (leader first); inspectors barred from the whole draw are listed once (pool table), not in every line,
    while a removal for this unit alone stays in its line."""
    draw = {
        "units": [{"key": "K1", "name": "<b>某商场</b>", "status": "drawn", "stratum": "重点单位",
                   "probability": "1/2", "ticket": "ab" * 32}],
        "batches": [{"number": 1, "units": ["K1"]}],
        "pool": [{"cert_no": "A", "name": "甲", "eligible": True, "reasons": []},
                 {"cert_no": "B", "name": "乙", "eligible": False, "reasons": ["执法证已过期"]},
                 {"cert_no": "C", "name": "丙", "eligible": True, "reasons": []}],
        "teams": [{"batch": 1, "unit_key": "K1", "unit_name": "<b>某商场</b>", "members": ["A"], "leader": "A",
                   "eligible_count": 2,
                   "removed": [{"cert_no": "B", "name": "乙", "reasons": ["执法证已过期"]},
                               {"cert_no": "C", "name": "丙", "reasons": ["利害关系回避（近亲属）"]}]}],
    }
    html = show.drawn_list(draw).text
    assert "第 1 批（1 家）" in html and "1. &lt;b&gt;某商场&lt;/b&gt;（K1）｜重点单位，入选概率 1/2｜签号 abababababababab…" in html
    assert "检查组 甲［组长］；另行回避 丙：利害关系回避（近亲属）</p>" in html
    assert "执法证已过期" not in html and "不在各行重复" in html and "从 2 名可选人员中选派" in html
    assert "执法证已过期" in show.pool_table(draw).text


def test_inspectors_sharing_a_name_are_told_apart_by_certificate_number():
    """Two inspectors with one name are shown with their certificate numbers; others by name alone."""
    draw = {"pool": [{"cert_no": "A1", "name": "张伟", "eligible": True}, {"cert_no": "A2", "name": "张伟", "eligible": True},
                     {"cert_no": "B", "name": "李娜", "eligible": True}]}
    assert show._inspector_labels(draw) == {"A1": "张伟（A1）", "A2": "张伟（A2）", "B": "李娜"}


def test_long_exclusion_reasons_are_counted_short_ones_and_the_exclusion_list_named():
    """A reason with more excluded units than the limit shows its count only (the names are in record.json);
    units on the 不列入随机抽查名单 are always named."""
    units = [{"key": str(i), "name": f"单位{i}", "status": "excluded", "reason": "九小场所不列入本次抽查"} for i in range(5)]
    units.append({"key": "x", "name": "某店", "status": "excluded", "reason": "单位状态为停业"})
    units += [{"key": f"m{i}", "name": f"名单{i}", "status": "excluded", "reason": "不列入随机抽查：专项整治"}
              for i in range(4)]
    html = show.excluded_table({"units": units}, listed=3).text
    assert "<b>九小场所不列入本次抽查（5 家）</b>：名单从略</p>" in html and "单位0" not in html
    assert "<b>单位状态为停业（1 家）</b>：某店</p>" in html and "共 10 家不参加抽取" in html
    assert "<b>不列入随机抽查：专项整治（4 家）</b>：名单0、名单1、名单2、名单3</p>" in html  # always named
