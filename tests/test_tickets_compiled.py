"""The compiled ticket path (dsr.core._ticketc, OpenSSL) gives exactly the bytes of the Python one, and the draw
gives the same result, byte for byte, with it and without it; frozen units as a UnitTable read as the tuple."""

from __future__ import annotations

import hmac
import os
import pickle
from dataclasses import replace
from hashlib import sha256

import pytest
from draw_factories import crowded_key, inputs, inspector, multiplier_rules, other_key, unit
from hypothesis import given, settings
from hypothesis import strategies as st
from test_draw_vectors import inputs_from_plain, load

import dsr.core.tickets as tickets_module
from dsr.core.canonical import canonical_bytes, canonical_hash, to_plain
from dsr.core.draw import read_units, run_draw
from dsr.core.freeze import input_digests, normalise
from dsr.core.model import UNIT_FIELDS, UnitTable
from dsr.core.tickets import LABEL_INSPECTOR, LABEL_UNIT, joined_tickets, ticket, ticket_list
from dsr.errors import DrawError

compiled = tickets_module._fast
needs_compiled = pytest.mark.skipif(compiled is None, reason="dsr.core._ticketc is not built here")
SEED = "安阳🎲 seed".encode()


def test_the_compiled_path_is_built_where_it_is_required():
    """CI requires the accelerator (DSR_REQUIRE_COMPILED=1): a failed optional build would only be slow, silently."""
    if os.environ.get("DSR_REQUIRE_COMPILED") != "1":
        pytest.skip("DSR_REQUIRE_COMPILED is not set")
    assert compiled is not None, "dsr.core._ticketc was not built (C compiler, Python headers, OpenSSL headers?)"


def _hmac(seed: bytes, message: bytes) -> bytes:
    return hmac.new(seed, message, sha256).digest()


@needs_compiled
@pytest.mark.parametrize("seed", [b"", b"k", bytes(range(64)), bytes(65), bytes(200), "安阳🎲".encode()])
def test_many_is_hmac_sha256_at_every_padding_edge(seed):
    """Keys of every length around SHA-256's block and padding edges, seeds short, of one block and longer."""
    keys = [b"x" * n for n in range(0, 140)] + ["统一社会信用代码".encode(), "🎲".encode()]
    out = compiled.many(seed, b"dsr/unit/1\x00", b"\x00".join(keys), len(keys))
    assert out == b"".join(_hmac(seed, b"dsr/unit/1\x00" + k) for k in keys)


@needs_compiled
@settings(max_examples=200, deadline=None)
@given(seed=st.binary(max_size=100), label=st.text(max_size=20).filter(lambda t: "\x00" not in t),
       keys=st.lists(st.text(max_size=30).filter(lambda t: "\x00" not in t), max_size=20))
def test_compiled_and_python_tickets_agree(seed, label, keys):
    """joined_tickets and ticket_list give ticket()'s bytes with the accelerator and without it."""
    expected = [ticket(seed, label, k) for k in keys]
    joined = "\x00".join(keys).encode()
    assert compiled.many(seed, label.encode() + b"\x00", joined, len(keys)) == b"".join(expected)
    assert ticket_list(seed, label, keys) == expected
    tickets_module._fast = None
    try:
        assert joined_tickets(seed, label, joined, len(keys)) == b"".join(expected)
        assert ticket_list(seed, label, keys) == expected
    finally:
        tickets_module._fast = compiled


@pytest.mark.parametrize("use_compiled", [True, False], ids=["compiled", "python"])
def test_a_key_holding_nul_or_a_wrong_count_is_refused(monkeypatch, use_compiled):
    if use_compiled and compiled is None:
        pytest.skip("dsr.core._ticketc is not built here")
    if not use_compiled:
        monkeypatch.setattr(tickets_module, "_fast", None)
    for joined, count in ((b"a\x00b", 1), (b"a\x00b", 3), (b"", 0 + 2), (b"a", 0)):
        with pytest.raises(ValueError, match="NUL"):
            joined_tickets(SEED, LABEL_UNIT, joined, count)
    assert joined_tickets(SEED, LABEL_UNIT, b"", 0) == b""
    assert joined_tickets(SEED, LABEL_UNIT, b"", 1) == ticket(SEED, LABEL_UNIT, "")
    with pytest.raises(ValueError, match="NUL"):
        ticket_list(SEED, LABEL_UNIT, ["ok", "bad\x00key"])
    with pytest.raises(ValueError, match="NUL"):
        joined_tickets(SEED, "bad\x00label", b"a", 1)


