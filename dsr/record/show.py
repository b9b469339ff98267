"""What the record notebook displays: escaped HTML tables, inline SVG charts and the signature block."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Chinese labels for the draw's status codes.
STATUS = {"drawn": "抽中", "not_drawn": "未抽中", "excluded": "不参加抽取"}


@dataclass(frozen=True)
class Html:
    """A fragment of already escaped HTML that Jupyter displays as is."""

    text: str

    def _repr_html_(self) -> str:
        return self.text


@dataclass(frozen=True)
class Svg:
    """An SVG image that Jupyter displays inline."""

    text: str

    def _repr_svg_(self) -> str:
        return self.text


def esc(value: Any) -> str:
    """Escape any value for HTML text or attribute (None shows as an empty cell)."""
    return "" if value is None else html.escape(str(value), quote=True)


def join(*parts: Html) -> Html:
    """Several fragments shown as one output."""
    return Html("".join(p.text for p in parts))


def heading(text: str, level: int = 3) -> Html:
    """A heading with escaped text."""
    return Html(f"<h{level}>{esc(text)}</h{level}>")


def note(text: str, cls: str = "dsr-note") -> Html:
    """A short paragraph of escaped text."""
    return Html(f'<p class="{cls}">{esc(text)}</p>')


def colgroup(widths: Sequence[int]) -> str:
    """Column widths in percent. The record's tables use the fixed layout (no min-/max-content pass over
    every cell, which is where most of the PDF time went); columns without a width share what is left."""
    if not widths:
        return ""
    return "<colgroup>" + "".join(f'<col style="width: {int(w)}%">' for w in widths) + "</colgroup>"


def table(rows: Iterable[Sequence[Any]], columns: Sequence[str], numeric: Sequence[str] = (),
          cls: str = "", widths: Sequence[int] = ()) -> Html:
    """An HTML table with every cell escaped; `numeric` columns are right-aligned; `widths` in percent."""
    num = [c in numeric for c in columns]
    head = "".join(f'<th{" class=num" if n else ""}>{esc(c)}</th>' for c, n in zip(columns, num))
    body = []
    for row in rows:
        cells = "".join(f'<td{" class=num" if n else ""}>{esc(v)}</td>' for v, n in zip(row, num))
        body.append(f"<tr>{cells}</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(columns)}">（无）</td></tr>')
    klass = f' class="{esc(cls)}"' if cls else ""
    return Html(f"<table{klass}>{colgroup(widths)}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def key_values(pairs: Iterable[tuple[str, Any]]) -> Html:
    """Labels and values, one ruled line each: 「标签：值」.

    Lines rather than a two-column table: WeasyPrint lays out a table row of two cells in about twice the
    time of a line of text (the record's 38 pairs were about 5 % of its PDF time)."""
    return Html('<div class="dsr-kvs">' + "".join(f'<p class="dsr-kv">{esc(k)}：{esc(v)}</p>' for k, v in pairs)
                + "</div>")


def load_json(path: str | Path) -> Any:
    """Read a JSON file (UTF-8)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def header(title: str, detachment: str, brigade: str, task: str, item: str, record_id: str,
           dates: Sequence[tuple[str, str]], test_mark: bool) -> Html:
    """The record's title block: 支队 / 大队, 任务名称, 抽查事项, draw id and dates."""
    mark = '<p class="dsr-sub dsr-test-mark">测试记录：使用测试证书签名，不具法律效力</p>' if test_mark else ""
    title_html = f'<h1 class="dsr-title">{esc(title)}</h1>'
    sub = f'<p class="dsr-sub">{esc(detachment)} · {esc(brigade)}</p>{mark}'
    rid = f'<p class="dsr-sub">记录编号 <span class="dsr-record-id">{esc(record_id)}</span></p>'
    pairs = [("支队", detachment), ("大队", brigade), ("任务名称", task), ("抽查事项", item),
             ("记录编号", record_id), *dates]
    return join(Html(title_html + sub + rid), key_values(pairs))


def people(witnesses: Sequence[Mapping[str, str]], operator: Mapping[str, str]) -> Html:
    """The witnesses with their roles, and the operator."""
    rows = [(i, w.get("role"), w.get("name"), w.get("org", "")) for i, w in enumerate(witnesses, 1)]
    rows.append(("操作", operator.get("role", "操作员"), operator.get("name"), operator.get("org", "")))
    return table(rows, ("序号", "身份", "姓名", "单位"), widths=(8, 22, 22, 48))


def commitment_summary(commitment: Mapping[str, Any], digest: str, brigade: str) -> Html:
    """The commitment: its hash, when it was made, and this brigade's committed sizes."""
    entry = commitment.get("brigades", {}).get(brigade, {})
    pairs = [("承诺编号", commitment.get("ceremony_id")), ("承诺时间", commitment.get("created_at")),
             ("承诺人", commitment.get("operator")), ("抽取算法", commitment.get("algorithm")),
             ("软件版本", f"dsr {commitment.get('software', {}).get('version', '')}"),
             ("承诺 SHA-256", digest), ("本大队输入 SHA-256", entry.get("inputs_sha256"))]
    strata = [(s.get("name"), s.get("N"), s.get("n")) for s in entry.get("strata", ())]
    return join(key_values(pairs), heading("承诺的分层抽取数"), table(strata, ("分层", "总数 N", "抽取数 n"), ("总数 N", "抽取数 n"), widths=(60, 20, 20)))


def voids_table(voids: Sequence[Mapping[str, str]]) -> Html:
    """Earlier draws of the same commitment that were voided, with when and why."""
    if not voids:
        return note("本承诺此前没有作废的抽取。")
    rows = [(v.get("draw_id"), v.get("at"), v.get("reason")) for v in voids]
    return join(Html('<p class="dsr-warn">本承诺此前的抽取已作废，本次为重新抽取：</p>'),
                table(rows, ("作废的抽取", "作废时间", "理由"), widths=(30, 28, 42)))


def sources_table(sources: Iterable[Any]) -> Html:
    """The entropy sources announced in the commitment."""
    rows = [(s.id, s.kind, s.description, s.when, s.fallback) for s in sources]
    return table(rows, ("熵源", "类型", "说明", "取值时间与方式", "备用方案"), widths=(12, 12, 28, 24, 24))


def files_table(files: Iterable[Any]) -> Html:
    """Every input file with its SHA-256 and size."""
    rows = [(f.name, f.kind, f.entry()["sha256"], f.entry()["size"]) for f in files]
    return table(rows, ("文件", "类别", "SHA-256", "字节数"), ("字节数",), widths=(27, 13, 48, 12))


def counts_table(inputs: Any) -> Html:
    """How many rows of each kind the draw's inputs hold."""
    rows = [("检查对象（本大队）", len(inputs.units)), ("执法检查人员（可选派范围）", len(inputs.inspectors)),
            ("抽查事项", len(inputs.items)), ("利害关系", len(inputs.conflicts)),
            ("不列入随机抽查", len(inputs.exclusions)), ("抽查历史", len(inputs.history))]
    return table(rows, ("输入", "条数"), ("条数",), widths=(70, 30))


def seed_steps(values: Mapping[str, Sequence[Any]], fallbacks: Mapping[str, str], canonical: str,
               commitment_sha256: str, seed_hex: str, label: str) -> Html:
    """The seed derivation step by step, as a stranger would redo it by hand."""
    rows = [(k, " ".join(str(v) for v in vs), fallbacks.get(k, "")) for k, vs in values.items()]
    steps = [
        ("① 公开随机数", "见上表"),
        ("② 规范熵串（RFC 3797 式）", canonical),
        ("③ 承诺 SHA-256", commitment_sha256),
        ("④ 种子 = SHA-256(标签 ‖ 0x00 ‖ 承诺哈希字节 ‖ 规范熵串)", f"标签 {label}"),
        ("⑤ 种子（十六进制）", seed_hex),
    ]
    return join(table(rows, ("熵源", "现场读出的值", "启用备用方案的原因"), widths=(20, 50, 30)),
                key_values(steps))


def rules_summary(rules: Any) -> Html:
    """The rules that governed the draw: strata, rounding, teams and batches."""
    strata = [(s.name, s.mode, s.ratio, s.count, s.minimum, s.maximum) for s in rules.strata]
    team = rules.team
    pairs = [("细则", rules.title or ""), ("年度", rules.year), ("抽查事项", rules.item_code),
             ("取整方式", rules.rounding), ("本年度已抽不再抽", "是" if rules.exclude_drawn_this_year else "否"),
             ("参加抽取的单位状态", "、".join(rules.eligible_statuses)),
             ("检查组人数", team.size), ("组长要求", f"{'须有' if team.leader.required else '不要求'}，执法年限 ≥ {team.leader.min_years}"),
             ("人员范围", "、".join(team.pool)), ("轮换回避", "是" if team.rotation else "否"),
             ("批次数", rules.batches.count), ("见证人", f"至少 {rules.witnesses.minimum} 名；须有：{'、'.join(rules.witnesses.required_roles) or '无'}")]
    cols = ("分层", "方式", "比例", "数量", "最少", "最多")
    return join(key_values(pairs), table(strata, cols, ("比例", "数量", "最少", "最多"), widths=(40, 12, 12, 12, 12, 12)))


def strata_table(draw: Mapping[str, Any]) -> Html:
    """Per stratum and cell: N, n and the exact inclusion probability."""
    rows = []
    for s in draw.get("strata", ()):
        for c in s.get("cells", ()):
            rows.append((s.get("name"), c.get("cell"), c.get("ratio"), c.get("N"), c.get("n"), c.get("probability")))
        if not s.get("cells"):
            rows.append((s.get("name"), "", "", s.get("N"), s.get("n"), ""))
    return table(rows, ("分层", "单元", "实际比例", "总数 N", "抽取数 n", "入选概率"), ("总数 N", "抽取数 n"),
                 widths=(24, 22, 13, 12, 12, 17))


def _inspector_labels(draw: Mapping[str, Any]) -> dict[str, str]:
    """How team members are named in the printed record: the name alone, or with the certificate number
    when two inspectors of the pool share a name (the pool and workload tables give every number)."""
    pool = list(draw.get("pool", ()))
    names = [p.get("name", "") for p in pool]
    return {p["cert_no"]: (p.get("name", "") if names.count(p.get("name", "")) == 1 and p.get("name")
                           else f"{p.get('name', '')}（{p['cert_no']}）") for p in pool}


def _team_text(team: Mapping[str, Any], labels: Mapping[str, str], pool_wide: Mapping[str, list],
               show_count: bool) -> str:
    """One team in a cell: leader first and marked, then any inspector recused for this unit alone."""
    members = "、".join(labels.get(c, c) + ("［组长］" if c == team.get("leader") else "")
                        for c in team.get("members", ()))
    removed = "；".join(f"{r.get('name', '')}：{'、'.join(r.get('reasons', ()))}" for r in team.get("removed", ())
                       if pool_wide.get(r.get("cert_no")) != list(r.get("reasons", ())))
    text = members + (f"（可选 {team.get('eligible_count')} 人）" if show_count else "")
    return text + (f"；另行回避 {removed}" if removed else "")


def drawn_list(draw: Mapping[str, Any]) -> Html:
    """The drawn units batch by batch, in drawn order: code, stratum and probability, ticket, and the team.

    One numbered paragraph per drawn unit rather than a six-column table row: WeasyPrint lays out every
    table cell as a text block of its own, which made this list most of the PDF time. Inspectors who
    could not serve in this draw at all are listed once in the pool table, not in every line; every
    team's attempts and removals, with reasons, are in record.json (draw.teams).
    """
    units = {u["key"]: u for u in draw.get("units", ())}
    teams = {t.get("unit_key"): t for t in draw.get("teams", ())}
    labels = _inspector_labels(draw)
    pool_wide = {p["cert_no"]: list(p.get("reasons", ())) for p in draw.get("pool", ()) if not p.get("eligible")}
    counts = {t.get("eligible_count") for t in teams.values()}
    uniform = len(counts) == 1
    parts = []
    for batch in draw.get("batches", ()):
        keys = list(batch.get("units", ()))
        lines = []
        for i, key in enumerate(keys, 1):
            unit, team = units[key], teams.get(key)
            crew = _team_text(team, labels, pool_wide, not uniform) if team else "（未选派）"
            lines.append(f'<p class="dsr-unit">{i}. {esc(unit.get("name"))}（{esc(key)}）｜{esc(unit.get("stratum"))}，'
                         f'入选概率 {esc(unit.get("probability"))}｜签号 {esc(unit.get("ticket", "")[:16])}…｜'
                         f'检查组 {esc(crew)}</p>')
        parts.append(heading(f"第 {batch.get('number')} 批（{len(keys)} 家）"))
        parts.append(Html("".join(lines)))
    if not parts:
        return note("本次没有抽中单位。")
    if uniform and teams:
        parts.append(note(f"每个检查组都从 {counts.pop()} 名可选人员中选派，组长在前。"))
    parts.append(note("每行：序号. 单位名称（统一社会信用代码/注册号）｜分层，入选概率｜签号（HMAC-SHA256 的前 16 位，"
                      "完整签号见 record.json 的 draw.units）｜检查组。下文所列不参加本次选派的人员不在各行重复；"
                      "每个检查组的抽签过程与全部回避记录见 record.json（draw.teams）。"))
    return join(*parts)


# Reasons with more excluded units than this are given as a count: the names are in record.json.
EXCLUDED_LISTED = 40
# Units taken out by the 不列入随机抽查名单 (one by one, by people) are always named, however many.
NAMED_ALWAYS = "不列入随机抽查："


def excluded_table(draw: Mapping[str, Any], listed: int = EXCLUDED_LISTED) -> Html:
    """Units that took no part in the draw, grouped by reason with their count; the names of every unit on
    the 不列入随机抽查名单 and of each other reason that applies to at most `listed` units (a whole category
    the rules leave out, such as 九小场所, is given as a count only)."""
    groups: dict[str, list[str]] = {}
    for u in draw.get("units", ()):
        if u.get("status") == "excluded":
            groups.setdefault(u.get("reason") or "", []).append(u.get("name") or u.get("key"))
    # A paragraph per reason, not a table row: hundreds of rows (or one huge cell) dominate the PDF time.
    parts = [f'<p class="dsr-group"><b>{esc(reason)}（{len(names)} 家）</b>：'
             + (esc("、".join(names)) if len(names) <= listed or reason.startswith(NAMED_ALWAYS) else "名单从略")
             + "</p>" for reason, names in sorted(groups.items())]
    total = sum(len(names) for names in groups.values())
    parts.append(f'<p class="dsr-note">共 {total} 家不参加抽取。不列入随机抽查名单上的单位逐一列出；其他原因超过 {listed} 家的只列家数。'
                 '每个单位的名称、统一社会信用代码/注册号及原因都在 record.json（draw.units）中。</p>')
    return Html("".join(parts) if groups else "<p>（无）</p>")


def pool_table(draw: Mapping[str, Any]) -> Html:
    """Inspectors who could not serve in this draw at all, with reasons."""
    rows = [(p.get("name"), p.get("cert_no"), p.get("brigade"), "、".join(p.get("reasons", ())))
            for p in draw.get("pool", ()) if not p.get("eligible")]
    return table(rows, ("姓名", "执法证号", "单位", "不参加选派的原因"), widths=(15, 20, 20, 45))


def workload_table(draw: Mapping[str, Any]) -> Html:
    """Units given to each eligible inspector, in total and per batch."""
    rows = [(w.get("name"), w.get("cert_no"), w.get("total"), " / ".join(str(x) for x in w.get("per_batch", ())))
            for w in draw.get("workload", ())]
    return table(rows, ("姓名", "执法证号", "合计", "各批次"), ("合计",), widths=(20, 25, 12, 43))


def warnings_list(draw: Mapping[str, Any]) -> Html:
    """Warnings the draw raised (shown, never hidden)."""
    items = "".join(f"<li>{esc(w)}</li>" for w in draw.get("warnings", ()))
    return Html(f'<ul class="dsr-warn">{items}</ul>') if items else note("无警告。")


def bar_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]],
              axis: str) -> Svg:
    """A horizontal bar chart as plain SVG: one row per label, bars of each series overlaid, values written."""
    row, left, width, top = 18, 150, 330, 34
    height = top + row * max(len(labels), 1) + 22
    top_value = max([1, *(v for _, _, values in series for v in values)])
    scale = width / top_value
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 50} {height}" '
             f'width="{left + width + 50}" height="{height}" font-family="WenQuanYi Micro Hei, Noto Sans CJK SC, '
             f'sans-serif" font-size="10" role="img" aria-label="{esc(title)}">',
             f'<text x="{(left + width) / 2:.0f}" y="14" font-size="12" text-anchor="middle">{esc(title)}</text>']
    for i, (name, color, _) in enumerate(series):
        parts.append(f'<rect x="{left + i * 90}" y="20" width="10" height="8" fill="{color}"/>'
                     f'<text x="{left + i * 90 + 14}" y="28">{esc(name)}</text>')
    for r, label in enumerate(labels):
        y = top + r * row
        parts.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{esc(label)}</text>')
        for k, (_, color, values) in enumerate(series):
            value = values[r]
            h = 12 if k == 0 else 8
            parts.append(f'<rect x="{left}" y="{y + (12 - h) / 2 + 1:.0f}" width="{value * scale:.1f}" '
                         f'height="{h}" fill="{color}"/>')
        shown = " / ".join(str(values[r]) for _, _, values in series)
        longest = max(values[r] for _, _, values in series)
        parts.append(f'<text x="{left + longest * scale + 4:.1f}" y="{y + 11}" fill="#333">{esc(shown)}</text>')
    axis_y = top + row * max(len(labels), 1) + 4
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + width}" y2="{axis_y}" stroke="#999"/>'
                 f'<text x="{left + width}" y="{axis_y + 14}" text-anchor="end" fill="#555">{esc(axis)}</text></svg>')
    return Svg("".join(parts))


