"""The ceremony: a commitment over frozen inputs and announced sources, then entropy ▶ seed ▶ draws."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dsr.core import entropy
from dsr.core.canonical import canonical_bytes, sha256_hex, to_plain
from dsr.core.freeze import SECTIONS, diff_inputs, frozen_document, input_digests
from dsr.core.model import DrawInputs
from dsr.errors import CommitmentMismatch, DrawError

FORMAT = "dsr-commitment/1"
DRAW_FORMAT = "dsr-draw/1"
ALGORITHM = "dsr-sha256/1"
SEED_LABEL = "dsr/seed/1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
# Chinese names of the frozen sections, for messages that only have digests to go on.
SECTION_NOUNS = {
    "scope": "抽取范围", "units": "单位", "inspectors": "执法检查人员", "items": "抽查事项",
    "conflicts": "利害关系", "exclusions": "不列入抽查名单", "history": "抽查历史", "rules": "抽查细则",
}

Planner = Callable[[DrawInputs], Sequence[Any]]  # dsr.core.draw.plan: strata with name, N, n
Drawer = Callable[[bytes, DrawInputs], Any]  # dsr.core.draw.run_draw


def _default_planner() -> Planner:
    from dsr.core.draw import plan  # late: the draw module is built beside this one

    return plan


def _default_drawer() -> Drawer:
    from dsr.core.draw import run_draw

    return run_draw


def strata_plain(strata: Sequence[Any]) -> list[dict[str, Any]]:
    """The committed form of a brigade's plan: each stratum's name, N and n, and those of its cells."""
    return [
        {"name": s.name, "N": s.N, "n": s.n, "cells": [{"cell": c.cell, "N": c.N, "n": c.n} for c in s.cells]}
        for s in strata
    ]


def outcome_log2(strata: Sequence[Mapping[str, Any]]) -> float:
    """log2 of the number of possible unit draws: Σ over cells of log2 C(N_c, n_c), from exact integers.

    Cells are drawn independently, so their counts multiply; priority groups only reduce the count,
    so ignoring them errs on the side of asking for more entropy.
    """
    total = 0.0
    for cell in (c for s in strata for c in s["cells"]):
        if not 0 <= cell["n"] <= cell["N"]:
            raise DrawError(f"抽取单元「{cell['cell']}」的抽取数 {cell['n']} 超出总数 {cell['N']}")
        total += math.log2(math.comb(cell["N"], cell["n"]))
    return total


def _brigade_entry(inputs: DrawInputs, planner: Planner) -> dict[str, Any]:
    """What the commitment holds for one brigade: digests, inspection date and draw sizes."""
    digests = input_digests(inputs)
    return {
        "inputs_sha256": digests["document"],
        "sections": {s: digests[s] for s in SECTIONS},
        "rules_sha256": digests["rules"],
        "inspection_date": inputs.inspection_date.isoformat(),
        "strata": strata_plain(planner(inputs)),
    }


def _check_created_at(created_at: str) -> None:
    """The caller states the time; it must be ISO 8601 with a UTC offset, so it means one instant."""
    try:
        stamp = dt.datetime.fromisoformat(created_at)
    except (TypeError, ValueError):
        stamp = None
    if stamp is None or stamp.tzinfo is None:
        raise DrawError(f"承诺时间应为带时区的 ISO 8601 时间（如 2026-12-01T09:00:00+08:00），实为「{created_at}」")


def make_commitment(
    ceremony_id: str,
    detachment: str,
    brigades: Mapping[str, DrawInputs],
    sources: Sequence[entropy.Source],
    software_version: str,
    algorithm: str,
    created_at: str,
    operator: str,
    notes: str = "",
    planner: Planner | None = None,
) -> dict[str, Any]:
    """The commitment for a batch of brigades, refused if the announced sources are too weak."""
    _check_created_at(created_at)
    if algorithm != ALGORITHM:
        raise DrawError(f"不支持的抽取算法「{algorithm}」，应为 {ALGORITHM}")
    if not brigades:
        raise DrawError("承诺中至少要有一个大队")
    planner = planner or _default_planner()
    entries = {}
    for name in sorted(brigades):
        inputs = brigades[name]
        if inputs.brigade != name or inputs.detachment != detachment:
            raise DrawError(f"大队「{name}」的输入属于「{inputs.detachment}」「{inputs.brigade}」")
        entries[name] = _brigade_entry(inputs, planner)
    entropy.check_sufficient(entropy.entropy_bits(sources), sum(outcome_log2(e["strata"]) for e in entries.values()))
    return {
        "format": FORMAT,
        "ceremony_id": ceremony_id,
        "detachment": detachment,
        "created_at": created_at,
        "operator": operator,
        "notes": notes,
        "software": {"name": "dsr", "version": software_version},
        "algorithm": algorithm,
        "entropy": {
            "sources": [entropy.source_to_plain(s) for s in sources],
            "margin_bits": entropy.MARGIN_BITS,
            "cap_bits": entropy.CAP_BITS,
        },
        "brigades": entries,
    }


def commitment_hash(commitment: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the commitment's canonical bytes: the value published before the ceremony."""
    return sha256_hex(canonical_bytes(commitment))


def derive_seed(commitment_hash_hex: str, canonical_entropy: str) -> bytes:
    """SHA-256(UTF8("dsr/seed/1") ‖ 0x00 ‖ 32 commitment-hash bytes ‖ UTF8(canonical entropy))."""
    if not _HEX64.fullmatch(commitment_hash_hex):
        raise DrawError(f"承诺哈希应为 64 位小写十六进制数，实为「{commitment_hash_hex}」")
    message = SEED_LABEL.encode() + b"\x00" + bytes.fromhex(commitment_hash_hex) + canonical_entropy.encode("utf-8")
    return hashlib.sha256(message).digest()


