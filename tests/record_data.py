"""A small, real ceremony for record tests: workbooks, rules, commitment, frozen inputs and test keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dsr.core import commitment as cm
from dsr.core import entropy, freeze
from dsr.core.canonical import canonical_bytes
from dsr.inputs import load_detachment
from dsr.inputs.reader import read_inputs
from dsr.record.pipeline import RecordParams
from dsr.record.sign import TEST_ORG, TEST_PASSPHRASE, TEST_SIGNER_NAME, TEST_WITNESS_NAME, export_p12
from inputs_helpers import (credit_code, conflict_row, exclusion_row, inspector_row, item_row, unit_row,
                            write_csv)

ROOT = Path(__file__).resolve().parents[1]
BRIGADE = "文峰区"
BATCH_ID = "TEST-2026-12"
DAY = dt.date(2026, 12, 1)
CLOCK = "2026-11-30T10:30:00+08:00"
WITNESSES = (
    {"name": "王建国", "role": "廉政监督员", "org": "支队纪检组"},
    {"name": "李<script>alert(1)</script>", "role": "企业代表", "org": "某商贸有限公司"},
)
OPERATOR = {"name": "贾兵", "role": "操作员", "org": "支队法制宣传科"}
SOURCES = [{"id": "dice", "kind": "dice", "description": "见证人掷 20 枚十面骰", "when": "摇号现场",
            "fallback": "无法辨认时重掷", "count": "20", "low": "0", "high": "9"}]
ENTROPY = {"dice": ["3", "8", "0", "9", "5", "1", "2", "7", "4", "6", "0", "9", "1", "8", "2", "7", "3", "6", "4", "5"]}


def _code(n: int) -> str:
    return credit_code(f"9141050200000{n:03d}X"[:17])


def unit_rows() -> list[dict]:
    """Ten 文峰区 units: four crowded, one closed, one on the exclusion list, one hostile name."""
    rows = []
    for n in range(10):
        name = f"安阳市文峰区测试商贸{n}号有限公司" if n != 9 else "<script>alert('x')</script>商店"
        rows.append(unit_row(name=name, code=_code(n), crowded="是" if n < 4 else "否",
                             status="停业" if n == 9 else "在营"))
    return rows


def inspector_rows() -> list[dict]:
    """Five 文峰区 inspectors, three of whom may lead."""
    names = ["李四", "王五", "赵六", "钱七", "孙八"]
    return [inspector_row(name=name, cert_no=f"4105020010{i}", leader="是" if i < 3 else "否")
            for i, name in enumerate(names)]


# Half the crowded units, two of the others, teams of two in two batches, two witnesses.
COMMON_YAML = """year: 2026
item_code: XF-001
strata:
  - {name: 人员密集场所, filter: {crowded: true}, mode: RATIO, ratio: 0.5}
  - {name: 其他单位, mode: COUNT, count: 2}
