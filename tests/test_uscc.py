"""统一社会信用代码 (GB 32100-2015): published codes pass, wrong ones say exactly what is wrong."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsr.inputs import uscc

# Published codes (domain.md §1.3): the standard's example, Huawei, Google China, and demo codes.
PUBLISHED = ["91350100M000100Y43", "914403001922038216", "91110108795101314G", "91310110666007217T",
             "91110000600037341L", "91512081MA62K0260E", "91410502MA9XK3L71K", "92410581MA4F8TQ22G",
             "12410500417001236L"]
# Pre-standard Xiamen/Fujian pilot codes: legal, but failing the check character.
LEGACY = ["91350211M0000XUF46", "91350100M0001TGQXM", "91350203M0001FUE2P", "91350211M00013FA1N"]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    """Every published code passes structure and check character."""
    assert uscc.problem(code) is None


@pytest.mark.parametrize("code", LEGACY)
def test_legacy_pilot_codes_fail_only_the_check_character(code):
    """The legacy codes fail the check character and nothing else."""
    assert uscc.problem(code).startswith("校验位错误")


def test_worked_example_check_character():
    """91512081MA62K0260 → E, the worked example of domain.md §1.2."""
    assert uscc.check_char("91512081MA62K0260") == "E"


def test_weights_are_powers_of_three_mod_31():
    """The weights are 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28."""
    assert uscc.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize(("code", "message"), [
    ("9141050", "长度为 7 位，统一社会信用代码应为 18 位"),
    ("91410502MA9XK3LO1K", "含有统一社会信用代码不使用的字母 O（不使用 I、O、S、V、Z）"),
    ("9141AB02MA9XK3L71K", "结构不符：第 1–2 位为登记管理部门和机构类别代码，第 3–8 位为 6 位数字行政区划码，其余为数字或大写字母"),
    ("91410502MA9XK3L71A", "校验位错误：第 18 位为 A，按 GB 32100-2015 计算应为 K"),
])
def test_problem_messages(code, message):
    """Each kind of wrong code gives its own message."""
    assert uscc.problem(code) == message


@given(st.text(alphabet=uscc.ALPHABET[:10], min_size=8, max_size=8).map(lambda d: "91" + d[:6]),
       st.text(alphabet=uscc.ALPHABET, min_size=9, max_size=9))
def test_appending_the_check_character_gives_a_valid_code(head, body):
    """Any well-formed 17 characters plus their check character is valid; any other 18th is not."""
    first17 = head + body
    check = uscc.check_char(first17)
    assert uscc.is_valid(first17 + check)
    assert not any(uscc.is_valid(first17 + c) for c in uscc.ALPHABET if c != check)


def test_registration_numbers():
    """A 15-digit number not starting with 0 is a 注册号."""
    assert (uscc.is_reg_no("410502000012345"), uscc.is_reg_no("010502000012345"), uscc.is_reg_no("41050200001234")) \
        == (True, False, False)


def test_registration_numbers_take_ascii_digits_only():
    """Other scripts' digits (Arabic-Indic ٤, Devanagari ४) are not 注册号 digits, though regex \\d matches them."""
    assert not uscc.is_reg_no("٤10502000012345")
    assert not uscc.is_reg_no("41050200001234४")


def test_division_is_positions_3_to_8():
    """The registration division is characters 3–8."""
    assert uscc.division("91410502MA9XK3L71K") == "410502"
