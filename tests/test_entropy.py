"""Announced entropy sources: checking announcements, canonical entropy, bits and every refusal."""

from __future__ import annotations

import math

import pytest

from dsr.core.entropy import (
    CAP_BITS,
    Source,
    canonical_entropy,
    check_sufficient,
    dropped_sources,
    entropy_bits,
    escape_text,
    required_bits,
    source_bits,
    source_from_plain,
    source_to_plain,
    sources_from_plain,
    split_values,
)
from dsr.errors import DrawError

CHAIN = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
BEACON = "fc1873a13f3545aeade8401532ef5519920652eee6b0d2b19ca12643b87b3587"


def announce(id, kind, **params):
    """A plain announcement as the YAML loader gives it: every scalar a string."""
    base = {"id": id, "kind": kind, "description": f"{id} 说明", "when": "摇号当日", "fallback": "改用下一期"}
    return {**base, **{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}}


def d10(n=20, id="dice"):
    """n ten-sided dice showing 0–9."""
    return source_from_plain(announce(id, "dice", count=n, low=0, high=9))


def lottery(id, count, low, high, ordered=False, distinct=True):
    """A lottery announcement with its draw number."""
    return source_from_plain(announce(id, "lottery", count=count, low=low, high=high,
                                      ordered=ordered, distinct=distinct, draw_no="2026321"))


def phrase(bits=None):
    """A witness phrase, credited `bits` if given."""
    extra = {} if bits is None else {"bits": bits}
    return source_from_plain(announce("phrase", "text", **extra))


def beacon():
    """drand quicknet at a named round."""
    return source_from_plain(announce("drand", "beacon", chain=CHAIN, round=657413))


def test_rfc_example_canonical_entropy():
    """Unordered sources reproduce the RFC 3797 §6 key byte for byte."""
    sources = (lottery("a", 1, 0, 9999), lottery("b", 5, 1, 20), lottery("c", 6, 1, 49))
    values = {"a": ["9319"], "b": ["2", "5", "12", "8", "10"], "c": ["9", "18", "26", "34", "41", "45"]}
    assert canonical_entropy(sources, values) == "9319./2.5.8.10.12./9.18.26.34.41.45./"


def test_dice_keep_roll_order():
    """Dice are one number in roll order, leading zeros dropped, so order carries entropy."""
    dice = d10(5)
    assert canonical_entropy((dice,), {"dice": ["0", "3", "9", "0", "1"]}) == "3901./"
    assert canonical_entropy((dice,), {"dice": ["1", "0", "9", "3", "0"]}) == "10930./"


def test_ordered_lottery_is_zero_padded():
    """An ordered lottery with two-digit numbers pads each to two digits before concatenating."""
    src = lottery("l", 3, 1, 35, ordered=True, distinct=True)
    assert canonical_entropy((src,), {"l": ["7", "12", "3"]}) == "71203./"


def test_beacon_written_in_decimal():
    """A beacon's 64 hex digits become one decimal number followed by a period."""
    assert canonical_entropy((beacon(),), {"drand": [BEACON.upper()]}) == f"{int(BEACON, 16)}./"


def test_text_keeps_emoji_and_escapes_delimiters():
    """A witness phrase survives as itself, emoji included; %, . and / are percent-encoded."""
    assert canonical_entropy((phrase(),), {"phrase": ["见证人：安阳 100% 晴/好. 🔥"]}) == "见证人：安阳 100%25 晴%2F好%2E 🔥./"


def test_text_is_nfc_normalised():
    """A decomposed é and a composed é give the same canonical phrase."""
    assert escape_text("e\u0301") == escape_text("\u00e9") == "\u00e9"


def test_sources_in_announced_order_not_sorted():
    """Sources appear in the order announced, whatever order the values mapping has."""
    sources = (d10(2, "z"), d10(2, "a"))
    assert canonical_entropy(sources, {"a": ["1", "2"], "z": ["3", "4"]}) == "34./12./"


def test_dice_value_out_of_range_refused():
    """A dice value of 11 on a ten-sided die is refused, naming source, position and value."""
    with pytest.raises(DrawError) as err:
        canonical_entropy((d10(3),), {"dice": ["1", "11", "2"]})
    assert str(err.value) == "来源「dice」的第 2 个值「11」超出范围 0–9"


def test_non_integer_refused():
    """A value that is not a plain non-negative integer is refused, not guessed."""
    with pytest.raises(DrawError) as err:
        canonical_entropy((d10(2),), {"dice": ["1", "七"]})
    assert str(err.value) == "来源「dice」的第 2 个值「七」不是非负整数"


def test_wrong_count_refused():
    """Nineteen values for twenty announced dice are refused."""
    with pytest.raises(DrawError) as err:
        canonical_entropy((d10(20),), {"dice": ["1"] * 19})
    assert str(err.value) == "来源「dice」应有 20 个值，实有 19 个"


def test_unannounced_source_refused():
    """Values for a source nobody announced are refused even when the announced ones are fine."""
    with pytest.raises(DrawError) as err:
        canonical_entropy((d10(2),), {"dice": ["1", "2"], "extra": ["5"]})
    assert str(err.value) == "熵值中有未声明的来源「extra」"


def test_missing_source_without_fallback_refused():
    """A source with no values is refused unless its announced fallback was invoked."""
    with pytest.raises(DrawError) as err:
        canonical_entropy((d10(2), phrase()), {"dice": ["1", "2"]})
    assert str(err.value) == "来源「phrase」没有取值，也没有声明启用其备用规则（改用下一期）"


