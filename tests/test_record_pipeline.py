"""make_record end to end: a real kernel, HTML, PDF/A-3b with attachments, signatures, goldens, refusals."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from dsr.cli import main
from dsr.errors import RecordError, SigningKeyError
from dsr.record.build import qr_svg, qr_text, record_hash
from dsr.record.pipeline import make_record
from dsr.record.sign import load_trust_roots
from dsr.record.verify import pdf_attachments, verify_path
from record_data import CLOCK, fixed_keys, made_record, make_ceremony, params

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("DSR_REGEN_GOLDEN") == "1"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The shared record: (ceremony, RecordPaths)."""
    return made_record(tmp_path_factory)


@pytest.fixture(scope="module")
def ceremony(tmp_path_factory):
    """A ceremony for the refusal tests (no record made)."""
    return make_ceremony(tmp_path_factory.mktemp("refusals") / "ceremony")


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True,
                          text=True).stdout


@pytest.mark.slow
def test_fresh_record_verifies_in_every_check(made):
    """A record just made passes every check: signatures, attachments and the re-run draw."""
    c, paths = made
    result = verify_path(paths.folder, load_trust_roots([c.keys.ca_pem]))
    assert result.ok, [c.line() for c in result.checks if not c.ok]
    labels = [check.label for check in result.checks]
    assert "重新抽取：完整结果逐字节一致" in labels and "HTML 签名" in labels and "PDF 签名「支队签章」" in labels


@pytest.mark.slow
def test_verify_from_the_html_checks_its_folder(made):
    """Given the HTML, dsr verify checks the folder beside it, HTML signature included."""
    c, paths = made
    result = verify_path(paths.html, load_trust_roots([c.keys.ca_pem]))
    assert result.ok and "HTML 签名" in [check.label for check in result.checks]


