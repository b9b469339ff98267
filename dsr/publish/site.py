"""The static public site (一公开): item list, plan, drawn units, results, and the in-browser ticket check."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import quote

from dsr.core.model import Item
from dsr.publish.draws import DrawView
from dsr.publish.errors import PublishError
from dsr.publish.results import Result
from dsr.publish.results_template import team_text
from dsr.publish.site_assets import CSS, JS

_UNSAFE = re.compile(r"[^\w\-]+")
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026", 0x2028: "\\u2028", 0x2029: "\\u2029"}


@dataclass(frozen=True)
class PlanRow:
    """One line of the 抽查计划: who draws what, when, how many."""

    brigade: str
    period: str
    item: str
    scope: str
    ratio: str


@dataclass(frozen=True)
class Attachment:
    """A file published beside a draw (commitment notice, public record), copied into the site."""

    label: str
    source: Path


@dataclass(frozen=True)
class Site:
    """Everything the public site shows; only publishable fields exist here."""

    detachment: str
    items: tuple[Item, ...]
    plan: tuple[PlanRow, ...]
    draws: tuple[DrawView, ...]
    results: dict[tuple[str, str], Result]  # published results only
    generated_at: str
    agencies: dict[str, str]  # brigade short name ▶ 检查实施机关 full name
    attachments: dict[str, tuple[Attachment, ...]] | None = None


def e(value: object) -> str:
    """HTML-escaped text (quotes too, so it is safe in attributes)."""
    return escape("" if value is None else str(value), quote=True)


def slug(draw_id: str) -> str:
    """A file name for a draw id: letters, digits, - and _, plus a short hash so ids never collide."""
    base = _UNSAFE.sub("_", draw_id).strip("_.")[:60] or "draw"
    return f"{base}-{hashlib.sha256(draw_id.encode('utf-8')).hexdigest()[:8]}"


def embed_json(value: object) -> str:
    """JSON safe inside a <script type="application/json"> element: no '<', '>' or '&' literally."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True).translate(_JSON_ESCAPES)


