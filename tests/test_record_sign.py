"""Signing identities, detached CMS and PDF signatures (fast: no kernel, no rendering)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from dsr.errors import SigningKeyError
from dsr.record.sign import TEST_PASSPHRASE, ensure_test_keys, load_identity, sign_detached
from record_data import fixed_keys

NOW = dt.datetime(2026, 11, 30, 2, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """Deterministic test identities, valid 2026–2036."""
    return fixed_keys(tmp_path_factory.mktemp("keys"))


def test_wrong_passphrase_is_refused_with_the_file_name(keys):
    """A wrong PKCS#12 passphrase is a SigningKeyError naming the file, not a crash."""
    with pytest.raises(SigningKeyError) as info:
        load_identity(keys.signer_p12, "not-the-passphrase", NOW)
    assert str(info.value) == "签名证书文件 signer.p12 无法打开：口令错误或文件已损坏"


def test_expired_certificate_is_refused_with_its_end_date(tmp_path):
    """A certificate that ended before the signing time is refused, saying when it expired."""
    old = fixed_keys(tmp_path, dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc),
                     dt.datetime(2025, 6, 30, tzinfo=dt.timezone.utc), tag=7)
    with pytest.raises(SigningKeyError) as info:
        load_identity(old.signer_p12, old.passphrase, NOW)
    assert str(info.value) == "签名证书 signer.p12 已于 2025-06-30 过期，不能用于签名"


def test_not_yet_valid_certificate_is_refused(tmp_path):
    """A certificate whose validity starts after the signing time is refused too."""
    later = fixed_keys(tmp_path, dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc),
                       dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc), tag=8)
    with pytest.raises(SigningKeyError) as info:
        load_identity(later.signer_p12, later.passphrase, NOW)
    assert str(info.value) == "签名证书 signer.p12 自 2027-01-01 起才生效，不能用于签名"


def test_missing_pkcs12_file_is_refused(tmp_path):
    """A PKCS#12 path that does not exist is a SigningKeyError."""
    with pytest.raises(SigningKeyError) as info:
        load_identity(tmp_path / "nope.p12", "x", NOW)
    assert str(info.value).startswith("无法读取签名证书文件 nope.p12：")


def test_identity_describes_subject_issuer_and_fingerprint(keys):
    """describe() states what the record prints about the signer."""
    identity = load_identity(keys.signer_p12, TEST_PASSPHRASE, NOW)
    described = identity.describe()
    assert described["subject"] == "安阳市消防救援支队（测试）"
    assert described["issuer"] == "dsr 测试根证书 0"
    assert described["sha256"] == identity.fingerprint and len(identity.fingerprint) == 64


def _openssl_verify(tmp_path, content: bytes, signature: bytes, ca) -> int:
    (tmp_path / "content").write_bytes(content)
    (tmp_path / "content.p7s").write_bytes(signature)
    cmd = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "content.p7s"),
           "-content", str(tmp_path / "content"), "-CAfile", str(ca), "-out", "/dev/null"]
    return subprocess.run(cmd, capture_output=True).returncode


def test_detached_cms_is_accepted_by_openssl_binary(keys, tmp_path):
    """openssl cms -verify -binary accepts the detached signature over bytes with LF and CRLF."""
    identity = load_identity(keys.signer_p12, TEST_PASSPHRASE, NOW)
    content = "<p>抽查记录</p>\n第二行\r\n".encode()
    assert _openssl_verify(tmp_path, content, sign_detached(content, identity), keys.ca_pem) == 0


def test_detached_cms_fails_openssl_after_one_byte_changes(keys, tmp_path):
    """Changing one byte of the signed content makes openssl refuse the signature."""
    identity = load_identity(keys.signer_p12, TEST_PASSPHRASE, NOW)
    content = "<p>抽查记录</p>\n".encode()
    signature = sign_detached(content, identity)
    assert _openssl_verify(tmp_path, content.replace(b"p>", b"q>", 1), signature, keys.ca_pem) != 0


def test_demo_keys_are_created_once_and_marked_as_test(tmp_path):
    """ensure_test_keys creates the CA and identities on first use, says 测试, and reuses them afterwards."""
    first = ensure_test_keys(tmp_path / "keys", NOW)
    second = ensure_test_keys(tmp_path / "keys", NOW)
    identity = load_identity(first.signer_p12, first.passphrase, NOW)
    assert (first.created, second.created) == (True, False)
    assert "测试" in identity.subject and "测试" in identity.describe()["issuer"]
    assert oct(first.signer_p12.stat().st_mode & 0o777) == "0o600"


def test_pyhanko_is_loaded_without_its_http_clients():
    """Signing and verifying load pyHanko without aiohttp (dsr is offline); the real clients stay importable."""
    code = (
        "import sys\n"
        "from dsr.record.offline import import_pyhanko\n"
        "import_pyhanko('pyhanko.sign.signers')\n"
        "from pyhanko.sign.validation import validate_pdf_signature\n"
        "assert 'aiohttp' not in sys.modules, 'aiohttp loaded'\n"
        "from pyhanko.sign.timestamps import HTTPTimeStamper\n"
        "try:\n"
        "    HTTPTimeStamper('http://tsa.invalid')\n"
        "except RuntimeError as exc:\n"
        "    print(exc)\n"
        "from pyhanko.sign.timestamps.aiohttp_client import HTTPTimeStamper as Real\n"
        "assert Real is not HTTPTimeStamper and 'aiohttp' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("dsr 离线签名与验证：pyHanko 的网络客户端")
