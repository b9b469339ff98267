"""The commitment, the seed and the ceremony: hashes, refusals and the checks against frozen inputs."""

from __future__ import annotations

import hashlib
import math
from dataclasses import replace

import pytest

from ceremony_data import DATE, directory, rules, unit
from dsr.core.canonical import canonical_bytes, to_plain
from dsr.core.draw import run_draw
from dsr.core.commitment import (
    ALGORITHM,
    check_against_commitment,
    commitment_hash,
    derive_seed,
    draw_document,
    make_commitment,
    outcome_log2,
    run_ceremony,
)
from dsr.core.entropy import source_from_plain
from dsr.core.freeze import build_draw_inputs, frozen_document
from dsr.errors import CommitmentMismatch, DrawError

DETACHMENT = "安阳市消防救援支队"


def announce(id, kind, **params):
    """A plain announcement with every scalar a string, as the YAML loader gives it."""
    base = {"id": id, "kind": kind, "description": "说明", "when": "摇号当日", "fallback": "顺延至下一期"}
    return source_from_plain({**base, **{k: str(v) for k, v in params.items()}})


SOURCES = (
    announce("dice", "dice", count=20, low=0, high=9),
    announce("phrase", "text"),
)
VALUES = {"dice": list("38095127460918273645"), "phrase": ["见证人：今天安阳晴 🔥"]}


def brigade_inputs(name="文峰区", d=None):
    """A brigade's inputs from the test directory."""
    return build_draw_inputs(d or directory(), DETACHMENT, name, rules(name), (), DATE)


def commit(brigades=None, sources=SOURCES, **changes):
    """A commitment over 文峰区 and 北关区 with fixed metadata."""
    args = dict(
        ceremony_id="AY-2026-12", detachment=DETACHMENT,
        brigades=brigades or {"文峰区": brigade_inputs(), "北关区": brigade_inputs("北关区")},
        sources=sources, software_version="0.1.0", algorithm=ALGORITHM,
        created_at="2026-11-27T09:00:00+08:00", operator="贾兵", notes="测试",
    )
    return make_commitment(**{**args, **changes})


def ceremony(commitment, presented=None, values=VALUES, **kw):
    """Run the stand-in ceremony against a commitment."""
    presented = presented or {"文峰区": brigade_inputs(), "北关区": brigade_inputs("北关区")}
    return run_ceremony(commitment, presented, values, software_version="0.1.0", **kw)


def test_commitment_holds_what_is_frozen():
    """Per brigade: document and section digests, rules digest, date and strata; plus the sources."""
    c = commit()
    assert sorted(c["brigades"]) == ["北关区", "文峰区"]
    entry = c["brigades"]["文峰区"]
    # K002 is excluded (专项整治), so five units remain and half of them, rounded up, are drawn
    assert entry["strata"] == [{"name": "全部单位", "N": 5, "n": 3, "cells": [{"cell": "全部单位/r=0.5", "N": 5, "n": 3}]}]
    assert entry["inspection_date"] == "2026-12-01"
    assert entry["rules_sha256"] == entry["sections"]["rules"]
    assert [s["id"] for s in c["entropy"]["sources"]] == ["dice", "phrase"]
    assert c["algorithm"] == "dsr-sha256/1" and c["software"] == {"name": "dsr", "version": "0.1.0"}


def test_commitment_hash_is_sha256_of_canonical_bytes():
    """The published hash is SHA-256 of the commitment's canonical bytes."""
    c = commit()
    assert commitment_hash(c) == hashlib.sha256(canonical_bytes(c)).hexdigest()


def test_commitment_independent_of_mapping_order():
    """Listing brigades in another order gives the same commitment hash."""
    a = commit({"文峰区": brigade_inputs(), "北关区": brigade_inputs("北关区")})
    b = commit({"北关区": brigade_inputs("北关区"), "文峰区": brigade_inputs()})
    assert commitment_hash(a) == commitment_hash(b)


