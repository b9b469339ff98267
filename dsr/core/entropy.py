"""Announced entropy sources, their values read out at the ceremony, and the RFC 3797-style canonical string."""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dsr.errors import DrawError

KINDS = ("dice", "lottery", "beacon", "text")
MARGIN_BITS = 8  # bits demanded above log2(outcomes), so no outcome is short of a full share of seeds
CAP_BITS = 128  # beyond this no one can enumerate or grind seeds, whatever the number of outcomes
BEACON_BITS = 256  # a drand randomness value is a SHA-256 output
_ID = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_DIGITS = re.compile(r"[0-9]+")
_SPLIT = re.compile(r"[\s,，、;；]+")

# Which announcement keys each kind needs (besides id, kind, description, when, fallback).
_REQUIRED = {
    "dice": ("count", "low", "high"),
    "lottery": ("count", "low", "high", "ordered", "distinct", "draw_no"),
    "beacon": ("chain", "round"),
    "text": (),
}
_OPTIONAL = {"dice": (), "lottery": (), "beacon": (), "text": ("bits",)}
_COMMON = ("id", "kind", "description", "when", "fallback")


@dataclass(frozen=True)
class Source:
    """One entropy source announced in the commitment before its value exists."""

    id: str  # short ASCII name, the key of its values in the entropy file
    kind: str  # one of KINDS
    description: str  # what it is, in Chinese ("见证人掷 20 枚十面骰")
    when: str  # when and where its value becomes known
    fallback: str  # RFC 3797 §5.2: what replaces it if it fails
    count: int = 1  # how many values it yields
    low: int = 0  # smallest allowed value (dice, lottery)
    high: int = 0  # largest allowed value (dice, lottery)
    ordered: bool = True  # the order the values come out in is part of the outcome
    distinct: bool = False  # values never repeat (a lottery drawing balls without replacement)
    bits: int = 0  # text only: entropy credited to a witness phrase (0 unless announced)
    draw_no: str | None = None  # lottery: the 期号 of the named draw
    chain: str | None = None  # beacon: drand chain hash (64 hex)
    round: int | None = None  # beacon: drand round number


