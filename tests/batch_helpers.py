"""A small real ceremony for batch tests: 3 brigades, a few dozen units each, rules, sources and entropy."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from dsr import synth
from dsr.inputs import schema

REPO = Path(__file__).resolve().parents[1]
CEREMONY_ID = "TEST-2026-12"
BRIGADES = ("文峰区", "北关区", "殷都区")
SIZES = {"文峰区": 40, "北关区": 30, "殷都区": 30}
ENTROPY = {
    "dice-a": "3 8 0 9 5 1 2 7 4 6 0 9 1 8 2 7 3 6 4 5",
    "dice-b": "7 2 6 0 4 4 9 1 3 8 5 0 2 6 9 7 1 3 8 0",
    "fc3d": "5 2 8",
    "phrase": "测试见证：今天晴",
}
OTHER_ENTROPY = dict(ENTROPY, phrase="另一句话")


def write_workbooks(folder: Path, brigades=BRIGADES, sizes=SIZES, seed: int = 7) -> list[Path]:
    """The five input workbooks for `brigades` with `sizes` units each (synth's demo generator, smaller)."""
    chosen = [b for b in synth.ANYANG if b.name in brigades]
    rng = random.Random(seed)
    units = synth.demo_units(rng, chosen, dict(sizes))
    inspectors = synth.demo_inspectors(rng, chosen)
    rows = {"items": synth.demo_items(), "units": units, "inspectors": inspectors,
            "conflicts": synth.demo_conflicts(rng, units, inspectors, n=4),
            "exclusions": synth.demo_exclusions(rng, units, n=4)}
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in ("items", "units", "inspectors", "conflicts", "exclusions"):
        sheet = schema.SHEETS[kind]
        path = folder / f"{sheet.title}.xlsx"
        synth.write_workbook(path, sheet, [tuple(r.get(c.header) for c in sheet.columns) for r in rows[kind]])
        paths.append(path)
    return paths


def write_rules(path: Path, brigade: str, **overrides) -> Path:
    """A rules file for one brigade: the demo's common rules, the brigade's own pool, any overrides."""
    common = yaml.safe_load((REPO / "params/demo/_common.yaml").read_text(encoding="utf-8"))
    common.update(brigade=brigade, title=f"{brigade}测试细则")
    common["team"] = dict(common["team"], pool=[brigade])
    common.update(overrides)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(common, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_ceremony(base: Path, brigades=BRIGADES, entropy: dict | None = ENTROPY, ceremony_id: str = CEREMONY_ID,
                   rules_overrides: dict | None = None) -> Path:
    """Write a whole small ceremony under `base` (paths in it relative to `base`); return the ceremony file."""
    data = base / "data"
    if not (data / "检查对象名录库.xlsx").exists():
        write_workbooks(data)
    shutil.copy(REPO / "params/detachment.yaml", base / "detachment.yaml")
    shutil.copy(REPO / "params/demo/sources.yaml", base / "sources.yaml")
    rules = {}
    for b in brigades:
        name = f"rules/{b}.yaml"
        if not (base / name).exists():
            write_rules(base / name, b, **(rules_overrides or {}).get(b, {}))
        rules[b] = name
    doc = {
        "ceremony_id": ceremony_id, "detachment": "detachment.yaml", "task_name": "测试抽查",
        "item": "XF-001", "inspection_date": "2026-12-01", "commit_at": "2026-11-27T09:00:00+08:00",
        "draw_at": "2026-11-30T10:00:00+08:00",
        "inputs": [f"data/{p.name}" for p in sorted(data.glob("*.xlsx"))],
        "rules": rules, "sources": "sources.yaml",
        "operator": {"name": "贾兵", "role": "操作员", "org": "支队法制宣传科"},
        "witnesses": [{"name": "王建国", "role": "廉政监督员", "org": "支队纪检组"},
                      {"name": "李秀梅", "role": "企业代表", "org": "某商贸有限公司"}],
    }
    if entropy is not None:
        (base / "entropy.yaml").write_text(
            yaml.safe_dump({"ceremony_id": ceremony_id, "values": entropy, "fallbacks": {}}, allow_unicode=True),
            encoding="utf-8")
        doc["entropy"] = "entropy.yaml"
    path = base / "ceremony.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def dsr_env() -> dict[str, str]:
    """The environment for a `dsr` subprocess with the repository importable."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH")))))


def dsr_command(*args: str) -> list[str]:
    """`python -m dsr …` with this interpreter."""
    return [sys.executable, "-m", "dsr", *args]


def run_dsr(base: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `dsr …` in `base` and wait for it."""
    return subprocess.run(dsr_command(*args), cwd=base, env=dsr_env(), capture_output=True, text=True,
                          timeout=timeout)