team: {size: 2, leader: {required: true, min_years: 0}}
batches: {count: 2}
witnesses: {minimum: 2, required_roles: [廉政监督员]}
"""
RULES_YAML = """include: _common.yaml
title: 文峰区测试细则
brigade: 文峰区
team: {pool: [文峰区]}
"""


def rules(folder: Path):
    """The test rules, loaded by the real loader."""
    from dsr.rules import load_rules

    return load_rules(folder / "rules-文峰区.yaml")


@dataclass(frozen=True)
class Ceremony:
    """Files of one test ceremony on disk."""

    folder: Path
    workbooks: tuple[Path, ...]
    detachment: Path
    rules: Path
    commitment: Path
    frozen: Path
    keys: object


def make_ceremony(folder: Path) -> Ceremony:
    """Write workbooks, rules, commitment and frozen inputs for one brigade, as `dsr commit` would."""
    folder.mkdir(parents=True, exist_ok=True)
    # CSV, not xlsx: openpyxl stamps the time into every workbook, and the goldens need fixed bytes.
    books = (
        write_csv(folder / "检查对象名录库.csv", unit_rows()),
        write_csv(folder / "执法检查人员名录库.csv", inspector_rows()),
        write_csv(folder / "随机抽查事项清单.csv", [item_row()]),
        write_csv(folder / "利害关系登记.csv",
                  [conflict_row(cert_no="41050200100", inspector_name="李四", unit_key=_code(0))]),
        write_csv(folder / "不列入随机抽查名单.csv",
                  [exclusion_row(unit_key=_code(5), valid_from="2026-11-01", valid_to="2026-12-31")]),
    )
    (folder / "rules-文峰区.yaml").write_text(RULES_YAML, encoding="utf-8")
    (folder / "_common.yaml").write_text(COMMON_YAML, encoding="utf-8")
    detachment_path = ROOT / "params" / "detachment.yaml"
    detachment = load_detachment(detachment_path)
    checked = read_inputs(list(books), detachment, DAY)
    inputs = freeze.build_draw_inputs(checked.directory, detachment.name, BRIGADE, rules(folder), (), DAY)
    sources = entropy.sources_from_plain(SOURCES)
    commitment = cm.make_commitment(BATCH_ID, detachment.name, {BRIGADE: inputs}, sources,
                                    metadata.version("dsr"), cm.ALGORITHM, "2026-11-27T09:00:00+08:00", "贾兵")
    (folder / "commitment.json").write_bytes(canonical_bytes(commitment))
    (folder / "frozen.json").write_bytes(canonical_bytes(freeze.frozen_document(inputs)))
    rules_path = folder / "rules-文峰区.yaml"
    return Ceremony(folder, books, detachment_path, rules_path, folder / "commitment.json", folder / "frozen.json",
                    fixed_keys(folder / "keys"))


@dataclass(frozen=True)
class Keys:
    """A test CA, a signer and a witness identity (PKCS#12 files and the CA certificate)."""

    ca_pem: Path
    signer_p12: Path
    witness_p12: Path
    passphrase: str


def _ec_key(scalar: int):
    return ec.derive_private_key(scalar, ec.SECP256R1())


def _cert(subject: str, key, issuer: x509.Name, issuer_key, serial: int, ca: bool, start: dt.datetime,
          end: dt.datetime) -> x509.Certificate:
    """A certificate with fixed serial and dates, signed with deterministic ECDSA: the same bytes every run."""
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, TEST_ORG),
                      x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    usage = (x509.KeyUsage(False, False, False, False, False, True, True, False, False) if ca
             else x509.KeyUsage(True, True, False, False, False, False, False, False, False))
    return (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name).public_key(key.public_key())
            .serial_number(serial).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
            .add_extension(usage, critical=True)
            .sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=True))


def fixed_keys(folder: Path, start: dt.datetime = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
               end: dt.datetime = dt.datetime(2036, 1, 1, tzinfo=dt.timezone.utc), tag: int = 0) -> Keys:
    """Deterministic test identities (EC P-256 from fixed scalars), written outside git under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = _ec_key(0xDA7A + tag)
    ca = _cert(f"dsr 测试根证书 {tag}", ca_key, None, ca_key, 1000 + tag, True, start, end)
    paths = Keys(folder / "ca.pem", folder / "signer.p12", folder / "witness.p12", TEST_PASSPHRASE)
    paths.ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for scalar, name, target in ((0x51611 + tag, TEST_SIGNER_NAME, paths.signer_p12),
                                 (0x717E55 + tag, TEST_WITNESS_NAME, paths.witness_p12)):
        key = _ec_key(scalar)
        cert = _cert(name, key, ca.subject, ca_key, scalar, False, start, end)
        target.write_bytes(export_p12(key, cert, (ca,), TEST_PASSPHRASE, name))
    return paths


def params(c: Ceremony, **over) -> RecordParams:
    """RecordParams for the test ceremony; keyword overrides replace fields."""
    values = dict(
        batch_id=BATCH_ID, brigade=BRIGADE, task_name="2026年12月消防监督抽查（测试）", workbooks=c.workbooks,
        detachment=c.detachment, rules=c.rules, commitment=c.commitment, frozen=c.frozen, entropy=ENTROPY,
        witnesses=WITNESSES, operator=OPERATOR, pkcs12=c.keys.signer_p12, passphrase=c.keys.passphrase,
        draw_at="2026-11-30T10:00:00+08:00", test_identity=True,
    )
    values.update(over)
    return RecordParams(**values)


_MADE: dict[str, object] = {}


def made_record(tmp_path_factory):
    """One real record (kernel, HTML, PDF/A, signatures) shared by the slow tests of a session."""
    if "record" not in _MADE:
        from dsr.record.pipeline import make_record

        base = tmp_path_factory.mktemp("record")
        ceremony = make_ceremony(base / "ceremony")
        _MADE["ceremony"] = ceremony
        _MADE["record"] = make_record(params(ceremony), base / "out", CLOCK)
    return _MADE["ceremony"], _MADE["record"]
