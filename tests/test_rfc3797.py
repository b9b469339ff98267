"""RFC 3797 selection: the RFC's own §6 example, bit for bit, and its entropy table."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from dsr.core.rfc3797 import (
    rfc3797_entropy_needed,
    rfc3797_key,
    rfc3797_select,
    rfc3797_trace,
    value_text,
)

# RFC 3797 §6: the 25-name pool and the table it prints (digest, divisor, selected position).
RFC_SOURCES = [["9319"], ["2", "5", "12", "8", "10"], ["9", "18", "26", "34", "41", "45"]]
RFC_KEY = "9319./2.5.8.10.12./9.18.26.34.41.45./"
RFC_POOL = (
    "John Mary Bashful Dopey Sleepy Grouchy Doc Sneazy Handsome Cassandra Pollyanna Pendragon "
    "Pandora Faith Hope Charity Lee Longsuffering Chastity Smith Pride Sloth Envy Anger Kasczynski"
).split()
RFC_TABLE = [
    ("990DD0A5692A029A98B5E01AA28F3459", 25, 17, "Lee"),
    ("3691E55CB63FCC37914430B2F70B5EC6", 24, 7, "Doc"),
    ("FE814EDF564C190AC1D25753979990FA", 23, 2, "Mary"),
    ("1863CCACEB568C31D7DDBDF1D4E91387", 22, 16, "Charity"),
    ("F4AB33DF4889F0AF29C513905BE1D758", 21, 25, "Kasczynski"),
    ("13EAEB529F61ACFB9A29D0BA3A60DE4A", 20, 23, "Envy"),
    ("992DB77C382CA2BDB9727001F3CDCCD9", 19, 8, "Sneazy"),
    ("63AB4258ECA922976811C7F55C383CE7", 18, 24, "Anger"),
    ("DFBC5AC97CED01B3A6E348E3CC63F40D", 17, 19, "Chastity"),
    ("31CB111C4A4EBE9287CEAE16FE51B909", 16, 13, "Pandora"),
    ("07FA46C122F164C215BBC72793B189A3", 15, 22, "Sloth"),
    ("AC52F8D75CCBE2E61AFEB3387637D501", 14, 5, "Sleepy"),
    ("53306F73E14FC0B2FBF434218D25948E", 13, 18, "Longsuffering"),
    ("B5D1403501A81F9A47318BE7893B347C", 12, 9, "Handsome"),
    ("85B10B356AA06663EF1B1B407765100A", 11, 1, "John"),
    ("3269E6CE559ABD57E2BA6AAB495EB9BD", 10, 4, "Dopey"),
]


def test_key_of_rfc_example():
    """The §6 sources give the key the RFC prints, values sorted within each source."""
    assert rfc3797_key(RFC_SOURCES) == RFC_KEY


def test_rfc_table_bit_for_bit():
    """All 16 digests, divisors and selections of the §6 table are reproduced."""
    steps = rfc3797_trace(25, 16, RFC_KEY)
    got = [(s.digest, s.divisor, s.selected, RFC_POOL[s.selected - 1]) for s in steps]
    assert got == RFC_TABLE
    assert [s.index for s in steps] == list(range(1, 17))


def test_rfc_first_remainders():
    """The first four remainders are 16, 6, 1, 13, as independent implementations also assert."""
    assert [s.remainder for s in rfc3797_trace(25, 4, RFC_KEY)] == [16, 6, 1, 13]


def test_select_is_prefix_of_longer_selection():
    """Selecting 10 gives the first ten of the 16-row table (the NomCom before its alternates)."""
    assert rfc3797_select(25, 10, RFC_KEY) == [row[2] for row in RFC_TABLE[:10]]


def test_value_text_forms():
    """Integers drop leading zeros and gain a period; fractions keep their point and drop trailing zeros."""
    assert value_text("08285182") == "8285182."
    assert value_text(0) == "0."
    assert value_text(Decimal("1.250")) == "1.25"
    assert value_text("0.5") == "0.5"


def test_values_sorted_numerically_not_as_text():
    """Sorting is numeric: 10 comes after 9 even though "10" < "9" as text."""
    assert rfc3797_key([[10, 9, "100"]]) == "9.10.100./"


@pytest.mark.parametrize("bad", ["-3", "1e5", "abc", "", ".", "1.2.3", 1.5, "１２"])
def test_non_decimal_values_refused(bad):
    """Signs, exponents, text, floats and full-width digits are refused rather than guessed at."""
    with pytest.raises(ValueError):
        rfc3797_key([[bad]])


def test_pool_limit():
    """The 2-byte index limits the pool to 65535 entries."""
    assert len(rfc3797_select(65535, 2, RFC_KEY)) == 2
    with pytest.raises(ValueError, match="RFC 3797 的候选数须在 1–65535 之间，实为 65536"):
        rfc3797_select(65536, 1, RFC_KEY)


def test_cannot_select_more_than_pool():
    """Asking for more selections than entries is refused with the allowed range."""
    with pytest.raises(ValueError, match="抽取数须在 0–3 之间，实为 4"):
        rfc3797_select(3, 4, RFC_KEY)


def test_selection_is_permutation_of_pool():
    """Selecting the whole pool yields every position exactly once."""
    assert sorted(rfc3797_select(40, 40, RFC_KEY)) == list(range(1, 41))


@pytest.mark.parametrize(
    "pool,bits",
    [(20, 18), (25, 22), (30, 25), (35, 28), (40, 30), (50, 34), (60, 37), (75, 40), (100, 44), (120, 47)],
)
def test_entropy_needed_table(pool, bits):
    """RFC 3797 §3.3's table for 10 selections, rounded up to whole bits."""
    assert math.ceil(rfc3797_entropy_needed(pool, 10)) == bits