@pytest.mark.slow
def test_cli_verify_prints_one_line_per_check_and_exits_0(made, capsys):
    """`dsr verify PDF --trust CA` prints ✔ lines and a summary, exit status 0."""
    c, paths = made
    assert main(["verify", str(paths.pdf), "--trust", str(c.keys.ca_pem)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "✔ PDF 签名「支队签章」：完整、证书链可信，签名者 安阳市消防救援支队（测试）"
    assert out[-1].startswith("核验通过：全部 ") and all(line.startswith("✔") for line in out[:-1])


@pytest.mark.slow
def test_pdf_embeds_cjk_fonts(made):
    """pdffonts lists the WenQuanYi CJK font, embedded and subset."""
    _, paths = made
    fonts = subprocess.run(["pdffonts", str(paths.pdf)], capture_output=True, check=True, text=True).stdout
    cjk = [line.split() for line in fonts.splitlines() if "WenQuanYi-Micro-Hei" in line]
    assert len(fonts.splitlines()) - 2 == len(cjk)  # nothing but the CJK faces
    assert cjk and all(row[-5:-3] == ["yes", "yes"] for row in cjk)


@pytest.mark.slow
def test_pdf_text_holds_chinese_content_and_page_numbers(made):
    """pdftotext finds the title, witnesses, an escaped hostile unit name and '第 1 页 / 共 N 页'."""
    _, paths = made
    text = _text(paths.pdf)
    for expected in ("消防监督“双随机、一公开”抽查记录", "廉政监督员", "王建国", "<script>alert('x')</script>商店", "李<script>alert(1)</script>",
                     "各分层的总数、抽取数与入选概率", "第1页/共", "测试记录：使用测试证书签名，不具法律效力"):
        assert expected in text.replace(" ", "") or expected in text


@pytest.mark.slow
def test_pdf_is_a4_and_declares_pdfa_3b(made):
    """Pages are A4 and the XMP metadata claims PDF/A-3B."""
    _, paths = made
    info = subprocess.run(["pdfinfo", str(paths.pdf)], capture_output=True, check=True, text=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info
    xmp = PdfReader(paths.pdf).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3" pdfaid:conformance="B"' in xmp
    assert b"<xmp:ModifyDate>2026-11-30T10:30:00+08:00</xmp:ModifyDate>" in xmp  # signing left it alone


@pytest.mark.slow
def test_pdf_attaches_every_input_and_the_record_json(made):
    """The attachments are the inputs byte for byte plus record.json, with PDF/A-3 relationships."""
    _, paths = made
    attached = pdf_attachments(paths.pdf.read_bytes())
    copies = {p.name: p.read_bytes() for p in paths.inputs}
    assert attached == {**copies, "record.json": paths.record.read_bytes()}
    root = PdfReader(paths.pdf).trailer["/Root"]
    relations = {str(spec.get_object()["/UF"]): spec.get_object()["/AFRelationship"] for spec in root["/AF"]}
    assert relations == {**{name: "/Source" for name in copies}, "record.json": "/Data"}


@pytest.mark.slow
def test_qr_code_carries_record_id_and_hash(made):
    """The HTML holds the QR code of 'DSR1;<record id>;sha256:<hash of record.json>'."""
    _, paths = made
    digest = record_hash(paths.record.read_bytes())
    record = json.loads(paths.record.read_bytes())
    path = re.search(r' d="([^"]+)"', qr_svg(qr_text(record["record_id"], digest))).group(1)
    assert f'd="{path}"' in paths.html.read_text(encoding="utf-8")


@pytest.mark.slow
def test_html_and_json_signatures_pass_openssl(made):
    """`openssl cms -verify -binary` accepts the .p7s of the HTML and of record.json."""
    c, paths = made
    for content, sig in ((paths.html, paths.html_sig), (paths.record, paths.record_sig)):
        cmd = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(sig), "-content", str(content),
               "-CAfile", str(c.keys.ca_pem), "-out", "/dev/null"]
        assert subprocess.run(cmd, capture_output=True).returncode == 0


@pytest.mark.slow
def test_record_shows_the_code_that_drew(made):
    """The executed code, including the call to run_draw, is visible in the record."""
    _, paths = made
    html = paths.html.read_text(encoding="utf-8")
    assert "result = run_draw(seed, inputs)" in html
    assert "brigade = &#x27;文峰区&#x27;" in html or "brigade = '文峰区'" in html


@pytest.mark.slow
def test_same_inputs_and_clock_give_identical_record_and_html(made, tmp_path):
    """A second run from the same inputs, entropy and clock gives byte-identical record.json and HTML."""
    c, paths = made
    again = make_record(params(c), tmp_path / "again", CLOCK)
    assert again.record.read_bytes() == paths.record.read_bytes()
    assert again.html.read_bytes() == paths.html.read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["record.json", "record.html"])
def test_record_matches_golden(made, name):
    """record.json and the HTML are pinned; regenerate on purpose with DSR_REGEN_GOLDEN=1 and review the diff."""
    _, paths = made
    golden = GOLDEN / f"record-文峰区.{name.split('.')[1]}"
    produced = (paths.folder / name).read_bytes()
    if REGEN:
        golden.write_bytes(produced)
    assert produced == golden.read_bytes()


def test_existing_record_folder_is_refused(ceremony, tmp_path):
    """An output folder that already holds a record is never overwritten."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "record.pdf").write_bytes(b"%PDF-1.7")
    with pytest.raises(RecordError) as info:
        make_record(params(ceremony), out, CLOCK)
    assert str(info.value) == "输出文件夹 out 中已有抽查记录，拒绝覆盖"
    assert (out / "record.pdf").read_bytes() == b"%PDF-1.7"


def test_wrong_passphrase_is_refused_before_anything_runs(ceremony, tmp_path):
    """A wrong passphrase stops make_record before the kernel starts; nothing is written."""
    with pytest.raises(SigningKeyError) as info:
        make_record(params(ceremony, passphrase="错误口令"), tmp_path / "out", CLOCK)
    assert str(info.value) == "签名证书文件 signer.p12 无法打开：口令错误或文件已损坏"
    assert not (tmp_path / "out").exists()


def test_expired_certificate_is_refused(ceremony, tmp_path):
    """An expired signing certificate stops make_record with its end date."""
    import datetime as dt

    old = fixed_keys(tmp_path / "old", dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc),
                     dt.datetime(2024, 12, 31, tzinfo=dt.timezone.utc), tag=3)
    with pytest.raises(SigningKeyError) as info:
        make_record(params(ceremony, pkcs12=old.signer_p12), tmp_path / "out", CLOCK)
    assert str(info.value) == "签名证书 signer.p12 已于 2024-12-31 过期，不能用于签名"


def test_empty_witness_list_is_refused_when_rules_require_witnesses(ceremony, tmp_path):
    """The rules require two witnesses; an empty list is refused with the numbers."""
    with pytest.raises(RecordError) as info:
        make_record(params(ceremony, witnesses=()), tmp_path / "out", CLOCK)
    assert str(info.value) == "抽查工作细则要求至少 2 名见证人，实有 0 名"


def test_missing_required_witness_role_is_refused(ceremony, tmp_path):
    """The rules require a 廉政监督员; two witnesses without one are refused."""
    witnesses = ({"name": "甲", "role": "企业代表"}, {"name": "乙", "role": "新闻媒体"})
    with pytest.raises(RecordError) as info:
        make_record(params(ceremony, witnesses=witnesses), tmp_path / "out", CLOCK)
    assert str(info.value) == "抽查工作细则要求的见证人身份缺少：廉政监督员"


def test_parameters_not_matching_the_notebook_are_refused(ceremony, tmp_path):
    """A notebook whose parameters cell declares a name make_record does not give is refused by name."""
    import nbformat

    nb = nbformat.read(str(Path(__file__).resolve().parents[1] / "notebooks" / "draw.ipynb"), as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", ()))
    cell.source += "\nseed_override = ''"
    path = tmp_path / "changed.ipynb"
    nbformat.write(nb, str(path))
    with pytest.raises(RecordError) as info:
        make_record(params(ceremony, notebook=path), tmp_path / "out", CLOCK)
    assert str(info.value) == "参数与笔记本不符。缺少这些参数：seed_override"


def test_clock_without_timezone_is_refused(ceremony, tmp_path):
    """The record's clock must carry its offset."""
    with pytest.raises(RecordError) as info:
        make_record(params(ceremony), tmp_path / "out", "2026-11-30T10:30:00")
    assert str(info.value) == "时间「2026-11-30T10:30:00」缺少时区（例如 +08:00）"


def test_duplicate_input_names_are_refused(ceremony, tmp_path):
    """Two inputs with the same file name cannot both be attached."""
    other = tmp_path / "x" / ceremony.workbooks[0].name
    other.parent.mkdir()
    shutil.copy(ceremony.workbooks[0], other)
    with pytest.raises(RecordError) as info:
        make_record(params(ceremony, workbooks=(*ceremony.workbooks, other)), tmp_path / "out", CLOCK)
    assert str(info.value) == f"输入文件重名，无法一并附入记录：{other.name}"


def test_pipeline_names_the_record_files_as_verify_does_without_importing_it():
    """pipeline and verify take the record folder's names from one place; importing pipeline stays light (it does
    not load verify, whose asyncio and X.509 would delay a lone record's kernel)."""
    import subprocess
    import sys

    from dsr.record import pipeline, verify

    assert (pipeline.PDF_FILE, pipeline.HTML_FILE, pipeline.SIG_SUFFIX, pipeline.INPUTS_DIR) == (
        verify.PDF_FILE, verify.HTML_FILE, verify.SIG_SUFFIX, verify.INPUTS_DIR)
    probe = "import sys, dsr.record.pipeline; print('dsr.record.verify' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def test_an_early_kernel_primes_only_workbooks_up_to_the_limit(ceremony, monkeypatch):
    """The early kernel reads the workbooks before it answers (inside the kernel start's timeout) only when they are
    small enough; larger ones are read by the notebook's cell."""
    from dsr.record import pipeline

    got = pipeline._early_prime(params(ceremony))
    assert got["workbooks"] == [str(p.resolve()) for p in ceremony.workbooks]
    assert got["frozen"] == str(ceremony.frozen.resolve()) and got["detachment"] == str(ceremony.detachment.resolve())
    monkeypatch.setattr(pipeline, "PRIME_LIMIT", sum(p.stat().st_size for p in ceremony.workbooks) - 1)
    assert pipeline._early_prime(params(ceremony)) is None
