"""DrawResult-shaped test data built from real tickets, for the publishing tests (no draw is faked in demos)."""

from __future__ import annotations

import datetime as dt

from dsr.core.canonical import canonical_bytes
from dsr.core.commitment import commitment_hash, derive_seed
from dsr.core.tickets import LABEL_UNIT, ticket
from dsr.inputs.uscc import check_char
from dsr.publish.draws import Commitment, from_result

COMMITMENT_DOC = {"format": "dsr-commitment/1", "ceremony_id": "测试-2026-09", "created_at": "2026-08-28T10:00:00+08:00",
                  "entropy": {"sources": [{"id": "lottery", "description": "体彩排列五 第26230期 🔥"}]}}
CANONICAL_ENTROPY = "lottery:3.1.4.1.5/"
COMMIT_HASH = commitment_hash(COMMITMENT_DOC)
SEED = derive_seed(COMMIT_HASH, CANONICAL_ENTROPY)
DRAW_ID = "2026-文峰区-01"
DRAWN_ON = dt.date(2026, 9, 1)
NAMES = {"豫消001": "张伟", "豫消002": "李娜", "豫消003": "王强", "豫消004": "赵敏"}


def code(body: str) -> str:
    """A valid 统一社会信用代码 with division 410502 and the given 8-char body (+ check)."""
    first = "91410502" + body + "0"
    return first[:17] + check_char(first[:17])


def _select(keys: list[str], n: int, stratum: str, cell: str, probability: str) -> list[dict]:
    """Units of one cell: the n lowest tickets are drawn."""
    ranked = sorted(keys, key=lambda k: ticket(SEED, LABEL_UNIT, k))
    return [
        {"key": k, "name": f"安阳市文峰区测试{k[-4:]}商贸有限公司", "stratum": stratum, "cell": cell,
         "ticket": ticket(SEED, LABEL_UNIT, k).hex(), "status": "drawn" if i < n else "not_drawn",
         "batch": "第1批" if i < n else None, "probability": probability, "reason": None}
        for i, k in enumerate(ranked)
    ]


def draw_result() -> dict:
    """Two strata: one plain (cutoff publishable), one split into credit cells (cutoff withheld)."""
    crowded = _select([code(f"MA{i:06d}") for i in range(6)], 3, "人员密集重点单位", "人员密集重点单位", "1/2")
    general = (_select([code(f"MB{i:06d}") for i in range(5)], 1, "一般单位", "一般单位/A", "1/5")
               + _select([code(f"MC{i:06d}") for i in range(3)], 2, "一般单位", "一般单位/D", "2/3"))
    units = crowded + general
    drawn = [u for u in units if u["status"] == "drawn"]
    teams = [{"unit_key": u["key"], "members": ["豫消001", "豫消002"] if i % 2 == 0 else ["豫消003", "豫消004"],
              "leader": "豫消001" if i % 2 == 0 else "豫消003"} for i, u in enumerate(drawn)]
    return {"algorithm": "dsr-draw/1", "brigade": "文峰区", "seed": SEED.hex(),
            "strata": [{"name": "人员密集重点单位", "N": 6, "n": 3, "probability": "1/2"},
                       {"name": "一般单位", "N": 8, "n": 3, "probability": "3/8"}],
            "units": units, "teams": teams}


def commitment() -> Commitment:
    """A commitment as announced (values are test values)."""
    return Commitment(COMMIT_HASH, "2026-08-28T10:00:00+08:00", ("lottery：体彩排列五 第26230期 🔥",),
                      (("lottery", "3 1 4 1 5"),), CANONICAL_ENTROPY, canonical_bytes(COMMITMENT_DOC).decode("utf-8"),
                      "2026-09-01T09:30:00+08:00")


def view():
    """The DrawView of the test draw."""
    return from_result(draw_result(), DRAW_ID, DRAWN_ON, "安阳市消防救援支队", NAMES,
                       (("XF-001", "日常消防监督抽查"),), commitment())