def test_weak_sources_refused_at_commit():
    """Five dice cannot be committed for a draw of 500 from 5,000; both figures are named."""
    units = tuple(unit(f"U{i:05d}") for i in range(5000))
    d = replace(directory(), units=units, conflicts=(), exclusions=())
    big = build_draw_inputs(d, DETACHMENT, "文峰区", rules(ratio="0.1"), (), DATE)
    with pytest.raises(DrawError) as err:
        commit({"文峰区": big}, sources=(announce("dice", "dice", count=5, low=0, high=9),))
    outcome = math.log2(math.comb(5000, 500))
    assert str(err.value) == (
        f"熵不足：熵源共 16.6 比特，本次抽取需要 128.0 比特（可能结果数的对数 {outcome:.1f} 比特加余量 8 比特，上限 128 比特）"
    )


def test_created_at_needs_offset():
    """A commitment time without a UTC offset is refused, since it names no single instant."""
    with pytest.raises(DrawError) as err:
        commit(created_at="2026-11-27 09:00")
    assert str(err.value) == "承诺时间应为带时区的 ISO 8601 时间（如 2026-12-01T09:00:00+08:00），实为「2026-11-27 09:00」"


def test_outcome_log2_sums_cells():
    """The outcome count is the product of C(N_c, n_c) over every cell of every stratum, i.e. a sum of logs."""
    strata = [
        {"name": "a", "N": 12, "n": 3, "cells": [{"cell": "a/1", "N": 4, "n": 2}, {"cell": "a/2", "N": 8, "n": 1}]},
        {"name": "b", "N": 3, "n": 3, "cells": [{"cell": "b/ALL", "N": 3, "n": 3}]},
    ]
    assert outcome_log2(strata) == pytest.approx(math.log2(6 * 8))


def test_seed_construction():
    """The seed is SHA-256 over the label, a zero byte, the hash bytes and the UTF-8 entropy."""
    h = "ab" * 32
    expected = hashlib.sha256(b"dsr/seed/1\x00" + bytes.fromhex(h) + "12./🔥./".encode()).digest()
    assert derive_seed(h, "12./🔥./") == expected


def test_seed_sensitive_to_both_parts():
    """Changing one entropy character or one commitment bit changes the seed."""
    h = "ab" * 32
    base = derive_seed(h, "12./")
    assert derive_seed(h, "13./") != base
    assert derive_seed("aa" + "ab" * 31, "12./") != base


def test_seed_refuses_bad_hash():
    """An upper-case or short commitment hash is refused rather than normalised."""
    with pytest.raises(DrawError) as err:
        derive_seed("AB" * 32, "1./")
    assert str(err.value) == f"承诺哈希应为 64 位小写十六进制数，实为「{'AB' * 32}」"


def test_matching_inputs_pass():
    """Inputs identical to the committed ones pass the check."""
    check_against_commitment(commit(), "文峰区", brigade_inputs())


def test_edited_inputs_named_with_document():
    """Inputs edited after the commitment are refused, naming the changed rows."""
    c = commit()
    d = directory()
    d = replace(d, units=tuple(replace(u, name="改过的名字") if u.key in ("K001", "K003") else u for u in d.units))
    with pytest.raises(CommitmentMismatch) as err:
        check_against_commitment(c, "文峰区", brigade_inputs(d=d), frozen_document(brigade_inputs()))
    assert str(err.value) == (
        "大队「文峰区」的输入与承诺不一致，拒绝抽取：\n"
        "2 个单位有变化：K001（name：文峰单位1号→改过的名字）、K003（name：文峰单位3号→改过的名字）"
    )


def test_edited_inputs_named_by_section_without_document():
    """Without the committed document, the sections whose digests differ are named."""
    d = replace(directory(), conflicts=())
    with pytest.raises(CommitmentMismatch) as err:
        check_against_commitment(commit(), "文峰区", brigade_inputs(d=d))
    assert str(err.value) == "大队「文峰区」的输入与承诺不一致，拒绝抽取：\n利害关系与承诺的摘要不符"


