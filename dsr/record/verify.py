"""Verify a record (PDF, HTML or folder): signatures, attached inputs, then re-derive the draw."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from dsr.errors import RecordError
from dsr.record.build import HTML_FILE, INPUTS_DIR, PDF_FILE, RECORD_FILE, SIG_SUFFIX
from dsr.record.offline import import_pyhanko



@dataclass(frozen=True)
class Check:
    """One verification step: a Chinese label, whether it passed, and what was found."""

    label: str
    ok: bool
    detail: str = ""

    def line(self) -> str:
        """The line `dsr verify` prints for this check."""
        mark = "✔" if self.ok else "✘"
        return f"{mark} {self.label}" + (f"：{self.detail}" if self.detail else "")


@dataclass(frozen=True)
class Verification:
    """Every check made on one record; `ok` only if there was at least one and all passed."""

    path: str
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return bool(self.checks) and all(c.ok for c in self.checks)


# A replay hook: (record, attached files by name) ▶ checks, or "module:function" naming one (so the
# process that checks the signatures need not import the draw and the workbook reader at all).
Replay = Callable[[Mapping, Mapping[str, bytes]], list[Check]] | str
DEFAULT_REPLAY = "dsr.record.replay:replay_draw"
# What the replay imports: a worker started before the PDF is read imports these meanwhile.
_REPLAY_MODULES = ("dsr.record.replay", "dsr.core.draw", "dsr.inputs.reader", "dsr.rules")


def _validation_context(roots: tuple[x509.Certificate, ...]):
    import_pyhanko("pyhanko_certvalidator")
    from asn1crypto import x509 as asn1_x509
    from pyhanko_certvalidator import ValidationContext

    certs = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in roots]
    return ValidationContext(trust_roots=certs, allow_fetching=False, revocation_mode="soft-fail")


def _signer_name(status) -> str:
    try:
        return status.signing_cert.subject.native.get("common_name", "?")
    except (AttributeError, ValueError):
        return "?"


def pdf_signature_checks(pdf: bytes, roots: tuple[x509.Certificate, ...]) -> list[Check]:
    """One check per PDF signature (integrity, chain to a trust root, permitted later changes) and one for coverage."""
    import_pyhanko("pyhanko.sign")
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # noqa: BLE001 - a broken file is a failed check, not a crash
        return [Check("PDF 签名", False, f"无法读取 PDF：{exc}")]
    if not signatures:
        return [Check("PDF 签名", False, "PDF 中没有签名")]
    checks, statuses = [], []
    for sig in signatures:
        check, status = _one_pdf_signature(sig, roots, validate_pdf_signature)
        checks.append(check)
        statuses.append(status)
    # The last signature's full validation already measured what it covers: no second pass over the file.
    whole = statuses[-1] is not None and statuses[-1].coverage == SignatureCoverageLevel.ENTIRE_FILE
    checks.append(Check("PDF 最后一个签名覆盖整个文件", whole,
                        "签名后未再改动" if whole else "签名之后文件又被追加或改动"))
    return checks


def _one_pdf_signature(sig, roots, validate) -> tuple[Check, object]:
    """The check of one embedded signature, and its validation status (None if it could not be validated)."""
    label = f"PDF 签名「{sig.field_name}」"
    try:
        status = validate(sig, _validation_context(roots))
    except Exception as exc:  # noqa: BLE001
        return Check(label, False, f"无法验证：{type(exc).__name__}"), None
    who = _signer_name(status)
    if status.bottom_line:
        return Check(label, True, f"完整、证书链可信，签名者 {who}"), status
    reasons = []
    if not status.intact:
        reasons.append("签名覆盖的字节已被改动")
    elif not status.valid:
        reasons.append("签名值无效")
    if not status.trusted:
        reasons.append("证书链不通向所给信任根")
    if status.modification_level is not None and not status.docmdp_ok:
        reasons.append("签名后有不允许的改动")
    return Check(label, False, ("；".join(reasons) or "无效") + f"（签名者 {who}）"), status


def detached_checks(label: str, content: bytes, signature: bytes | None,
                    roots: tuple[x509.Certificate, ...]) -> Check:
    """Validate a detached CMS signature (.p7s) over exact bytes against the trust roots."""
    if signature is None:
        return Check(label, False, "缺少签名文件 .p7s")
    import_pyhanko("pyhanko.sign")
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    try:
        signed = cms.ContentInfo.load(signature)["content"]
        status = asyncio.run(async_validate_detached_cms(content, signed, signer_validation_context=
                                                        _validation_context(roots)))
    except Exception as exc:  # noqa: BLE001
        return Check(label, False, f"签名无法解析：{type(exc).__name__}")
    if status.bottom_line:
        return Check(label, True, f"完整、证书链可信，签名者 {_signer_name(status)}")
    why = "内容已被改动或签名值无效" if not (status.intact and status.valid) else "证书链不通向所给信任根"
    return Check(label, False, why)


def _name_tree(node, out: list) -> None:
    """Collect the (key, file specification) pairs of a PDF name tree, following /Kids."""
    node = node.get_object()
    names = node.get("/Names", [])
    out.extend((names[i], names[i + 1].get_object()) for i in range(0, len(names) - 1, 2))
    for kid in node.get("/Kids", []):
        _name_tree(kid, out)


def _spec_name(key, spec) -> str:
    name = spec.get("/UF") or spec.get("/F") or key
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)


def pdf_attachments(pdf: bytes) -> dict[str, bytes]:
    """The files embedded in the PDF (latest revision), by their Unicode names; duplicates never collapse."""
    # pyHanko's reader only (one PDF library for the attachments and the signatures); pyhanko.sign, which
    # the signature checks need, is imported after the replay has started.
    import_pyhanko("pyhanko.pdf_utils.reader")
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    root = reader.root
    tree = root["/Names"].get("/EmbeddedFiles") if "/Names" in root else None
    pairs: list = []
    if tree is not None:
        _name_tree(tree, pairs)
    out: dict[str, bytes] = {}
    for key, spec in pairs:
        name = _spec_name(key, spec)
        if name in out:
            name = f"{name}（重复）"
        out[name] = spec["/EF"]["/F"].get_object().data
    return out


def read_record(files: Mapping[str, bytes]) -> dict:
    """Parse record.json from the attached files; RecordError if it is missing or not JSON."""
    if RECORD_FILE not in files:
        raise RecordError(f"记录中缺少 {RECORD_FILE}")
    try:
        return json.loads(files[RECORD_FILE].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordError(f"{RECORD_FILE} 不是有效的 JSON：{exc}") from exc


def manifest_checks(record: Mapping, files: Mapping[str, bytes]) -> list[Check]:
    """Each input the record lists must be attached with the stated SHA-256; nothing else may be attached."""
    checks = []
    listed = {entry["name"]: entry for entry in record.get("inputs", ())}
    for name, entry in listed.items():
        data = files.get(name)
        if data is None:
            checks.append(Check(f"附件 {name}", False, "记录列出但未附带"))
            continue
        digest = hashlib.sha256(data).hexdigest()
        ok = digest == entry.get("sha256") and len(data) == entry.get("size")
        checks.append(Check(f"附件 {name}", ok, f"SHA-256 {digest[:16]}…" + ("一致" if ok else " 与记录不符")))
    extra = sorted(set(files) - set(listed) - {RECORD_FILE})
    if extra:
        checks.append(Check("附件清单", False, "多出记录未列出的附件：" + "、".join(extra)))
    return checks


def verify_pdf(pdf: bytes, roots: tuple[x509.Certificate, ...], replay: Replay | None) -> list[Check]:
    """All checks of a record PDF: signatures, attachments against the manifest, replay of the draw."""
    worker = _ReplayWorker(replay)
    try:
        return _verify_pdf(pdf, roots, replay, worker)[0]
    finally:
        worker.close()


@dataclass
class _Pending:
    """A replay under way: the files it was given and how to get its checks."""

    files: Mapping[str, bytes]
    result: Callable[[], list[Check]]


def _verify_pdf(pdf: bytes, roots, replay, worker: _ReplayWorker,
                early: _Pending | None = None) -> tuple[list[Check], dict[str, bytes]]:
    """verify_pdf, also returning the attached files (empty if they cannot be read).

    The replay (reading workbooks, re-drawing) runs in a forked process while this one checks the
    signatures: on two cores the slower of the two sets the time, not their sum. `early` is a replay
    already started from the folder's loose copies: its checks count only if it was given exactly the
    files the PDF carries (same names, same bytes); otherwise the draw is replayed from the attachments.
    """
    try:
        files = pdf_attachments(pdf)
        record = read_record(files)
    except Exception as exc:  # noqa: BLE001
        if early is not None:
            early.result()  # let the worker finish; its checks are not used
        return [*pdf_signature_checks(pdf, roots), Check("记录 JSON", False, str(exc))], {}
    if early is not None and early.files == files:
        pending = early.result
    else:
        if early is not None:
            early.result()
        pending = _start_replay(replay, record, files, worker).result
    checks = pdf_signature_checks(pdf, roots)
    checks.append(Check("记录 JSON", True, f"{record.get('record_id', '?')}，SHA-256 "
                                          f"{hashlib.sha256(files[RECORD_FILE]).hexdigest()[:16]}…"))
    checks.extend(manifest_checks(record, files))
    return checks + pending(), files


def _prepare_replay() -> None:
    """In the worker, before it has anything to replay: import what the replay needs."""
    import importlib

    for name in _REPLAY_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the replay itself reports what is missing
            pass


class _ReplayWorker:
    """The forked process that replays a verification's draw, started before the PDF is even read.

    It imports the replay's modules (workbook reader, rules, draw) while this process imports pyHanko and
    parses the PDF, so on two cores neither waits for the other's imports. Without fork (or when other
    threads run, which can deadlock a forked child) there is no worker and the replay runs in this process.
    """

    def __init__(self, replay: Replay | None):
        import multiprocessing
        import threading
        from concurrent.futures import ProcessPoolExecutor

        self.pool = None
        if replay is None or "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
            return
        try:
            self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
            if replay == DEFAULT_REPLAY:
                self.pool.submit(_prepare_replay)
        except Exception:  # noqa: BLE001 - no worker: replay here instead
            self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None


def _start_replay(replay: Replay | None, record: Mapping, files: Mapping[str, bytes],
                  worker: _ReplayWorker) -> _Pending:
    """Hand the replay to the worker where there is one; return it as pending."""

    def here() -> list[Check]:
        return _replay(replay, record, files)

    if worker.pool is None:
        return _Pending(files, here)
    try:
        future = worker.pool.submit(_replay, replay, dict(record), dict(files))
    except Exception:  # noqa: BLE001 - the worker is gone: replay here instead
        return _Pending(files, here)

    def result() -> list[Check]:
        try:
            return future.result()
        except Exception:  # noqa: BLE001 - the worker died: replay here instead
            return here()

    return _Pending(files, result)


def _replay(replay: Replay | None, record: Mapping, files: Mapping[str, bytes]) -> list[Check]:
    if replay is None:
        return [Check("重新抽取", False, "本程序版本不能重新抽取")]
    try:
        if isinstance(replay, str):
            import importlib

            module, name = replay.split(":")
            replay = getattr(importlib.import_module(module), name)
        return replay(record, files)
    except Exception as exc:  # noqa: BLE001 - anything the replay trips on is a failed check
        return [Check("重新抽取", False, f"{type(exc).__name__}: {exc}")]


def _read_optional(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def verify_folder(folder: Path, roots: tuple[x509.Certificate, ...], replay: Replay | None) -> list[Check]:
    """All checks of a record folder: the PDF, the HTML and JSON signatures, the input copies, the replay."""
    worker = _ReplayWorker(replay)
    try:
        return _verify_folder(folder, roots, replay, worker)
    finally:
        worker.close()


def _verify_folder(folder: Path, roots, replay: Replay | None, worker: _ReplayWorker) -> list[Check]:
    checks: list[Check] = []
    pdf = _read_optional(folder / PDF_FILE)
    if pdf is None:
        checks.append(Check("PDF 记录", False, "缺少 record.pdf"))
        pdf_record = None
    else:
        pdf_checks, attached = _verify_pdf(pdf, roots, replay, worker, early=_early_replay(folder, replay, worker))
        checks.extend(pdf_checks)
        pdf_record = attached.get(RECORD_FILE)
    html = _read_optional(folder / HTML_FILE)
    record_data = _read_optional(folder / RECORD_FILE)
    checks.append(detached_checks("HTML 签名", html or b"", _read_optional(folder / (HTML_FILE + SIG_SUFFIX)), roots)
                  if html is not None else Check("HTML 签名", False, "缺少 record.html"))
    if record_data is None:
        return [*checks, Check("记录 JSON 签名", False, "缺少 record.json")]
    checks.append(detached_checks("记录 JSON 签名", record_data,
                                  _read_optional(folder / (RECORD_FILE + SIG_SUFFIX)), roots))
    checks.extend(_folder_consistency(folder, record_data, pdf, pdf_record, html))
    return checks


def _early_replay(folder: Path, replay: Replay | None, worker: _ReplayWorker) -> _Pending | None:
    """Start the replay from the folder's loose record.json and input copies before the PDF is even parsed.

    Only a head start: `_verify_pdf` uses its checks only if these files are byte for byte the PDF's
    attachments, and replays from the attachments otherwise (e.g. a changed copy, which also fails below).
    """
    if replay is None:
        return None
    try:
        files = {p.name: p.read_bytes() for p in sorted((folder / INPUTS_DIR).iterdir()) if p.is_file()}
        if RECORD_FILE in files:
            return None  # an input named like the record: leave it to the attachments
        files[RECORD_FILE] = (folder / RECORD_FILE).read_bytes()
        record = read_record(files)
    except (OSError, RecordError):
        return None
    return _start_replay(replay, record, files, worker)


def _folder_consistency(folder: Path, record_data: bytes, pdf: bytes | None, pdf_record: bytes | None,
                        html: bytes | None) -> list[Check]:
    """The loose record.json, input copies and HTML must be the very ones the signed PDF carries."""
    digest = hashlib.sha256(record_data).hexdigest()
    checks = []
    if pdf is not None:
        same = pdf_record == record_data
        checks.append(Check("record.json 与 PDF 附件一致", same, "" if same else "两者不同"))
    if html is not None:
        shown = digest.encode() in html
        checks.append(Check("HTML 记载的记录哈希", shown, digest[:16] + "…" + ("" if shown else " 未在 HTML 中出现")))
    try:
        files = {p.name: p.read_bytes() for p in sorted((folder / INPUTS_DIR).iterdir()) if p.is_file()}
        record = json.loads(record_data)
        checks.extend(Check("副本 " + c.label, c.ok, c.detail) for c in manifest_checks(record, files))
    except (OSError, ValueError) as exc:
        checks.append(Check("输入副本", False, str(exc)))
    return checks


def verify_path(path: Path, roots: tuple[x509.Certificate, ...], replay: Replay | None = None) -> Verification:
    """Verify a record PDF, its HTML (with the folder beside it) or its folder."""
    path = Path(path)
    if not path.exists():
        raise RecordError(f"找不到 {path}")
    if not roots:
        raise RecordError("没有信任根证书（--trust）")
    if replay is None:
        replay = DEFAULT_REPLAY  # imported by the worker that replays, not here
    if path.is_dir():
        checks = verify_folder(path, roots, replay)
    elif path.suffix.lower() == ".pdf":
        checks = verify_pdf(path.read_bytes(), roots, replay)
    elif path.suffix.lower() in (".html", ".htm"):
        checks = verify_folder(path.parent, roots, replay)
    else:
        raise RecordError(f"不认识的记录文件类型：{path.name}（应为 .pdf、.html 或记录文件夹）")
    return Verification(str(path), tuple(checks))
