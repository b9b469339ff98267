"""The review state machine: entered → reviewed → published, kept in a hash-chained event log."""

import datetime as dt

import pytest

import publish_data as data
from dsr.publish import results as r
from dsr.publish import review
from dsr.publish.errors import PublishError
from dsr.publish.ledger import JsonlLog

AT = dt.datetime(2026, 9, 20, 9, 30)


def _set(*outcomes):
    units = data.view().units
    res = tuple(r.Result(data.DRAW_ID, u.key, u.name, dt.date(2026, 9, 10), o, None, ("符合",) * 9 + ("", ""))
                for u, o in zip(units, outcomes))
    return r.ResultSet(data.DRAW_ID, "结果.xlsx", "00" * 32, res)


def _states(log):
    return {k[1]: e.state for k, e in review.entries(log).items()}


def test_import_review_publish_moves_through_the_states(tmp_path):
    """Imported results are 已录入, then 已审核 with the reviewer's name, then 已公开."""
    log = JsonlLog(tmp_path / "ledger.jsonl")
    assert review.record_import(log, _set("未发现问题", "未发现问题"), "法制科 刘洋", AT) == (2, 0)
    assert set(_states(log).values()) == {"entered"}
    assert review.review(log, data.DRAW_ID, "法制科 陈静", AT) == 2
    assert {e.by for e in review.entries(log).values()} == {"法制科 陈静"}
    assert review.publish(log, data.DRAW_ID, "法制科 陈静", AT) == 2
    assert set(_states(log).values()) == {"published"}
    assert len(review.published(log)) == 2


def test_publishing_unreviewed_results_is_refused(tmp_path):
    """Publishing while a result is only entered is refused and nothing is published."""
    log = JsonlLog(tmp_path / "ledger.jsonl")
    review.record_import(log, _set("未发现问题"), "刘洋", AT)
    unit = data.view().units[0]
    with pytest.raises(PublishError) as err:
        review.publish(log, data.DRAW_ID, "陈静", AT)
    assert str(err.value) == (f"抽查 {data.DRAW_ID} 有 1 条检查结果尚未审核，不能公开：{unit.name}（{unit.key}）"
                              "（先审核：dsr results review；或只公开已审核的：--skip-unreviewed）")
    assert review.published(log) == {}


def test_skip_unreviewed_publishes_only_reviewed(tmp_path):
    """With skip_unreviewed, reviewed results are published and entered ones stay entered."""
    log = JsonlLog(tmp_path / "ledger.jsonl")
    review.record_import(log, _set("未发现问题"), "刘洋", AT)
    review.review(log, data.DRAW_ID, "陈静", AT)
    review.record_import(log, _set("未发现问题", "发现问题已当场改正"), "刘洋", AT)
    assert review.publish(log, data.DRAW_ID, "陈静", AT, skip_unreviewed=True) == 1
    assert sorted(_states(log).values()) == ["entered", "published"]


def test_reimport_of_changed_result_needs_review_again(tmp_path):
    """Changing a reviewed result by re-import puts it back to 已录入; an unchanged one stays."""
    log = JsonlLog(tmp_path / "ledger.jsonl")
    review.record_import(log, _set("未发现问题", "未发现问题"), "刘洋", AT)
    review.review(log, data.DRAW_ID, "陈静", AT)
    assert review.record_import(log, _set("未发现问题", "发现问题已当场改正"), "刘洋", AT) == (1, 1)
    assert sorted(_states(log).values()) == ["entered", "reviewed"]


def test_published_result_cannot_be_changed_by_import(tmp_path):
    """A re-import that would change a published result is refused as a whole."""
    log = JsonlLog(tmp_path / "ledger.jsonl")
    review.record_import(log, _set("未发现问题"), "刘洋", AT)
    review.review(log, data.DRAW_ID, "陈静", AT)
    review.publish(log, data.DRAW_ID, "陈静", AT)
    unit = data.view().units[0]
    with pytest.raises(PublishError) as err:
        review.record_import(log, _set("发现问题已当场改正", "未发现问题"), "刘洋", AT)
    assert str(err.value) == f"以下单位的检查结果已公开，不能通过导入修改，未写入任何结果：{unit.name}（{unit.key}）"
    assert len(review.entries(log)) == 1


def test_tampered_log_is_detected(tmp_path):
    """Editing a stored event breaks the hash chain and reading refuses."""
    log = JsonlLog(tmp_path / "ledger.jsonl")
    review.record_import(log, _set("未发现问题"), "刘洋", AT)
    path = tmp_path / "ledger.jsonl"
    path.write_text(path.read_text("utf-8").replace("未发现问题", "行政处罚"), "utf-8")
    with pytest.raises(PublishError) as err:
        review.entries(log)
    assert str(err.value) == "结果台账 ledger.jsonl 第 1 行的哈希链断裂，台账可能被改动"


def test_review_states_live_in_the_archive_ledger(tmp_path):
    """Through ArchiveLog the same states are kept as `result` events of the SQLite ledger, chain intact."""
    from dsr.archive.ledger import Ledger
    from dsr.publish.ledger import ArchiveLog

    at = AT.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        log = ArchiveLog(ledger)
        review.record_import(log, _set("未发现问题"), "刘洋", at)
        review.review(log, data.DRAW_ID, "陈静", at)
        assert [e.payload["state"] for e in ledger.events("result")] == ["entered", "reviewed"]
        assert ledger.events("result")[0].draw_id == data.DRAW_ID
        assert _states(log) == {data.view().units[0].key: "reviewed"}