def _int(source_id: str, key: str, raw: object) -> int:
    """An announcement integer, from YAML text or JSON number, never from a bool."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and _DIGITS.fullmatch(raw):
        return int(raw)
    raise DrawError(f"熵源声明「{source_id}」的「{key}」应为非负整数，实为「{raw}」")


def _bool(source_id: str, key: str, raw: object) -> bool:
    """An announcement yes/no, as true/false or 是/否."""
    if isinstance(raw, bool):
        return raw
    if raw in ("true", "是"):
        return True
    if raw in ("false", "否"):
        return False
    raise DrawError(f"熵源声明「{source_id}」的「{key}」应为 true 或 false，实为「{raw}」")


def _text(source_id: str, key: str, raw: object) -> str:
    """An announcement text field: a non-empty string."""
    if not isinstance(raw, str) or not raw.strip():
        raise DrawError(f"熵源声明「{source_id}」缺少「{key}」")
    return raw


def _check_keys(source_id: str, kind: str, plain: Mapping[str, object]) -> None:
    """Refuse unknown keys (naming the nearest valid one) and missing required keys."""
    allowed = (*_COMMON, *_REQUIRED[kind], *_OPTIONAL[kind])
    for key in sorted(plain):
        if key not in allowed:
            near = difflib.get_close_matches(key, allowed, n=1)
            hint = f"（是否应为「{near[0]}」？）" if near else ""
            raise DrawError(f"熵源声明「{source_id}」（{kind}）不认识的键「{key}」{hint}")
    for key in (*_COMMON, *_REQUIRED[kind]):
        if key not in plain:
            raise DrawError(f"熵源声明「{source_id}」缺少「{key}」")


def source_from_plain(plain: Mapping[str, object]) -> Source:
    """Check one announced source (from YAML with every scalar a string, or from committed JSON)."""
    source_id = plain.get("id")
    if not isinstance(source_id, str) or not _ID.fullmatch(source_id):
        raise DrawError(f"熵源的 id 应为小写字母开头的 ASCII 名称（a-z、0-9、_、-），实为「{source_id}」")
    kind = plain.get("kind")
    if kind not in KINDS:
        raise DrawError(f"熵源声明「{source_id}」的 kind 应为 {'、'.join(KINDS)} 之一，实为「{kind}」")
    _check_keys(source_id, kind, plain)
    text = {k: _text(source_id, k, plain[k]) for k in ("description", "when", "fallback")}
    builders = {"dice": _dice, "lottery": _lottery, "beacon": _beacon, "text": _text_source}
    return builders[kind](source_id, plain, text)


def _dice(source_id: str, plain: Mapping[str, object], text: dict[str, str]) -> Source:
    """Dice are read out in order; each face must be a single decimal digit so digits concatenate."""
    count, low, high = (_int(source_id, k, plain[k]) for k in ("count", "low", "high"))
    if count < 1 or not low < high <= 9:
        raise DrawError(f"熵源声明「{source_id}」：骰子须至少 1 枚，点数范围须满足 0 ≤ low < high ≤ 9，实为 {count} 枚、{low}–{high}")
    return Source(source_id, "dice", **text, count=count, low=low, high=high, ordered=True, distinct=False)


def _lottery(source_id: str, plain: Mapping[str, object], text: dict[str, str]) -> Source:
    """A lottery names its draw number, how many numbers it yields, their range and how they are drawn."""
    count, low, high = (_int(source_id, k, plain[k]) for k in ("count", "low", "high"))
    ordered, distinct = (_bool(source_id, k, plain[k]) for k in ("ordered", "distinct"))
    if count < 1 or low > high or (distinct and count > high - low + 1):
        raise DrawError(f"熵源声明「{source_id}」：开奖号码个数或范围不可能：{count} 个、{low}–{high}")
    draw_no = _text(source_id, "draw_no", plain["draw_no"])
    return Source(source_id, "lottery", **text, count=count, low=low, high=high,
                  ordered=ordered, distinct=distinct, draw_no=draw_no)


def _beacon(source_id: str, plain: Mapping[str, object], text: dict[str, str]) -> Source:
    """A drand beacon round, named by chain hash and round number before the round exists."""
    chain = plain["chain"]
    if not isinstance(chain, str) or not _HEX64.fullmatch(chain):
        raise DrawError(f"熵源声明「{source_id}」的「chain」应为 64 位十六进制数，实为「{chain}」")
    round_no = _int(source_id, "round", plain["round"])
    return Source(source_id, "beacon", **text, chain=chain.lower(), round=round_no)


def _text_source(source_id: str, plain: Mapping[str, object], text: dict[str, str]) -> Source:
    """A witness phrase; it counts for no entropy unless the announcement credits some."""
    bits = _int(source_id, "bits", plain.get("bits", 0))
    return Source(source_id, "text", **text, bits=bits)


def sources_from_plain(items: Sequence[Mapping[str, object]]) -> tuple[Source, ...]:
    """Check the announced sources, in announced order; ids must be unique."""
    if not items:
        raise DrawError("没有声明任何熵源")
    sources = tuple(source_from_plain(item) for item in items)
    seen: set[str] = set()
    for source in sources:
        if source.id in seen:
            raise DrawError(f"熵源 id「{source.id}」重复声明")
        seen.add(source.id)
    return sources


def source_bits(source: Source) -> float:
    """Entropy one source contributes, in bits: log2 of the number of its possible canonical values."""
    if source.kind == "beacon":
        return float(BEACON_BITS)
    if source.kind == "text":
        return float(source.bits)
    return math.log2(_outcomes(source))


def _outcomes(source: Source) -> int:
    """How many distinct canonical values a dice or lottery source can take (sorting merges orders)."""
    faces, n = source.high - source.low + 1, source.count
    if source.ordered:
        return math.perm(faces, n) if source.distinct else faces**n
    return math.comb(faces, n) if source.distinct else math.comb(faces + n - 1, n)


def entropy_bits(sources: Sequence[Source], dropped: Sequence[str] = ()) -> float:
    """Total announced entropy in bits; sources dropped under their fallback rule count for nothing."""
    return sum(source_bits(s) for s in sources if s.id not in dropped)


def required_bits(outcome_log2: float) -> float:
    """Bits a draw needs: log2 of its outcomes plus MARGIN_BITS, but never more than CAP_BITS."""
    return min(outcome_log2 + MARGIN_BITS, float(CAP_BITS))


def check_sufficient(available: float, outcome_log2: float) -> None:
    """Refuse entropy below required_bits(outcome_log2), giving both figures."""
    needed = required_bits(outcome_log2)
    if available < needed:
        raise DrawError(
            f"熵不足：熵源共 {available:.1f} 比特，本次抽取需要 {needed:.1f} 比特"
            f"（可能结果数的对数 {outcome_log2:.1f} 比特加余量 {MARGIN_BITS} 比特，上限 {CAP_BITS} 比特）"
        )


def split_values(source: Source, raw: object) -> tuple[str, ...]:
    """The values of one source as read out: a list, or one string separated by spaces, commas or 、."""
    if isinstance(raw, (list, tuple)):
        return tuple(str(v) for v in raw)
    if source.kind == "text":
        return (str(raw),)
    return tuple(v for v in _SPLIT.split(str(raw).strip()) if v)


def _number_values(source: Source, values: Sequence[object], problems: list[str]) -> list[int]:
    """Parse and range-check a dice or lottery source's values, collecting every problem."""
    numbers = []
    for i, raw in enumerate(values, start=1):
        text = str(raw).strip() if not isinstance(raw, bool) else "?"
        if not _DIGITS.fullmatch(text):
            problems.append(f"来源「{source.id}」的第 {i} 个值「{raw}」不是非负整数")
        elif not source.low <= int(text) <= source.high:
            problems.append(f"来源「{source.id}」的第 {i} 个值「{raw}」超出范围 {source.low}–{source.high}")
        else:
            numbers.append(int(text))
    if source.distinct:
        for value in sorted(set(numbers)):
            if numbers.count(value) > 1:
                problems.append(f"来源「{source.id}」的值不得重复：「{value}」出现 {numbers.count(value)} 次")
    return numbers