def test_unknown_brigade_refused():
    """A brigade the commitment does not cover is refused."""
    with pytest.raises(CommitmentMismatch) as err:
        check_against_commitment(commit(), "滑县", brigade_inputs())
    assert str(err.value) == "承诺中没有大队「滑县」"


def test_ceremony_draws_each_brigade_with_one_seed():
    """The ceremony derives the seed from commitment hash and canonical entropy and draws every brigade."""
    c = commit()
    result = ceremony(c)
    assert result.canonical_entropy == "38095127460918273645./见证人：今天安阳晴 🔥./"
    assert result.seed == derive_seed(commitment_hash(c), result.canonical_entropy)
    drawn = dict(result.results)
    assert [sum(u.status == "drawn" for u in drawn[b].units) for b in ("文峰区", "北关区")] == [3, 1]
    assert drawn["文峰区"] == run_draw(result.seed, brigade_inputs())


def test_ceremony_refuses_edited_inputs_before_any_draw():
    """An edited unit stops the ceremony with CommitmentMismatch."""
    d = replace(directory(), units=directory().units[1:])
    with pytest.raises(CommitmentMismatch):
        ceremony(commit(), {"文峰区": brigade_inputs(d=d), "北关区": brigade_inputs("北关区")})


def test_ceremony_refuses_missing_brigade():
    """Presenting fewer brigades than committed is refused, naming the missing one."""
    with pytest.raises(CommitmentMismatch) as err:
        ceremony(commit(), {"文峰区": brigade_inputs()})
    assert str(err.value) == "缺少大队「北关区」的输入"


def test_ceremony_refuses_other_software_version():
    """A commitment made with another dsr version is not drawn with this one."""
    with pytest.raises(DrawError) as err:
        run_ceremony(commit(), {}, VALUES, software_version="0.2.0")
    assert str(err.value) == "承诺使用 dsr 0.1.0，当前为 dsr 0.2.0，拒绝抽取"


def test_ceremony_refuses_unannounced_entropy():
    """Entropy for a source not in the commitment is refused."""
    with pytest.raises(DrawError) as err:
        ceremony(commit(), values={**VALUES, "lottery": ["123"]})
    assert str(err.value) == "熵值中有未声明的来源「lottery」"


def test_ceremony_refuses_dropped_source_leaving_too_little():
    """Dropping the dice under a fallback leaves 0 bits and the draw is refused."""
    with pytest.raises(DrawError) as err:
        ceremony(commit(), values={"phrase": VALUES["phrase"]}, fallbacks={"dice": "骰子遗失"})
    assert str(err.value).startswith("熵不足：熵源共 0.0 比特")


def test_draw_document_names_everything_needed_to_recompute():
    """The draw document carries commitment hash, raw and canonical entropy, seed and result."""
    c = commit()
    result = ceremony(c)
    doc = draw_document(c, result, "文峰区")
    assert doc["commitment_sha256"] == commitment_hash(c)
    assert doc["entropy"]["canonical"] == result.canonical_entropy
    assert doc["entropy"]["values"]["phrase"] == ["见证人：今天安阳晴 🔥"]
    assert doc["seed"] == result.seed.hex()
    assert doc["result"] == to_plain(dict(result.results)["文峰区"])
    assert doc["inputs_sha256"] == c["brigades"]["文峰区"]["inputs_sha256"]


def test_ceremony_core_imports_no_randomness_or_io_library():
    """Importing the ceremony core loads no random-number module, no YAML/Excel library, nothing outside core."""
    import subprocess
    import sys

    code = (
        "import sys, dsr.core.commitment, dsr.core.entropy, dsr.core.freeze, dsr.core.rfc3797\n"
        "bad = {'random', 'secrets', 'numpy', 'yaml', 'openpyxl', 'pandas', 'python_calamine'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in bad))\n"
        "print(sorted(m for m in sys.modules if m.startswith('dsr.') and m != 'dsr.core' and not m.startswith(('dsr.core.', 'dsr.errors'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n[]\n"
