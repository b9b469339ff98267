"""The public site: what it shows, what it must never show, escaping and offline safety."""

import dataclasses
import datetime as dt
import json
import re

import publish_data as data
from dsr.core.model import Item
from dsr.publish import results as r
from dsr.publish.draws import DrawnUnit, Member
from dsr.publish.site import Attachment, PlanRow, Site, build_site, embed_json, slug

EVIL = '<script>alert("x")</script>&'
AGENCIES = {"文峰区": "安阳市文峰区消防救援大队"}


def _site(draws=None, results=None, attachments=None):
    item = Item("XF-001", "日常消防监督抽查", "《消防监督检查规定》", "大队", "重点单位和一般单位",
                "第十条、第十一条", "现场检查", "每年一次")
    plan = (PlanRow("文峰区", "2026年9月", "日常消防监督抽查", "人员密集重点单位", "3 家"),)
    return Site("安阳市消防救援支队", (item,), plan, draws or (data.view(),), results or {}, "2026-09-30 10:00",
                AGENCIES, attachments)


def _result(unit, outcome="责令限期改正", doc="文消限字〔2026〕0012号"):
    checks = ("不符合",) + ("符合",) * 8 + ("不涉及", "不涉及")
    return r.Result(data.DRAW_ID, unit.key, unit.name, dt.date(2026, 9, 10), outcome, doc, checks)


def _read(tmp_path, site):
    index = build_site(site, tmp_path / "public")
    pages = [index, *sorted((tmp_path / "public" / "draws").glob("*.html"))]
    return [p.read_text("utf-8") for p in pages]


def test_index_lists_drawn_units_and_published_results(tmp_path):
    """Every drawn unit appears with its team; a published result appears with agency and handling."""
    unit = data.view().units[0]
    index, page = _read(tmp_path, _site(results={(data.DRAW_ID, unit.key): _result(unit)}))
    for u in data.view().units:
        assert u.key in index and u.key in page
    assert "王强（豫消003）组长、赵敏（豫消004）" in index
    assert "安阳市文峰区消防救援大队" in index
    assert "文书编号 文消限字〔2026〕0012号；不符合要点：消防安全责任人及职责" in index
    for heading in ("抽查事项清单", "抽查计划", "抽查任务公告", "抽查结果公告"):
        assert f"<h2>{heading}</h2>" in index


def test_no_internal_class_or_personal_data_is_published(tmp_path):
    """Neither credit nor risk classes, cells, probabilities nor withheld cutoffs reach any page."""
    pages = _read(tmp_path, _site())
    internal = data.draw_result()
    withheld = [u["ticket"] for u in internal["units"] if u["status"] == "not_drawn"]
    for text in pages:
        assert "一般单位/A" not in text and "一般单位/D" not in text  # the credit cells
        assert "probability" not in text and "2/3" not in text
        assert not any(t in text for t in withheld)  # undrawn units' tickets are not listed
    data_json = json.loads(re.search(r'id="dsr-data">(.*?)</script>', pages[0]).group(1))
    assert {k for u in data_json["draws"][0]["units"] for k in u} == {"key", "name", "batch", "ticket", "stratum", "team"}
    assert data_json["draws"][0]["cutoffs"] == {"人员密集重点单位": data.view().strata[0].cutoff_hex}


def test_every_text_is_escaped(tmp_path):
    """A unit name and a draw id full of markup appear only escaped, in tables and in the embedded JSON."""
    view = data.view()
    unit = dataclasses.replace(view.units[0], name=EVIL, team=(Member("豫消001", EVIL, True),))
    evil_draw = dataclasses.replace(view, units=(unit,), draw_id='"><b>x</b>', brigade=EVIL)
    for text in _read(tmp_path, _site(draws=(evil_draw,))):
        assert "<script>alert" not in text
        assert "<b>x</b>" not in text
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in text
        assert "\\u003cscript\\u003ealert" in text


def test_embedded_json_cannot_close_its_script(tmp_path):
    """embed_json writes no '<', so '</script>' inside data cannot end the element."""
    text = embed_json({"a": "</script><script>x()</script>"})
    assert "<" not in text and json.loads(text) == {"a": "</script><script>x()</script>"}


def test_pages_load_nothing_from_outside(tmp_path):
    """No page references http(s) resources: no CDN, no fonts, no scripts from elsewhere."""
    for text in _read(tmp_path, _site()):
        assert not re.search(r'(src|href)="(https?:)?//', text)
        assert "@import" not in text and "url(http" not in text


def test_draw_file_names_cannot_escape_the_folder(tmp_path):
    """A draw id with path syntax becomes one safe file name inside draws/."""
    evil_draw = dataclasses.replace(data.view(), draw_id="../../etc/passwd")
    build_site(_site(draws=(evil_draw,)), tmp_path / "public")
    files = [p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()]
    assert sorted(str(f) for f in files) == ["public/draws/etc_passwd-" + slug("../../etc/passwd")[-8:] + ".html",
                                             "public/index.html"]


def test_attachments_are_copied_and_linked(tmp_path):
    """The commitment notice and public record files are copied beside the draw and linked from its page."""
    notice = tmp_path / "承诺公告.pdf"
    notice.write_bytes(b"%PDF-1.7 test")
    site = _site(attachments={data.DRAW_ID: (Attachment("承诺公告", notice),)})
    _, page = _read(tmp_path, site)
    copied = list((tmp_path / "public" / "files").rglob("*.pdf"))
    assert [p.read_bytes() for p in copied] == [b"%PDF-1.7 test"]
    assert '>承诺公告</a>' in page


def test_rebuild_replaces_the_folder(tmp_path):
    """A second build leaves no page of a draw that is no longer published."""
    build_site(_site(), tmp_path / "public")
    other = dataclasses.replace(data.view(), draw_id="2026-文峰区-02")
    build_site(_site(draws=(other,)), tmp_path / "public")
    assert [p.name for p in (tmp_path / "public" / "draws").iterdir()] == [f"{slug('2026-文峰区-02')}.html"]


def test_drawn_unit_without_team_renders(tmp_path):
    """A drawn unit whose team is not yet matched shows an empty team cell rather than failing."""
    unit = DrawnUnit(data.code("MA777777"), "安阳市测试单位", "人员密集重点单位", "第2批", "00" * 32)
    draw = dataclasses.replace(data.view(), units=(unit,))
    index, _ = _read(tmp_path, _site(draws=(draw,)))
    assert "安阳市测试单位" in index


def test_class_weighted_strata_are_withheld_by_the_rules():
    """A RATIO stratum with multipliers under rules that weight by credit gets no cutoff, even with one cell."""
    from dsr.publish.archive_view import withheld_strata
    from dsr.publish.draws import from_result

    rules = {"credit_multipliers": [{"level": "D", "value": "2"}], "risk_multipliers": [], "hazard_industries": [],
             "strata": [{"name": "人员密集重点单位", "mode": "RATIO", "multipliers": True},
                        {"name": "一般单位", "mode": "RATIO", "multipliers": False},
                        {"name": "九小场所", "mode": "ALL", "multipliers": True}]}
    withheld = withheld_strata(rules)
    assert withheld == frozenset({"人员密集重点单位"})
    view = from_result(data.draw_result(), data.DRAW_ID, data.DRAWN_ON, "安阳市消防救援支队", withheld=withheld)
    assert [s.cutoff_hex for s in view.strata] == [None, None]
    assert withheld_strata({**rules, "credit_multipliers": []}) == frozenset()