def _numeric_text(source: Source, numbers: list[int]) -> str:
    """RFC 3797 form: an ordered source is one number (values zero-padded, concatenated); others sorted."""
    if source.ordered:
        width = len(str(source.high))
        return f"{int(''.join(str(v).zfill(width) for v in numbers))}."
    return "".join(f"{v}." for v in sorted(numbers))


def escape_text(phrase: str) -> str:
    """A witness phrase in canonical form: NFC, with %, . and / percent-encoded so `./` stays a delimiter."""
    normal = unicodedata.normalize("NFC", phrase)
    return normal.replace("%", "%25").replace(".", "%2E").replace("/", "%2F")


def _source_text(source: Source, values: Sequence[object], problems: list[str]) -> str:
    """One source's canonical text before its closing `/`, or "" after collecting its problems."""
    expected = source.count
    if len(values) != expected:
        problems.append(f"来源「{source.id}」应有 {expected} 个值，实有 {len(values)} 个")
        return ""
    if source.kind == "beacon":
        value = str(values[0])
        if not _HEX64.fullmatch(value):
            problems.append(f"来源「{source.id}」的值应为 64 位十六进制数，实为「{value}」")
            return ""
        return f"{int(value, 16)}."
    if source.kind == "text":
        phrase = str(values[0])
        if not phrase.strip() or any(unicodedata.category(ch) == "Cc" for ch in phrase):
            problems.append(f"来源「{source.id}」的文字不得为空，也不得含控制字符")
            return ""
        return escape_text(phrase) + "."
    before = len(problems)
    numbers = _number_values(source, values, problems)
    return _numeric_text(source, numbers) if len(problems) == before else ""


def canonical_entropy(
    sources: Sequence[Source],
    values: Mapping[str, Sequence[object]],
    fallbacks: Mapping[str, str] | None = None,
) -> str:
    """RFC 3797-style canonical entropy: each source's text then `/`, in announced order.

    `fallbacks` names sources whose announced fallback rule was invoked, with the reason; such a
    source may give no values (dropped: just `/`) or values in its announced format.
    """
    fallbacks = fallbacks or {}
    announced = {s.id for s in sources}
    problems = [f"熵值中有未声明的来源「{k}」" for k in sorted({*values, *fallbacks} - announced)]
    parts = []
    for source in sources:
        given = values.get(source.id)
        if not given and source.id in fallbacks:
            parts.append("/")
        elif given is None or (not given and source.id not in fallbacks):
            problems.append(f"来源「{source.id}」没有取值，也没有声明启用其备用规则（{source.fallback}）")
        else:
            parts.append(_source_text(source, list(given), problems) + "/")
    if problems:
        raise DrawError("\n".join(problems))
    return "".join(parts)


def dropped_sources(values: Mapping[str, Sequence[object]], fallbacks: Mapping[str, str]) -> tuple[str, ...]:
    """Ids of sources whose fallback was invoked and that gave no values: they add no entropy."""
    return tuple(sorted(k for k in fallbacks if not values.get(k)))



def source_to_plain(source: Source) -> dict[str, object]:
    """The committed form of a source: its common keys and only the keys its kind announces."""
    keys = (*_COMMON, *_REQUIRED[source.kind], *_OPTIONAL[source.kind])
    return {key: getattr(source, key) for key in keys}