@needs_compiled
def test_below_compares_each_ticket_with_its_cells_bound():
    ts = [ticket(SEED, LABEL_UNIT, str(i)) for i in range(50)]
    where_of = [7, 7, 1000, 3] * 20
    bounds = {7: bytes([100]) + bytes(31), 1000: b"", 3: b"\xff" * 32}
    got = compiled.below(b"".join(ts), where_of, 10, bounds)
    assert got == bytes(t < bounds[where_of[10 + i]] for i, t in enumerate(ts))
    with pytest.raises(KeyError):
        compiled.below(b"".join(ts), [5] * 50, 0, bounds)
    with pytest.raises(TypeError):
        compiled.below(b"".join(ts), [7] * 50, 0, {7: b"short"})
    with pytest.raises(ValueError):
        compiled.below(b"".join(ts), where_of, 40, bounds)  # past the end of where_of
    with pytest.raises(ValueError):
        compiled.below(b"x" * 33, where_of, 0, bounds)


def _vector():
    doc = load()
    return doc, bytes.fromhex(doc["seed_hex"]), inputs_from_plain(doc["inputs"])


@needs_compiled
def test_the_draw_vector_is_the_same_without_the_compiled_path(monkeypatch):
    """The stored vector (units, batches, teams with their inspector tickets) from either path, and frozen."""
    doc, seed, inp = _vector()
    assert canonical_hash(run_draw(seed, inp)) == doc["expected_sha256"]
    assert canonical_hash(run_draw(seed, normalise(inp))) == doc["expected_sha256"]
    monkeypatch.setattr(tickets_module, "_fast", None)
    assert canonical_hash(run_draw(seed, inp)) == doc["expected_sha256"]
    assert canonical_hash(run_draw(seed, normalise(inp))) == doc["expected_sha256"]


def _many_units():
    units = [crowded_key(f"91410502MA44C{i:04d}X", name=f"单位{i}") for i in range(40)]
    units += [other_key(f"91410502MA44D{i:04d}X", name=f"单位乙{i}", credit="ABCD"[i % 4]) for i in range(300)]
    staff = [inspector(f"豫E{i:06d}", leader=i % 3 == 0) for i in range(30)]
    return inputs(units, staff, multiplier_rules())


def test_a_unit_table_reads_as_the_tuple_of_its_units():
    inp = _many_units()
    table = UnitTable.of(inp.units)
    assert len(table) == len(inp.units) and table == inp.units and inp.units == tuple(table)
    assert not table != inp.units and hash(table) == hash(inp.units) and repr(table) == repr(inp.units)
    assert table[3] == inp.units[3] and table[-1] == inp.units[-1] and table[5:9] == inp.units[5:9]
    assert list(reversed(table)) == list(reversed(inp.units))
    assert table.column("name") == [u.name for u in inp.units] and table.column("key") == [u.key for u in inp.units]
    assert list(table.field("credit")) == [u.credit for u in inp.units] and table.field("name")[2:4] == \
        [u.name for u in inp.units[2:4]]
    assert list(table.values(["status"])) == [u.status for u in inp.units]
    assert table.take([4, 1]) == (inp.units[4], inp.units[1])
    assert pickle.loads(pickle.dumps(table)) == table
    assert UnitTable(table._rows) == table and UnitTable.of(table) is table
    assert to_plain(table) == to_plain(inp.units)
    with pytest.raises(ValueError):
        UnitTable([("too", "short")])
    assert len(UNIT_FIELDS) == len(table._rows[0])


def test_freezing_makes_a_sorted_table_and_changes_no_digest_or_draw():
    """normalise keeps the units as a key-sorted UnitTable: the same digests and draw as the tuple of Units."""
    inp = _many_units()
    shuffled = replace(inp, units=tuple(reversed(inp.units)))
    frozen = normalise(shuffled)
    assert isinstance(frozen.units, UnitTable) and frozen.units == inp.units
    assert input_digests(frozen) == input_digests(inp) == input_digests(shuffled)
    assert normalise(frozen).units is frozen.units
    assert canonical_bytes(run_draw(SEED, frozen)) == canonical_bytes(run_draw(SEED, inp))
    cols = read_units(frozen)
    assert list(cols.keys) == sorted(u.key for u in inp.units) and list(cols.names) == [u.name for u in frozen.units]
    unsorted_table = replace(inp, units=UnitTable.of(shuffled.units))  # a table not made by freeze
    assert canonical_bytes(run_draw(SEED, unsorted_table)) == canonical_bytes(run_draw(SEED, inp))
    assert normalise(unsorted_table).units == inp.units


