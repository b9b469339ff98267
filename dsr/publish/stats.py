"""Yearly statistics for the legal department: coverage, class shares, outcomes, hazards, workload, pairs."""

from __future__ import annotations

import base64
import io
from collections import Counter
from dataclasses import dataclass
from html import escape
from itertools import combinations
from pathlib import Path

from dsr.publish.draws import DrawView
from dsr.publish.results import OUTCOMES, Result

CROWDED_KEY = "人员密集场所的消防安全重点单位"


@dataclass(frozen=True)
class UnitFacts:
    """What the statistics need of a directory unit (internal: never published)."""

    key: str
    brigade: str
    unit_class: str
    crowded: bool


@dataclass(frozen=True)
class Coverage:
    """One brigade × stratum: committed population and draw size, and how many were inspected."""

    brigade: str
    stratum: str
    population: int
    drawn: int
    inspected: int


@dataclass(frozen=True)
class ClassShare:
    """One brigade × unit class: units in the directory and how many were inspected this year."""

    brigade: str
    unit_class: str
    units: int
    inspected: int


@dataclass(frozen=True)
class YearStats:
    """Everything the yearly report shows."""

    year: int
    coverage: tuple[Coverage, ...]
    classes: tuple[ClassShare, ...]
    uncovered_crowded_key: tuple[str, ...]  # keys of crowded key units not inspected this year
    outcomes: tuple[tuple[str, int], ...]
    inspections: int
    hazards: int
    workload: tuple[tuple[str, int], ...]  # (inspector "name（cert）", drawn units), most first
    repeated_pairs: tuple[tuple[str, int], ...]  # pairs sharing more than one team


def _coverage(draws: tuple[DrawView, ...], inspected: set[tuple[str, str]]) -> tuple[Coverage, ...]:
    totals: dict[tuple[str, str], list[int]] = {}
    for d in draws:
        for s in d.strata:
            t = totals.setdefault((d.brigade, s.name), [0, 0, 0])
            t[0] += s.population
            t[1] += s.drawn
        for u in d.units:
            if (d.draw_id, u.key) in inspected:
                totals.setdefault((d.brigade, u.stratum), [0, 0, 0])[2] += 1
    return tuple(Coverage(b, s, *v) for (b, s), v in sorted(totals.items()))


def _classes(directory: tuple[UnitFacts, ...], done: set[str]) -> tuple[ClassShare, ...]:
    counts: dict[tuple[str, str], list[int]] = {}
    for u in directory:
        c = counts.setdefault((u.brigade, u.unit_class), [0, 0])
        c[0] += 1
        c[1] += u.key in done
    return tuple(ClassShare(b, k, *v) for (b, k), v in sorted(counts.items()))


def _teams(draws: tuple[DrawView, ...]) -> tuple[Counter, Counter]:
    load, pairs = Counter(), Counter()
    for d in draws:
        for u in d.units:
            names = sorted(f"{m.name}（{m.cert_no}）" for m in u.team)
            load.update(names)
            pairs.update(" + ".join(p) for p in combinations(names, 2))
    return load, pairs


def year_stats(year: int, draws: tuple[DrawView, ...], results: dict[tuple[str, str], Result],
               directory: tuple[UnitFacts, ...]) -> YearStats:
    """The statistics of one year's draws (by draw date) and their entered results."""
    draws = tuple(d for d in draws if d.year == year)
    ids = {d.draw_id for d in draws}
    mine = {k: v for k, v in results.items() if k[0] in ids}
    done = {key for _, key in mine}
    outcomes = Counter(r.outcome for r in mine.values())
    load, pairs = _teams(draws)
    uncovered = tuple(sorted(u.key for u in directory
                             if u.crowded and u.unit_class == "消防安全重点单位" and u.key not in done))
    return YearStats(
        year, _coverage(draws, set(mine)), _classes(directory, done), uncovered,
        tuple((o, outcomes[o]) for o in OUTCOMES), len(mine), sum(r.hazards for r in mine.values()),
        tuple(sorted(load.items(), key=lambda x: (-x[1], x[0]))),
        tuple(sorted(((p, n) for p, n in pairs.items() if n > 1), key=lambda x: (-x[1], x[0]))),
    )


def hazards_per_100(s: YearStats) -> str:
    """Non-compliant checkpoints per 100 inspections, one decimal, or — with no inspections."""
    return f"{100 * s.hazards / s.inspections:.1f}" if s.inspections else "—"


def _chart(labels: list[str], values: list[float], title: str) -> str:
    """A horizontal bar chart as an inline PNG data URI (Agg backend, CJK font)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    fig, ax = plt.subplots(figsize=(7, 0.4 * max(len(labels), 3) + 1))
    ax.barh(labels[::-1], values[::-1], color="#b42318")
    ax.set_title(title)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _table(headers: tuple[str, ...], rows: list[tuple]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def report_html(s: YearStats, detachment: str) -> str:
    """The yearly report as one self-contained HTML page (internal use)."""
    cov = [(c.brigade, c.stratum, c.population, c.drawn, c.inspected, _pct(c.inspected, c.drawn)) for c in s.coverage]
    cls = [(c.brigade, c.unit_class, c.units, c.inspected, _pct(c.inspected, c.units)) for c in s.classes]
    parts = [
        f"<h1>{escape(detachment)} {s.year} 年双随机抽查统计（内部）</h1>",
        f"<p>检查 {s.inspections} 家次；发现不符合检查要点 {s.hazards} 项，每百次检查 {hazards_per_100(s)} 项。</p>",
        "<h2>各大队、各层抽查覆盖</h2>",
        _table(("大队", "层", "对象数（累计）", "抽中数", "已录入结果", "完成率"), cov),
        "<h2>各类单位本年度已检查比例</h2>", _table(("大队", "单位类别", "单位数", "已检查", "比例"), cls),
        f"<p>人员密集场所的消防安全重点单位本年度尚未检查：{len(s.uncovered_crowded_key)} 家"
        f"（120号令第七条要求每年至少检查一次）。</p>",
        "<h2>检查结果</h2>", _table(("检查结果", "家次"), list(s.outcomes)),
        f'<img alt="检查结果" src="{_chart([o for o, _ in s.outcomes], [n for _, n in s.outcomes], "检查结果分布")}">',
        "<h2>检查人员工作量</h2>", _table(("检查人员", "检查单位数"), list(s.workload)),
    ]
    if s.workload:
        top = s.workload[:20]
        parts.append(f'<img alt="工作量" src="{_chart([w for w, _ in top], [n for _, n in top], "检查人员工作量（前 20）")}">')
    parts += ["<h2>重复搭档</h2>", _table(("人员组合", "同组次数"), list(s.repeated_pairs))
              if s.repeated_pairs else "<p>本年度没有两人同组超过一次。</p>"]
    style = ("body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;margin:24px}"
             "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 8px}")
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{s.year} 年抽查统计</title>'
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")


def write_report(s: YearStats, detachment: str, folder: Path) -> Path:
    """Write statistics-<year>.html into `folder` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"statistics-{s.year}.html"
    path.write_text(report_html(s, detachment), "utf-8")
    return path
