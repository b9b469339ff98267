"""Known-answer vectors of the ceremony (tests/vectors/ceremony.json), recomputed and cross-checked by hand.

Regenerate on purpose with `DSR_REGEN_VECTORS=1 pytest tests/test_ceremony_vectors.py` and review the diff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from ceremony_data import DATE, directory, rules, unit
from dsr.core.canonical import to_plain
from dsr.core.commitment import ALGORITHM, commitment_hash, derive_seed, make_commitment
from dsr.core.draw import run_draw
from dsr.core.entropy import canonical_entropy, source_to_plain, sources_from_plain
from dsr.core.freeze import build_draw_inputs, frozen_document, input_digests, inputs_from_document
from dsr.core.tickets import LABEL_BATCH, LABEL_INSPECTOR, LABEL_UNIT, ticket

VECTOR = Path(__file__).parent / "vectors" / "ceremony.json"
DETACHMENT = "安阳市消防救援支队"
QUICKNET = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"

SOURCES = [
    {"id": "dice", "kind": "dice", "description": "见证人掷 20 枚十面骰，按掷出顺序读数", "when": "2026-11-30 摇号现场",
     "fallback": "无法辨认的当场重掷", "count": "20", "low": "0", "high": "9"},
    {"id": "fc3d", "kind": "lottery", "description": "福彩 3D 第 2026321 期（百、十、个位）", "when": "2026-11-29 21:15",
     "fallback": "未开奖则改用下一期", "draw_no": "2026321", "count": "3", "low": "0", "high": "9",
     "ordered": "true", "distinct": "false"},
    {"id": "ssq", "kind": "lottery", "description": "双色球第 2026137 期红球（不计顺序）", "when": "2026-11-29 21:15",
     "fallback": "未开奖则本来源作废", "draw_no": "2026137", "count": "6", "low": "1", "high": "33",
     "ordered": "false", "distinct": "true"},
    {"id": "drand", "kind": "beacon", "description": "drand quicknet 第 657413 轮", "when": "该轮产生后",
     "fallback": "该轮缺失则取其后第一个存在的轮次", "chain": QUICKNET, "round": "657413"},
    {"id": "phrase", "kind": "text", "description": "见证人写下的一句话", "when": "摇号现场", "fallback": "未写出则作废"},
]
VALUES = {
    "dice": list("03809512746091827364"),
    "fc3d": ["5", "2", "8"],
    "ssq": ["27", "03", "14", "9", "31", "22"],
    "drand": ["fc1873a13f3545aeade8401532ef5519920652eee6b0d2b19ca12643b87b3587"],
    "phrase": ["见证人：安阳 100% 晴/好. 平安🔥🚒"],
}
# Smaller cases of the canonical entropy alone: announced sources, values, expected string.
ENTROPY_CASES = [
    ([SOURCES[2]], {"ssq": ["2", "5", "12", "8", "10", "1"]}, "1.2.5.8.10.12./"),
    ([SOURCES[1]], {"fc3d": ["0", "0", "7"]}, "7./"),
    ([SOURCES[4]], {"phrase": ["e\u0301 %./"]}, "\u00e9 %25%2E%2F./"),
]


def _brigades() -> dict:
    """Two brigades' inputs; one unit's name carries an emoji and a middle dot."""
    d = directory()
    d = replace(d, units=tuple(replace(u, name="安阳·老街火锅🔥店") if u.key == "K004" else u for u in d.units)
                + (unit("L002", "北关区某某幼儿园", brigade="北关区"),))
    return {b: build_draw_inputs(d, DETACHMENT, b, rules(b), (), DATE) for b in ("文峰区", "北关区")}


def _draw_summary(result) -> dict:
    """What the vector pins of a draw: drawn keys by batch and each team, leader first."""
    return {
        "batches": [list(b.units) for b in result.batches],
        "teams": {t.unit_key: list(t.members) for t in result.teams},
    }


def build_vector() -> dict:
    """The whole vector, computed by dsr from the fixed inputs above."""
    brigades = _brigades()
    sources = sources_from_plain(SOURCES)
    commitment = make_commitment("AY-TEST-1", DETACHMENT, brigades, sources, "0.1.0", ALGORITHM,
                                 "2026-11-27T09:00:00+08:00", "贾兵", "测试向量")
    text = canonical_entropy(sources, VALUES)
    digest = commitment_hash(commitment)
    seed = derive_seed(digest, text)
    wenfeng = brigades["文峰区"]
    return {
        "about": "dsr ceremony known-answer vector: frozen inputs ▶ digests ▶ commitment ▶ entropy ▶ seed ▶ tickets ▶ draw",
        "frozen_inputs": {b: frozen_document(i) for b, i in brigades.items()},
        "digests": {b: input_digests(i) for b, i in brigades.items()},
        "sources": [source_to_plain(s) for s in sources],
        "commitment": commitment,
        "commitment_sha256": digest,
        "values": VALUES,
        "fallbacks": {},
        "canonical_entropy": text,
        "seed": seed.hex(),
        "tickets": [
            {"label": LABEL_UNIT, "key": u.key, "ticket": ticket(seed, LABEL_UNIT, u.key).hex()} for u in wenfeng.units
        ] + [{"label": label, "key": key, "ticket": ticket(seed, label, key).hex()}
             for label, key in ((LABEL_BATCH, "K001"), (LABEL_INSPECTOR, "K003|0"), (LABEL_INSPECTOR, "K003|1"))],
        "draws": {b: _draw_summary(run_draw(seed, i)) for b, i in brigades.items()},
        "entropy_cases": [{"sources": s, "values": v, "canonical": c} for s, v, c in ENTROPY_CASES],
    }


def _load() -> dict:
    """The stored vector (written first when DSR_REGEN_VECTORS is set)."""
    if os.environ.get("DSR_REGEN_VECTORS"):
        VECTOR.write_text(json.dumps(to_plain(build_vector()), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return json.loads(VECTOR.read_text(encoding="utf-8"))


def _plain_hash(value) -> str:
    """SHA-256 of canonical JSON written with the stdlib alone (keys here are BMP, so code-point order holds)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture(scope="module")
