"""Re-derive a record's draw from its attached inputs alone and compare it with what the record states."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dsr.core import commitment as cm
from dsr.core import entropy, freeze
from dsr.core.canonical import canonical_bytes, from_plain, to_plain
from dsr.core.model import HistoryEntry
from dsr.record.verify import Check

_SHOW = 3  # differences named per check


def _by_kind(record: Mapping, kind: str) -> list[str]:
    return [e["name"] for e in record.get("inputs", ()) if e.get("kind") == kind]


def _one(record: Mapping, kind: str) -> str:
    names = _by_kind(record, kind)
    if len(names) != 1:
        raise ValueError(f"记录应列出 1 个「{kind}」文件，实有 {len(names)} 个")
    return names[0]


def _rebuild_inputs(record: Mapping, folder: Path, commitment: Mapping, committed: Mapping):
    """Read the attached workbooks and rules as the notebook did, and check them against the commitment."""
    from dsr.inputs import load_detachment
    from dsr.inputs.reader import read_inputs
    from dsr.rules import load_rules

    # Only the history and the inspection date come from the frozen document (as in the notebook): the
    # attached workbooks and rules must reproduce everything else, and the commitment pins all of it.
    history = from_plain(tuple[HistoryEntry, ...], committed["history"])
    inspection_date = dt.date.fromisoformat(committed["scope"]["inspection_date"])
    detachment = load_detachment(folder / _one(record, "detachment"))
    rules = load_rules(folder / _one(record, "rules"))
    checked = read_inputs([folder / n for n in _by_kind(record, "workbook")], detachment, inspection_date)
    inputs = freeze.build_draw_inputs(checked.directory, detachment.name, record["header"]["brigade"], rules,
                                      history, inspection_date)
    cm.check_against_commitment(commitment, record["header"]["brigade"], inputs, committed)
    return inputs


def _differences(label: str, mine: list, theirs: list, key) -> Check:
    """Compare two lists of plain rows by a key; name the first few that differ."""
    a = {key(x): canonical_bytes(x) for x in mine}
    b = {key(x): canonical_bytes(x) for x in theirs}
    diff = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    if not diff:
        return Check(label, True, f"{len(mine)} 项全部一致")
    shown = "、".join(str(k) for k in diff[:_SHOW]) + ("等" if len(diff) > _SHOW else "")
    return Check(label, False, f"{len(diff)} 项不一致：{shown}")


def compare_draws(mine: Mapping[str, Any], stated: Mapping[str, Any]) -> list[Check]:
    """Drawn units, batches and teams of the re-run draw against the record, and the whole result."""
    same = canonical_bytes(mine) == canonical_bytes(stated)
    parts = (("重新抽取：抽中单位", _drawn(mine), _drawn(stated), lambda u: u["key"]),
             ("重新抽取：全部单位的签号与结果", list(mine.get("units", ())), list(stated.get("units", ())),
              lambda u: u["key"]),
             ("重新抽取：批次", list(mine.get("batches", ())), list(stated.get("batches", ())), lambda b: b["number"]),
             ("重新抽取：检查组", list(mine.get("teams", ())), list(stated.get("teams", ())), lambda t: t["unit_key"]))
    if same:
        # Byte-identical results: every part is identical too, no need to compare item by item.
        checks = [Check(label, True, f"{len(a)} 项全部一致") for label, a, _, _ in parts]
    else:
        checks = [_differences(label, a, b, key) for label, a, b, key in parts]
    checks.append(Check("重新抽取：完整结果逐字节一致", same, "" if same else "结果与记录不同"))
    return checks


def _drawn(draw: Mapping[str, Any]) -> list:
    return [u for u in draw.get("units", ()) if u.get("status") == "drawn"]


def replay_draw(record: Mapping, files: Mapping[str, bytes]) -> list[Check]:
    """Commitment, inputs against it, seed from the entropy, then the draw itself, each as a check."""
    from dsr.core.draw import run_draw

    commitment = _json(files[_one(record, "commitment")])
    committed = _json(files[_one(record, "frozen-inputs")])
    digest = cm.commitment_hash(commitment)
    checks = [Check("承诺与记录一致", commitment == record.get("commitment"), f"承诺 SHA-256 {digest[:16]}…")]
    with tempfile.TemporaryDirectory(prefix="dsr-verify-") as tmp:
        folder = Path(tmp)
        for name, data in files.items():
            (folder / Path(name).name).write_bytes(data)
        try:
            inputs = _rebuild_inputs(record, folder, commitment, committed)
        except Exception as exc:  # noqa: BLE001 - a refusal is a failed check, with its message
            return [*checks, Check("输入与承诺一致", False, str(exc).splitlines()[0])]
    # check_against_commitment has just found the inputs' digest equal to the committed one.
    committed_digest = str(commitment["brigades"][record["header"]["brigade"]].get("inputs_sha256", ""))
    checks.append(Check("输入与承诺一致", True, f"输入 SHA-256 {committed_digest[:16]}…"))
    stated = record.get("entropy", {})
    sources = entropy.sources_from_plain(commitment["entropy"]["sources"])
    text = entropy.canonical_entropy(sources, stated.get("values", {}), stated.get("fallbacks", {}))
    seed = cm.derive_seed(digest, text)
    seed_ok = text == stated.get("canonical") and seed.hex() == record.get("seed")
    checks.append(Check("种子由承诺与公开随机数导出", seed_ok, seed.hex()[:16] + "…"))
    mine = to_plain(run_draw(seed, inputs))
    return checks + compare_draws(mine, record.get("draw", {}))


def _json(data: bytes) -> Any:
    import json

    return json.loads(data.decode("utf-8"))