def strata_chart(draw: Mapping[str, Any]) -> Svg:
    """Bar chart: population N and drawn n per stratum."""
    strata = list(draw.get("strata", ()))
    return bar_chart("各分层总数与抽取数", [s.get("name", "") for s in strata],
                     [("总数 N", "#d0d0d0", [s.get("N", 0) for s in strata]),
                      ("抽取数 n", "#8b0000", [s.get("n", 0) for s in strata])], "单位数")


def workload_chart(draw: Mapping[str, Any]) -> Svg:
    """Bar chart: units assigned to each eligible inspector."""
    load = list(draw.get("workload", ()))
    return bar_chart("执法检查人员工作量", [f"{w.get('name', '')}（{w.get('cert_no', '')}）" for w in load],
                     [("检查单位数", "#4a6fa5", [w.get("total", 0) for w in load])], "检查单位数")


def seal(record_id: str, digest: str, qr_svg: str) -> Html:
    """The record's id, the SHA-256 of record.json and a QR code carrying both."""
    return Html(
        f'<div class="dsr-qr">{qr_svg}<br>扫码核对记录编号与哈希</div>'
        f'<div class="dsr-kvs"><p class="dsr-kv">记录编号：{esc(record_id)}</p>'
        f'<p class="dsr-kv">record.json SHA-256：<span class="dsr-hash">{esc(digest)}</span></p></div>'
        '<p class="dsr-note">record.json 以及全部输入文件作为附件嵌入本 PDF；'
        '任何人可用 <code>dsr verify</code> 核对签名、附件哈希并重新抽取。</p>'
        '<div style="clear: both"></div>'
    )


def software_table(software: Mapping[str, str], algorithm: str) -> Html:
    """Software and algorithm versions that made the record, as one ruled paragraph 「组件 版本；…」
    (a table of 15 rows was two cells each to lay out)."""
    items = "；".join(f"{esc(name)} {esc(version)}" for name, version in [("抽取算法", algorithm), *software.items()])
    return Html(f'<div class="dsr-kvs"><p class="dsr-kv">{items}</p></div>')


def signature_block(witnesses: Sequence[Mapping[str, str]], operator: Mapping[str, str],
                    signer: Mapping[str, str]) -> Html:
    """Lines for handwritten signatures on the printed copy, and the electronic signer."""
    rows = [(w.get("role"), w.get("name"), "", "") for w in witnesses]
    rows.append((operator.get("role", "操作员"), operator.get("name"), "", ""))
    sign = table(rows, ("身份", "姓名", "签字", "日期"), cls="dsr-sign", widths=(20, 20, 40, 20))
    signer_pairs = [("电子签章证书", signer.get("subject")), ("颁发者", signer.get("issuer")),
                    ("证书 SHA-256", signer.get("sha256"))]
    return join(Html('<div class="dsr-sign">'), sign, key_values(signer_pairs), Html("</div>"))
