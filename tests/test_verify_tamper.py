"""dsr verify against tampering: a changed byte anywhere signed or attached, a late attachment, a foreign root."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil

import pytest
from pypdf import PdfReader

from dsr.cli import main
from dsr.record.sign import cosign_pdf, load_identity, load_trust_roots
from dsr.record.verify import verify_path
from record_data import fixed_keys, made_record

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The shared record: (ceremony, RecordPaths)."""
    return made_record(tmp_path_factory)


@pytest.fixture
def copy(made, tmp_path):
    """A private copy of the record folder to damage."""
    _, paths = made
    target = tmp_path / "record"
    shutil.copytree(paths.folder, target)
    return target


def _verify(made, path):
    c, _ = made
    return verify_path(path, load_trust_roots([c.keys.ca_pem]))


def _failed(result) -> dict[str, str]:
    return {c.label: c.detail for c in result.checks if not c.ok}


def _stream_offset(pdf: bytes, obj_number: int) -> int:
    """Offset of the first data byte of an object's stream (the object must be stored uncompressed)."""
    start = re.search(rb"(?<![0-9])%d 0 obj" % obj_number, pdf).start()
    return pdf.index(b"stream", start) + len(b"stream\n")


def _flip(path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_byte_flipped_in_page_content_fails(made, copy):
    """One bit changed inside the first page's content stream (covered by /ByteRange) breaks the signature."""
    pdf = copy / "record.pdf"
    page = PdfReader(pdf).pages[0]
    number = page.raw_get("/Contents").idnum
    _flip(pdf, _stream_offset(pdf.read_bytes(), number) + 40)
    result = _verify(made, pdf)
    assert not result.ok
    assert _failed(result)["PDF 签名「支队签章」"].startswith("签名覆盖的字节已被改动")


def test_byte_flipped_in_an_attachment_fails(made, copy):
    """One bit changed inside an embedded input file breaks the signature."""
    pdf = copy / "record.pdf"
    root = PdfReader(pdf).trailer["/Root"]
    spec = next(s.get_object() for s in root["/AF"] if s.get_object()["/UF"] == "检查对象名录库.csv")
    _flip(pdf, _stream_offset(pdf.read_bytes(), spec["/EF"].raw_get("/F").idnum) + 5)
    result = _verify(made, pdf)
    assert not result.ok and "PDF 签名「支队签章」" in _failed(result)


def test_byte_flipped_in_signature_value_fails(made, copy):
    """One hex digit changed in the signature value inside /Contents makes the signature invalid."""
    pdf = copy / "record.pdf"
    data = pdf.read_bytes()
    start = data.rindex(b"/Contents <") + len(b"/Contents <")
    end = data.index(b">", start)
    used = data[start:end].rstrip(b"0")
    position = start + len(used) - 12  # inside the ECDSA signature value at the end of the CMS blob
    digit = data[position:position + 1]
    data = data[:position] + (b"1" if digit != b"1" else b"2") + data[position + 1:]
    pdf.write_bytes(data)
    result = _verify(made, pdf)
    assert not result.ok and "PDF 签名「支队签章」" in _failed(result)


def test_attachment_added_after_signing_fails(made, copy):
    """An extra file appended in a new incremental revision after signing is caught three ways."""
    from pyhanko.pdf_utils import embed
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    pdf = copy / "record.pdf"
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf.read_bytes()))
    data = "单位名称\n偷偷加进来的单位\n".encode()
    spec = embed.FileSpec(file_spec_string="追加名单.csv", file_name="追加名单.csv",
                          embedded_data=embed.EmbeddedFileObject.from_file_data(writer, data))
    embed.embed_file(writer, spec)
    out = io.BytesIO()
    writer.write(out)
    pdf.write_bytes(out.getvalue())
    failed = _failed(_verify(made, pdf))
    assert failed["PDF 最后一个签名覆盖整个文件"] == "签名之后文件又被追加或改动"
    assert failed["附件清单"] == "多出记录未列出的附件：追加名单.csv"


def test_other_trust_root_fails(made, tmp_path):
    """Checked against another CA, every signature fails for its chain, and the CLI exits 1."""
    _, paths = made
    other = fixed_keys(tmp_path / "other", tag=5)
    result = verify_path(paths.folder, load_trust_roots([other.ca_pem]))
    failed = _failed(result)
    assert failed["PDF 签名「支队签章」"] == "证书链不通向所给信任根（签名者 安阳市消防救援支队（测试））"
    assert failed["HTML 签名"] == "证书链不通向所给信任根"
    assert main(["verify", str(paths.pdf), "--trust", str(other.ca_pem)]) == 1


def test_byte_changed_in_html_fails(made, copy):
    """A one-byte change in the HTML breaks its detached signature."""
    html = copy / "record.html"
    html.write_bytes(html.read_bytes().replace("王建国".encode(), "王建图".encode(), 1))
    assert _failed(_verify(made, copy))["HTML 签名"] == "内容已被改动或签名值无效"


def test_byte_changed_in_loose_record_json_fails(made, copy):
    """A changed record.json beside the PDF fails its signature and no longer matches the PDF's copy."""
    record = copy / "record.json"
    record.write_bytes(record.read_bytes().replace(b'"batch":1', b'"batch":2', 1))
    failed = _failed(_verify(made, copy))
    assert failed["记录 JSON 签名"] == "内容已被改动或签名值无效"
    assert failed["record.json 与 PDF 附件一致"] == "两者不同"


def test_byte_changed_in_input_copy_fails(made, copy):
    """A changed copy of an input in inputs/ fails against the signed manifest."""
    target = copy / "inputs" / "检查对象名录库.csv"
    _flip(target, 10)
    failed = _failed(_verify(made, copy))
    assert failed["副本 附件 检查对象名录库.csv"].endswith(" 与记录不符")


def test_witness_cosignature_keeps_the_record_valid(made, copy):
    """A witness co-signature, added as a further incremental revision, verifies alongside the detachment's."""
    c, _ = made
    pdf = copy / "record.pdf"
    witness = load_identity(c.keys.witness_p12, c.keys.passphrase, dt.datetime.now(dt.timezone.utc))
    pdf.write_bytes(cosign_pdf(pdf.read_bytes(), witness, "见证人王建国"))
    result = _verify(made, pdf)
    assert result.ok, _failed(result)
    lines = [check.line() for check in result.checks]
    assert "✔ PDF 签名「见证人王建国」：完整、证书链可信，签名者 见证人（测试）" in lines
