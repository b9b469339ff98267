"""统一社会信用代码 (GB 32100-2015) and 15-digit 注册号: structure and check characters."""

from __future__ import annotations

import re
from operator import mul

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols: no I, O, S, V, Z
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, ...
# [0-9], not \d: \d also matches other scripts' digits (٤), which have no value in the check character
STRUCTURE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_BODY = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{17}$")
REG_NO = re.compile(r"^[1-9][0-9]{14}$")
FORBIDDEN = "IOSVZ"


# The weights are 3**i mod 31, and 34 ≡ 3 (mod 31): so the weighted sum mod 31 equals, mod 31, the code read as a
# base-34 number written backwards, each character replaced by the digit of its value. int() does that in C.
_AS_DIGITS = str.maketrans(ALPHABET, "0123456789ABCDEFGHIJKLMNOPQRSTU")


def check_char(first17: str) -> str:
    """The 18th (check) character for the first 17 characters of a code."""
    if len(first17) != len(WEIGHTS):
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    if not _BODY.match(first17):  # characters outside the alphabet: as before, no value for them
        total = sum(map(mul, map(_VALUE.__getitem__, first17), WEIGHTS))
    else:
        total = int(first17.translate(_AS_DIGITS)[::-1], 34)
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """None if `code` is a valid 统一社会信用代码, else a Chinese description of what is wrong."""
    if len(code) == 18 and STRUCTURE.match(code) and code[17] == check_char(code[:17]):
        return None  # the common case, decided without building any message
    if len(code) != 18:
        return f"长度为 {len(code)} 位，统一社会信用代码应为 18 位"
    bad = sorted({c for c in code if c in FORBIDDEN})
    if bad:
        return f"含有统一社会信用代码不使用的字母 {'、'.join(bad)}（不使用 I、O、S、V、Z）"
    if not STRUCTURE.match(code):
        return "结构不符：第 1–2 位为登记管理部门和机构类别代码，第 3–8 位为 6 位数字行政区划码，其余为数字或大写字母"
    expected = check_char(code[:17])
    if code[17] != expected:
        return f"校验位错误：第 18 位为 {code[17]}，按 GB 32100-2015 计算应为 {expected}"
    return None


def is_valid(code: str) -> bool:
    """True if `code` passes structure and check character."""
    return problem(code) is None


def is_reg_no(code: str) -> bool:
    """True if `code` looks like a 15-digit 工商注册号."""
    return bool(REG_NO.match(code))


def division(code: str) -> str:
    """The 6-digit 登记管理机关行政区划码 (positions 3–8)."""
    return code[2:8]