def test_fallback_drops_source():
    """A source dropped under its fallback rule leaves just its `/` and adds no bits."""
    sources = (d10(2), lottery("fc3d", 3, 0, 9, ordered=True, distinct=False))
    fallbacks = {"fc3d": "当期停开"}
    assert canonical_entropy(sources, {"dice": ["1", "2"]}, fallbacks) == "12./"+"/"
    assert dropped_sources({"dice": ["1", "2"]}, fallbacks) == ("fc3d",)
    assert entropy_bits(sources, ("fc3d",)) == pytest.approx(2 * math.log2(10))


def test_duplicate_in_distinct_lottery_refused():
    """A lottery drawn without replacement cannot repeat a number."""
    with pytest.raises(DrawError) as err:
        canonical_entropy((lottery("l", 3, 1, 35),), {"l": ["5", "5", "7"]})
    assert str(err.value) == "来源「l」的值不得重复：「5」出现 2 次"


def test_bad_beacon_value_refused():
    """A beacon value that is not 64 hex digits is refused."""
    with pytest.raises(DrawError) as err:
        canonical_entropy((beacon(),), {"drand": ["abc"]})
    assert str(err.value) == "来源「drand」的值应为 64 位十六进制数，实为「abc」"


def test_all_problems_reported_at_once():
    """Every problem of every source is listed, one per line, in announced order."""
    with pytest.raises(DrawError) as err:
        canonical_entropy((d10(2), phrase()), {"dice": ["10", "x"], "phrase": ["a\tb"], "q": []})
    assert str(err.value).split("\n") == [
        "熵值中有未声明的来源「q」",
        "来源「dice」的第 1 个值「10」超出范围 0–9",
        "来源「dice」的第 2 个值「x」不是非负整数",
        "来源「phrase」的文字不得为空，也不得含控制字符",
    ]


def test_bits_per_kind():
    """Dice give n·log2 f, lotteries log2 of their canonical outcomes, beacons 256, text what is announced."""
    assert source_bits(d10(20)) == pytest.approx(20 * math.log2(10))
    assert source_bits(lottery("fc3d", 3, 0, 9, ordered=True, distinct=False)) == pytest.approx(math.log2(1000))
    assert source_bits(lottery("ssq", 6, 1, 33)) == pytest.approx(math.log2(math.comb(33, 6)))
    assert source_bits(lottery("m", 3, 0, 9, ordered=False, distinct=False)) == pytest.approx(math.log2(220))
    assert source_bits(beacon()) == 256
    assert source_bits(phrase()) == 0
    assert source_bits(phrase(4)) == 4


def test_required_bits_margin_and_cap():
    """Small draws need log2(outcomes) + 8 bits; large ones are capped at 128."""
    assert required_bits(20.0) == 28.0
    assert required_bits(math.log2(math.comb(5000, 500))) == CAP_BITS


def test_five_dice_refused_for_500_of_5000():
    """Five dice digits (16.6 bits) cannot carry a draw of 500 from 5,000; both figures are named."""
    outcome = math.log2(math.comb(5000, 500))
    with pytest.raises(DrawError) as err:
        check_sufficient(entropy_bits((d10(5),)), outcome)
    assert str(err.value) == (
        f"熵不足：熵源共 16.6 比特，本次抽取需要 128.0 比特（可能结果数的对数 {outcome:.1f} 比特加余量 8 比特，上限 128 比特）"
    )


def test_forty_dice_suffice_for_any_draw():
    """Forty d10 (132.9 bits) pass the 128-bit cap."""
    check_sufficient(entropy_bits((d10(40),)), 5000.0)


def test_split_values_forms():
    """Values may be a list or one string split on spaces, commas or 、; a phrase is never split."""
    assert split_values(d10(3), "1, 2、3") == ("1", "2", "3")
    assert split_values(d10(3), [1, 2, 3]) == ("1", "2", "3")
    assert split_values(phrase(), "a b, c") == ("a b, c",)


def test_announcement_unknown_key_suggests_nearest():
    """An unknown key in an announcement is refused with the nearest valid key suggested."""
    with pytest.raises(DrawError) as err:
        source_from_plain(announce("dice", "dice", count=20, low=0, hihg=9))
    assert str(err.value) == "熵源声明「dice」（dice）不认识的键「hihg」（是否应为「high」？）"


def test_announcement_missing_key():
    """A lottery without its draw number is refused."""
    plain = announce("fc3d", "lottery", count=3, low=0, high=9, ordered=True, distinct=False)
    with pytest.raises(DrawError) as err:
        source_from_plain(plain)
    assert str(err.value) == "熵源声明「fc3d」缺少「draw_no」"


def test_dice_faces_must_be_single_digits():
    """A d20 cannot be announced: dice faces must be single digits to concatenate unambiguously."""
    with pytest.raises(DrawError) as err:
        source_from_plain(announce("d", "dice", count=5, low=1, high=20))
    assert str(err.value) == "熵源声明「d」：骰子须至少 1 枚，点数范围须满足 0 ≤ low < high ≤ 9，实为 5 枚、1–20"


def test_duplicate_source_ids_refused():
    """Two sources with one id are refused."""
    with pytest.raises(DrawError) as err:
        sources_from_plain([announce("a", "text"), announce("a", "text")])
    assert str(err.value) == "熵源 id「a」重复声明"


def test_committed_plain_round_trips():
    """A Source read back from its committed form equals the original; only its kind's keys are kept."""
    for source in (d10(), lottery("l", 6, 1, 33), beacon(), phrase(3)):
        assert source_from_plain(source_to_plain(source)) == source
    assert sorted(source_to_plain(beacon())) == ["chain", "description", "fallback", "id", "kind", "round", "when"]


def test_source_is_frozen():
    """Announced sources are immutable values."""
    with pytest.raises(Exception):
        d10().count = 3  # type: ignore[misc]
    assert isinstance(d10(), Source)