def _section_lines(entry: Mapping[str, Any], digests: Mapping[str, str]) -> list[str]:
    """Without the committed document, name the sections whose digests differ."""
    return [f"{SECTION_NOUNS[s]}与承诺的摘要不符" for s in SECTIONS if entry["sections"].get(s) != digests[s]]


def check_against_commitment(
    commitment: Mapping[str, Any],
    brigade: str,
    inputs: DrawInputs,
    committed_document: Mapping[str, Any] | None = None,
) -> None:
    """Refuse inputs that differ from what the commitment froze, naming what differs."""
    entry = commitment["brigades"].get(brigade)
    if entry is None:
        raise CommitmentMismatch(f"承诺中没有大队「{brigade}」")
    digests = input_digests(inputs)
    if digests["document"] == entry["inputs_sha256"]:
        return
    if committed_document is not None and input_digests(committed_document)["document"] == entry["inputs_sha256"]:
        lines = diff_inputs(committed_document, frozen_document(inputs))
    else:
        lines = _section_lines(entry, digests)
        if committed_document is not None:
            lines.insert(0, "承诺旁的冻结输入文件与承诺不符，无法逐行比较")
    raise CommitmentMismatch(f"大队「{brigade}」的输入与承诺不一致，拒绝抽取：\n" + "\n".join(lines))


@dataclass(frozen=True)
class Ceremony:
    """Everything a batch draw produced: the entropy accepted, the seed and each brigade's result."""

    commitment_sha256: str
    values: tuple[tuple[str, tuple[str, ...]], ...]  # source id ▶ values as read out, announced order
    fallbacks: tuple[tuple[str, str], ...]  # source id ▶ why its fallback was invoked
    canonical_entropy: str
    seed: bytes
    results: tuple[tuple[str, Any], ...]  # brigade ▶ DrawResult, sorted by brigade


def _check_software(commitment: Mapping[str, Any], software_version: str) -> None:
    """The draw runs the very algorithm and software version the commitment named."""
    if commitment.get("format") != FORMAT:
        raise DrawError(f"不是 {FORMAT} 格式的承诺文件")
    if commitment["algorithm"] != ALGORITHM:
        raise DrawError(f"承诺使用算法「{commitment['algorithm']}」，本软件实现的是 {ALGORITHM}")
    if commitment["software"]["version"] != software_version:
        raise DrawError(f"承诺使用 dsr {commitment['software']['version']}，当前为 dsr {software_version}，拒绝抽取")


def _check_brigades(commitment: Mapping[str, Any], presented: Mapping[str, DrawInputs]) -> None:
    """Exactly the committed brigades are presented: none missing, none added."""
    committed = set(commitment["brigades"])
    missing = sorted(committed - set(presented))
    extra = sorted(set(presented) - committed)
    lines = [f"缺少大队「{b}」的输入" for b in missing] + [f"承诺中没有大队「{b}」" for b in extra]
    if lines:
        raise CommitmentMismatch("\n".join(lines))


def run_ceremony(
    commitment: Mapping[str, Any],
    presented: Mapping[str, DrawInputs],
    values: Mapping[str, Sequence[str]],
    fallbacks: Mapping[str, str] | None = None,
    committed_documents: Mapping[str, Mapping[str, Any]] | None = None,
    software_version: str = "",
    planner: Planner | None = None,
    drawer: Drawer | None = None,
) -> Ceremony:
    """Check inputs against the commitment, accept the entropy, derive the seed, draw every brigade."""
    fallbacks = dict(fallbacks or {})
    _check_software(commitment, software_version)
    _check_brigades(commitment, presented)
    planner, drawer = planner or _default_planner(), drawer or _default_drawer()
    for brigade in sorted(presented):
        check_against_commitment(commitment, brigade, presented[brigade], (committed_documents or {}).get(brigade))
        if strata_plain(planner(presented[brigade])) != commitment["brigades"][brigade]["strata"]:
            raise CommitmentMismatch(f"大队「{brigade}」的分层抽取数与承诺不符")
    sources = entropy.sources_from_plain(commitment["entropy"]["sources"])
    text = entropy.canonical_entropy(sources, values, fallbacks)
    outcome = sum(outcome_log2(e["strata"]) for e in commitment["brigades"].values())
    entropy.check_sufficient(entropy.entropy_bits(sources, entropy.dropped_sources(values, fallbacks)), outcome)
    digest = commitment_hash(commitment)
    seed = derive_seed(digest, text)
    return Ceremony(
        commitment_sha256=digest,
        values=tuple((s.id, tuple(str(v) for v in values.get(s.id, ()))) for s in sources),
        fallbacks=tuple(sorted(fallbacks.items())),
        canonical_entropy=text,
        seed=seed,
        results=tuple((b, drawer(seed, presented[b])) for b in sorted(presented)),
    )


def draw_document(commitment: Mapping[str, Any], ceremony: Ceremony, brigade: str) -> dict[str, Any]:
    """The canonical JSON of one brigade's draw: ceremony context plus the DrawResult."""
    results = dict(ceremony.results)
    return {
        "format": DRAW_FORMAT,
        "ceremony_id": commitment["ceremony_id"],
        "detachment": commitment["detachment"],
        "brigade": brigade,
        "algorithm": commitment["algorithm"],
        "software": commitment["software"],
        "commitment_sha256": ceremony.commitment_sha256,
        "inputs_sha256": commitment["brigades"][brigade]["inputs_sha256"],
        "entropy": {
            "values": {k: list(v) for k, v in ceremony.values},
            "fallbacks": dict(ceremony.fallbacks),
            "canonical": ceremony.canonical_entropy,
        },
        "seed": ceremony.seed.hex(),
        "result": to_plain(results[brigade]),
    }