def _table(headers: tuple[str, ...], rows: list[tuple[list[str], dict[str, str]]], raw: bool = False) -> str:
    """A table; cells are escaped unless `raw` (then the caller escaped them)."""
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = []
    for cells, attrs in rows:
        attr = "".join(f' {k}="{e(v)}"' for k, v in attrs.items())
        body.append(f"<tr{attr}>" + "".join(f"<td>{c if raw else e(c)}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _q(*parts: str) -> str:
    """The search text of a row: folded name and code."""
    return "".join(" ".join(parts).lower().split())


def _items_section(site: Site) -> str:
    rows = [([i.code, i.name, i.category, i.basis, i.subject, i.target, i.content, i.method, i.ratio_freq], {})
            for i in site.items]
    headers = ("事项编码", "事项名称", "事项类别", "抽查依据", "抽查主体", "抽查对象", "抽查内容", "抽查方式", "抽查比例/频次")
    return f'<section id="items"><h2>抽查事项清单</h2>{_table(headers, rows)}</section>'


def _plan_section(site: Site) -> str:
    rows = [([p.brigade, p.period, p.item, p.scope, p.ratio], {"data-brigade": p.brigade}) for p in site.plan]
    table = _table(("大队", "时间", "抽查事项", "抽查对象范围", "抽查比例/数量"), rows) if rows else '<p class="note">暂无抽查计划。</p>'
    return f'<section id="plan"><h2>抽查计划</h2>{table}</section>'


def _draw_link(draw: DrawView, prefix: str) -> str:
    return f'<a href="{e(prefix + "draws/" + quote(slug(draw.draw_id)) + ".html")}">{e(draw.draw_id)}</a>'


def _task_rows(site: Site, prefix: str, draws: tuple[DrawView, ...]) -> list:
    rows = []
    for d in draws:
        for u in d.units:
            cells = [_draw_link(d, prefix), e(d.brigade), e(d.drawn_on.isoformat()), e(u.name),
                     f'<span class="mono">{e(u.key)}</span>', e(u.batch), e(team_text(u))]
            rows.append((cells, {"data-q": _q(u.name, u.key), "data-brigade": d.brigade}))
    return rows


def _tasks_section(site: Site, prefix: str, draws: tuple[DrawView, ...]) -> str:
    headers = ("抽查编号", "大队", "抽取日期", "单位名称", "统一社会信用代码（注册号）", "批次", "检查组（姓名、执法证号）")
    return f'<section id="tasks"><h2>抽查任务公告</h2>{_table(headers, _task_rows(site, prefix, draws), raw=True)}</section>'


def handling(result: Result) -> str:
    """处理情况 as published: document number, non-compliant points, re-inspection."""
    parts = []
    if result.document_no:
        parts.append(f"文书编号 {result.document_no}")
    if result.failed_points():
        parts.append("不符合要点：" + "、".join(result.failed_points()))
    if result.reinspected_on:
        parts.append(f"{result.reinspected_on.isoformat()} 复查{result.reinspection or ''}")
    return "；".join(parts) or "—"


def _results_section(site: Site, draws: tuple[DrawView, ...]) -> str:
    rows = []
    for d in draws:
        items = "、".join(name for _, name in d.items)
        for u in d.units:
            res = site.results.get((d.draw_id, u.key))
            if res is None:
                continue
            cells = [u.name, u.key, items, site.agencies.get(d.brigade, d.brigade), res.inspected_on.isoformat(),
                     res.outcome, handling(res)]
            rows.append((cells, {"data-q": _q(u.name, u.key), "data-brigade": d.brigade}))
    headers = ("单位名称", "统一社会信用代码（注册号）", "抽查事项", "检查实施机关", "检查日期", "检查结果", "处理情况")
    body = _table(headers, rows) if rows else '<p class="note">暂无已审核公开的检查结果。</p>'
    return f'<section id="results"><h2>抽查结果公告</h2>{body}</section>'


def _check_section(draws: tuple[DrawView, ...]) -> str:
    options = "".join(f'<option value="{e(d.draw_id)}">{e(d.brigade)} · {e(d.draw_id)}</option>' for d in draws)
    select = f'<select id="check-draw"><option value="">全部抽查</option>{options}</select>' if len(draws) > 1 else \
        f'<select id="check-draw" class="hidden">{options}</select>'
    return (
        '<section id="check"><h2>查验本单位签号</h2>'
        '<p class="note">输入统一社会信用代码（或注册号），本页面用浏览器自带的 Web Crypto 按公开的种子重新计算签号：'
        'HMAC-SHA256(种子, "dsr/unit/1" ‖ 0x00 ‖ 代码)，无需安装任何软件，代码不会发送到任何地方。</p>'
        f'<form id="check-form" class="filters">{select}<input id="check-code" size="24" placeholder="统一社会信用代码">'
        '<button type="submit">计算签号</button></form><div id="check-out" data-state="idle"></div></section>'
    )


def _filters(draws: tuple[DrawView, ...]) -> str:
    brigades = sorted({d.brigade for d in draws})
    options = "".join(f'<option value="{e(b)}">{e(b)}</option>' for b in brigades)
    return ('<div class="filters"><label>搜索单位名称或统一社会信用代码 <input id="q" size="28" type="search"></label>'
            f'<label>大队 <select id="brigade"><option value="">全部</option>{options}</select></label>'
            '<span id="count" class="note"></span></div>')


def _public_draw(d: DrawView) -> dict:
    """What the page script may know of a draw: seed, drawn units with tickets, publishable cutoffs."""
    cutoffs = {s.name: s.cutoff_hex for s in d.strata if s.cutoff_hex}
    c = d.commitment
    commitment = {"hash": c.hash_hex, "document": c.document, "canonical": c.canonical_entropy} if c else None
    return {"commitment": commitment,
        "id": d.draw_id, "brigade": d.brigade, "seed": d.seed_hex, "cutoffs": cutoffs,
        "units": [{"key": u.key, "name": u.name, "batch": u.batch, "ticket": u.ticket_hex,
                   "stratum": u.stratum if u.stratum in cutoffs else "", "team": team_text(u)} for u in d.units],
    }


def _page(title: str, subtitle: str, nav: str, body: str, draws: tuple[DrawView, ...]) -> str:
    data = embed_json({"draws": [_public_draw(d) for d in draws]})
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'\">"
        f"<title>{e(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{e(title)}</h1><p>{e(subtitle)}</p></header><nav>{nav}</nav><main>{body}</main>"
        f'<script type="application/json" id="dsr-data">{data}</script><script>{JS}</script></body></html>'
    )


def index_html(site: Site) -> str:
    """The site's front page."""
    nav = "".join(f'<a href="#{a}">{t}</a>' for a, t in (("items", "抽查事项清单"), ("plan", "抽查计划"),
                                                           ("tasks", "抽查任务公告"), ("results", "抽查结果公告"),
                                                           ("check", "查验签号"), ("draws", "各次抽查")))
    draw_list = "".join(f"<li>{_draw_link(d, '')}（{e(d.brigade)}，{e(d.drawn_on.isoformat())}）</li>" for d in site.draws)
    body = (_filters(site.draws) + _items_section(site) + _plan_section(site) + _tasks_section(site, "", site.draws)
            + _results_section(site, site.draws) + _check_section(site.draws)
            + f'<section id="draws"><h2>各次抽查</h2><ul>{draw_list}</ul></section>'
            + f'<p class="note">生成时间 {e(site.generated_at)}。本站只公开依规可公开的信息，不含风险等级、信用等级、'
              "联系电话、身份证件号码和法定代表人个人信息。</p>")
    return _page(f"{site.detachment} 双随机、一公开", "随机抽查事项、计划、任务与结果公告", nav, body, site.draws)


def _commitment_html(d: DrawView, files: list[tuple[str, str]]) -> str:
    c = d.commitment
    rows = []
    if c:
        rows += [("承诺哈希", f'<span class="mono">{e(c.hash_hex)}</span>'), ("承诺生成时间", e(c.posted_at)),
                 ("公开抽取时间", e(c.draw_at or "—")),
                 ("预先公布的熵源", "<br>".join(e(x) for x in c.sources)),
                 ("熵值", "<br>".join(e(f"{k}：{v}") for k, v in c.entropy)),
                 ("规范熵串", f'<span class="mono">{e(c.canonical_entropy)}</span>')]
    rows += [("种子", f'<span class="mono">{e(d.seed_hex)}</span>'), ("算法", e(d.algorithm))]
    rows += [(e(label), f'<a href="{e(href)}">{e(label)}</a>') for label, href in files]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    check = ('<p class="note">页面用浏览器自带的 Web Crypto 核验：承诺文本的 SHA-256 是否等于承诺哈希；'
             'SHA-256("dsr/seed/1" ‖ 0x00 ‖ 承诺哈希 ‖ 规范熵串) 是否等于种子。承诺须在抽取之前公布，'
             '请对照承诺公告的发布时间与公开抽取时间。</p><div id="verify-out" data-state="idle"></div>') if c else ""
    return f'<section id="commitment"><h2>承诺与种子</h2><table>{body}</table>{check}</section>'


def _strata_html(d: DrawView) -> str:
    rows = [([s.name, str(s.population), str(s.drawn), s.cutoff_hex or "不公布（该层按信用、风险分档或另有优先规则，或无抽中单位；公布分界签号可能泄露内部等级）"], {})
            for s in d.strata]
    return f'<section id="strata"><h2>分层与分界签号</h2>{_table(("层", "对象数", "抽中数", "分界签号"), rows)}</section>'


def draw_html(site: Site, d: DrawView, files: list[tuple[str, str]]) -> str:
    """The page of one draw."""
    nav = '<a href="../index.html">返回首页</a><a href="#commitment">承诺与种子</a><a href="#tasks">抽中单位</a>' \
          '<a href="#results">检查结果</a><a href="#check">查验签号</a>'
    one = (d,)
    body = (_commitment_html(d, files) + _strata_html(d) + _filters(one) + _tasks_section(site, "../", one)
            + _results_section(site, one) + _check_section(one))
    return _page(f"{d.brigade} 抽查 {d.draw_id}", f"{site.detachment} · 抽取日期 {d.drawn_on.isoformat()}", nav, body, one)


def _inside(root: Path, path: Path) -> Path:
    """`path`, refused unless it lies inside `root`."""
    if not path.resolve().is_relative_to(root.resolve()):
        raise PublishError(f"拒绝写到公开目录之外：{path}")
    return path


def _copy_attachments(site: Site, d: DrawView, root: Path) -> list[tuple[str, str]]:
    """Copy a draw's published files into files/<slug>/ and return (label, href relative to draws/)."""
    out = []
    for a in (site.attachments or {}).get(d.draw_id, ()):
        name = _UNSAFE.sub("_", a.source.stem).strip("_.") or "file"
        suffix = re.sub(r"[^A-Za-z0-9]", "", a.source.suffix)
        target = _inside(root, root / "files" / slug(d.draw_id) / (name + ("." + suffix if suffix else "")))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(a.source, target)
        out.append((a.label, "../" + quote(target.relative_to(root).as_posix())))
    return out


def build_site(site: Site, out_dir: Path) -> Path:
    """Write the site into `out_dir` (replaced as a whole) and return the path of index.html."""
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    (tmp / "draws").mkdir(parents=True)
    for d in site.draws:
        files = _copy_attachments(site, d, tmp)
        _inside(tmp, tmp / "draws" / f"{slug(d.draw_id)}.html").write_text(draw_html(site, d, files), "utf-8")
    (tmp / "index.html").write_text(index_html(site), "utf-8")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    return out_dir / "index.html"