def vector() -> dict:
    """The stored ceremony vector."""
    return _load()


def test_dsr_reproduces_vector(vector):
    """Every stage computed by dsr today equals the stored vector."""
    assert to_plain(build_vector()) == vector


def test_frozen_documents_read_back(vector):
    """Each stored frozen document reads back into inputs whose digests are the stored ones."""
    for brigade, doc in vector["frozen_inputs"].items():
        inputs = inputs_from_document(doc)
        assert frozen_document(inputs) == doc
        assert input_digests(inputs) == vector["digests"][brigade]


def test_digests_and_commitment_hash_by_stdlib(vector):
    """Section digests and the commitment hash match canonical JSON written with plain json.dumps."""
    for brigade, doc in vector["frozen_inputs"].items():
        assert vector["digests"][brigade]["units"] == _plain_hash(doc["units"])
        assert vector["digests"][brigade]["document"] == _plain_hash(doc)
        assert vector["commitment"]["brigades"][brigade]["inputs_sha256"] == _plain_hash(doc)
    assert vector["commitment_sha256"] == _plain_hash(vector["commitment"])


def test_seed_by_hand(vector):
    """The seed is SHA-256 of "dsr/seed/1", 0x00, the commitment hash bytes and the UTF-8 canonical entropy."""
    message = b"dsr/seed/1\x00" + bytes.fromhex(vector["commitment_sha256"]) + vector["canonical_entropy"].encode()
    assert hashlib.sha256(message).hexdigest() == vector["seed"]


def test_canonical_entropy_spelled_out(vector):
    """The stored canonical entropy is the documented concatenation, source by source."""
    drand = int(VALUES["drand"][0], 16)
    expected = f"3809512746091827364./528./3.9.14.22.27.31./{drand}./见证人：安阳 100%25 晴%2F好%2E 平安🔥🚒./"
    assert vector["canonical_entropy"] == expected


def test_tickets_by_hand(vector):
    """Each ticket is HMAC-SHA256 keyed by the seed over label, 0x00 and key."""
    seed = bytes.fromhex(vector["seed"])
    for t in vector["tickets"]:
        mac = hmac.new(seed, t["label"].encode() + b"\x00" + t["key"].encode(), hashlib.sha256).hexdigest()
        assert mac == t["ticket"]


def test_entropy_cases(vector):
    """The small canonical-entropy cases recompute from their announcements and values."""
    for case in vector["entropy_cases"]:
        assert canonical_entropy(sources_from_plain(case["sources"]), case["values"]) == case["canonical"]


def test_vector_has_non_ascii_and_emoji(vector):
    """The vector exercises non-ASCII names and an emoji in the witness phrase, as the spec promises."""
    names = [u["name"] for u in vector["frozen_inputs"]["文峰区"]["units"]]
    assert "安阳·老街火锅🔥店" in names
    assert "🔥🚒" in vector["canonical_entropy"]