def test_a_duplicate_key_is_refused_from_a_table_too():
    inp = _many_units()
    twice = inp.units + (inp.units[7],)
    for units in (twice, UnitTable.of(twice)):
        with pytest.raises(DrawError, match=inp.units[7].key):
            normalise(replace(inp, units=units))
        with pytest.raises(DrawError, match=inp.units[7].key):
            run_draw(SEED, replace(inp, units=units))


def test_bulk_inspector_tickets_are_the_inline_ones():
    """match's first tickets computed in bulk are ticket(seed, LABEL_INSPECTOR, key|j)."""
    from dsr.core.teams import _first_tickets

    units = [unit("A"), unit("统一社会信用代码")]
    got = _first_tickets(SEED, units, 3)
    assert got == [b"".join(ticket(SEED, LABEL_INSPECTOR, f"{u.key}|{j}") for u in units) for j in range(3)]
    assert _first_tickets(SEED, units, 0) == [] and _first_tickets(SEED, [], 3) == []
    with pytest.raises(ValueError, match="NUL"):
        _first_tickets(SEED, [unit("A\x00|0")], 3)


@needs_compiled
def test_tickets_in_two_threads_are_the_tickets_in_one(monkeypatch):
    """The default path's second thread (compiled hashing, enough units, two CPUs) changes no byte of the draw."""
    import dsr.core.draw as draw_module

    inp = _many_units()
    one = canonical_bytes(run_draw(SEED, inp))
    monkeypatch.setattr(draw_module, "BLOB", 16)
    monkeypatch.setattr(draw_module, "THREAD_MIN", 50)
    monkeypatch.setattr(draw_module, "_usable_cpus", lambda: 2)
    calls = []
    real = draw_module.unit_chunk
    monkeypatch.setattr(draw_module, "unit_chunk", lambda *a: calls.append(a[-2:]) or real(*a))
    assert canonical_bytes(run_draw(SEED, inp)) == one
    assert sorted(calls) == [(0, 160), (160, len(inp.units))]  # two halves of whole 16-key buffers


def test_a_table_knows_whether_its_keys_ascend():
    inp = _many_units()
    table = UnitTable.of(inp.units)
    assert table.keys_ascending() and table[10:20].keys_ascending() and table[10:20]._ascending
    assert not UnitTable.of(reversed(inp.units)).keys_ascending()
    assert not UnitTable.of(inp.units + (inp.units[0],)).keys_ascending()  # a key twice does not ascend strictly
    assert not table[::-1].keys_ascending() and table.take([3, 1]).keys_ascending() is False


def test_ordering_by_ticket_falls_back_to_the_key_on_equal_tickets():
    """_order and _lowest sort by ticket alone only while no two tickets are equal; with ties, by (ticket, key)."""
    from dsr.core.draw import _lowest, _order

    keys = [f"K{i:03d}" for i in range(200)][::-1]  # keys descending, so a tie broken by position would differ
    tied = [bytes([i % 7]) * 32 for i in range(200)]  # many equal tickets
    distinct = [ticket(SEED, LABEL_UNIT, k) for k in keys]
    for ts in (tied, distinct):
        positions = list(range(200))
        assert _order(ts, positions, keys) == sorted(positions, key=lambda p: (ts[p], keys[p]))
        members = list(range(0, 200, 3))
        for n in (1, 5, 30, 66, 67):
            assert sorted(_lowest(n, members, ts, keys)) == sorted(sorted(members, key=lambda i: (ts[i], keys[i]))[:n])


@needs_compiled
def test_long_runs_of_skipped_inspectors_match_the_same_without_the_compiled_path(monkeypatch):
    """Tight workload caps make some units try dozens of inspector tickets: those past the ones computed ahead come
    in bulk blocks (teams.MORE) on the compiled path, one by one in Python otherwise; the teams are the same."""
    base = _many_units()
    staff = [inspector(f"豫E{i:06d}", leader=i % 2 == 0) for i in range(40)]
    rules = replace(base.rules, team=replace(base.rules.team, max_units_per_inspector=6))
    inp = inputs(base.units, staff, rules)
    import dsr.core.teams as teams_module

    monkeypatch.setattr(teams_module, "MORE", 5)  # small blocks, so a run crosses several
    compiled_result = run_draw(SEED, inp)
    longest = max(len(t.attempts) for t in compiled_result.teams)
    assert longest > 4 + 2 * 5, longest  # past the tickets computed ahead (size + 2) and past two blocks
    monkeypatch.setattr(tickets_module, "_fast", None)
    assert canonical_bytes(run_draw(SEED, inp)) == canonical_bytes(compiled_result)
