"""dsr verify of a folder starts the replay from the loose copies, but only the PDF's attachments count."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from dsr.record.sign import load_trust_roots
from dsr.record.verify import Check, pdf_attachments, verify_path
from record_data import made_record

pytestmark = pytest.mark.slow

WORKBOOK = "检查对象名录库.csv"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The shared record: (ceremony, RecordPaths)."""
    return made_record(tmp_path_factory)


@pytest.fixture
def copy(made, tmp_path):
    """A private copy of the record folder to change."""
    _, paths = made
    target = tmp_path / "record"
    shutil.copytree(paths.folder, target)
    return target


def seen_by_replay(record, files) -> list[Check]:
    """A stand-in replay (module level, so a forked worker can run it): reports the bytes it was given."""
    digest = hashlib.sha256(files[WORKBOOK] + files["record.json"]).hexdigest()
    return [Check("重新抽取", True, digest)]


def _replay_detail(made, path) -> str:
    c, _ = made
    result = verify_path(path, load_trust_roots([c.keys.ca_pem]), replay=seen_by_replay)
    return next(check.detail for check in result.checks if check.label == "重新抽取")


def _attached_digest(folder) -> str:
    files = pdf_attachments((folder / "record.pdf").read_bytes())
    return hashlib.sha256(files[WORKBOOK] + files["record.json"]).hexdigest()


def test_changed_input_copy_is_not_what_the_draw_is_replayed_from(made, copy):
    """A changed loose copy: the replay's checks are those of the PDF's attachments, the copy check fails."""
    target = copy / "inputs" / WORKBOOK
    target.write_bytes(target.read_bytes().replace("测试商贸".encode(), "测试商店".encode(), 1))
    assert _replay_detail(made, copy) == _attached_digest(copy)
    c, _ = made
    result = verify_path(copy, load_trust_roots([c.keys.ca_pem]))
    failed = {check.label for check in result.checks if not check.ok}
    assert failed == {f"副本 附件 {WORKBOOK}"}


def test_changed_loose_record_json_is_not_what_the_draw_is_replayed_from(made, copy):
    """A changed loose record.json: the draw is replayed from the PDF's record.json and inputs."""
    record = copy / "record.json"
    record.write_bytes(record.read_bytes().replace(b'"batch":1', b'"batch":2', 1))
    assert _replay_detail(made, copy) == _attached_digest(copy)


def test_unchanged_folder_replays_the_attachments_bytes(made, copy):
    """An untouched folder: the early replay saw exactly the attached bytes, and every check passes."""
    assert _replay_detail(made, copy) == _attached_digest(copy)
    c, _ = made
    assert verify_path(copy, load_trust_roots([c.keys.ca_pem])).ok
