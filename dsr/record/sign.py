"""Signing identities (PKCS#12), the demo test CA, PAdES PDF signatures and detached CMS."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID

from dsr.errors import SigningKeyError
from dsr.record.offline import import_pyhanko

# Demo identities only: the passphrase is public on purpose, the names say 测试 (test).
TEST_PASSPHRASE = "dsr-test-only"
TEST_CA_FILE = "test-ca.pem"
TEST_CA_KEY_FILE = "test-ca.key"
TEST_SIGNER_FILE = "detachment-test.p12"
TEST_WITNESS_FILE = "witness-test.p12"
TEST_CA_NAME = "dsr 测试根证书（仅供演示，不具法律效力）"
TEST_SIGNER_NAME = "安阳市消防救援支队（测试）"
TEST_WITNESS_NAME = "见证人（测试）"
TEST_ORG = "dsr 测试（非正式）"
PDF_FIELD = "支队签章"


@dataclass(frozen=True)
class Identity:
    """A signing identity loaded from PKCS#12: key, certificate and the certificates given with it."""

    key: object  # cryptography private key
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def subject(self) -> str:
        """The certificate's subject common name (or the whole subject if it has none)."""
        names = self.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else self.cert.subject.rfc4514_string()

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER certificate, lower-case hex."""
        return self.cert.fingerprint(hashes.SHA256()).hex()

    def describe(self) -> dict[str, str]:
        """What the record states about the signer: subject, issuer, serial, validity, fingerprint."""
        issuer = self.cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
        return {
            "subject": self.subject,
            "issuer": str(issuer[0].value) if issuer else self.cert.issuer.rfc4514_string(),
            "serial": format(self.cert.serial_number, "x"),
            "not_before": self.cert.not_valid_before_utc.isoformat(),
            "not_after": self.cert.not_valid_after_utc.isoformat(),
            "sha256": self.fingerprint,
        }


@dataclass(frozen=True)
class TestKeys:
    """Where the demo test CA and identities live."""

    ca_pem: Path
    signer_p12: Path
    witness_p12: Path
    passphrase: str
    created: bool


def load_identity(p12: Path, passphrase: str, now: dt.datetime) -> Identity:
    """Open a PKCS#12 file and refuse it clearly if the passphrase is wrong or the certificate is not valid at `now`."""
    try:
        data = Path(p12).read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"无法读取签名证书文件 {Path(p12).name}：{exc.strerror}") from exc
    try:
        key, cert, extra = _open_p12(data, passphrase)
    except ValueError as exc:
        raise SigningKeyError(f"签名证书文件 {Path(p12).name} 无法打开：口令错误或文件已损坏") from exc
    if key is None or cert is None:
        raise SigningKeyError(f"签名证书文件 {Path(p12).name} 中没有私钥或证书")
    _check_validity(cert, Path(p12).name, now)
    return Identity(key=key, cert=cert, chain=tuple(extra))


# Opened PKCS#12 files of this process, by SHA-256 of the file and of the passphrase. The key derivation
# that protects a PKCS#12 costs about 0.15 s of CPU; a batch worker signs many records with one identity.
# Only successful opens are kept: a wrong passphrase is tried (and refused) every time.
_OPENED: dict[tuple[str, str], tuple] = {}


def _open_p12(data: bytes, passphrase: str) -> tuple:
    cache_key = (hashlib.sha256(data).hexdigest(), hashlib.sha256(passphrase.encode("utf-8")).hexdigest())
    if cache_key not in _OPENED:
        opened = pkcs12.load_key_and_certificates(data, passphrase.encode("utf-8"))
        if len(_OPENED) >= 4:
            _OPENED.clear()
        _OPENED[cache_key] = opened
    return _OPENED[cache_key]


def _check_validity(cert: x509.Certificate, name: str, now: dt.datetime) -> None:
    if now > cert.not_valid_after_utc:
        until = cert.not_valid_after_utc.date().isoformat()
        raise SigningKeyError(f"签名证书 {name} 已于 {until} 过期，不能用于签名")
    if now < cert.not_valid_before_utc:
        since = cert.not_valid_before_utc.date().isoformat()
        raise SigningKeyError(f"签名证书 {name} 自 {since} 起才生效，不能用于签名")


def sign_detached(data: bytes, identity: Identity) -> bytes:
    """A detached CMS signature (DER) over exact bytes, which `openssl cms -verify -binary` accepts."""
    builder = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(identity.cert, identity.key, hashes.SHA256())
    for cert in identity.chain:
        builder = builder.add_certificate(cert)
    options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
    return builder.sign(serialization.Encoding.DER, options)


def _pyhanko_signer(identity: Identity):
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    import_pyhanko("pyhanko.sign")
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash

    def asn1(cert: x509.Certificate):
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    class LoadedKeySigner(signers.SimpleSigner):
        """pyHanko's SimpleSigner with the key object already loaded from the PKCS#12.

        SimpleSigner parses its key from DER for every signature, and signs twice per PDF (a dry run sizes
        the signature field): for an RSA-3072 key each parse checks the key again, about 0.25 s of CPU.
        RSA PKCS#1 v1.5 and ECDSA use the loaded key; any other mechanism is left to SimpleSigner.
        """

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                algo = mechanism.signature_algo
            except ValueError:
                algo = mechanism["algorithm"].native
            key = identity.key
            if algo == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
                return key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
            if algo == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
                return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
            return super().sign_raw(data, digest_algorithm)

    der_key = identity.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return LoadedKeySigner(
        signing_cert=asn1(identity.cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore.from_certs([asn1(c) for c in identity.chain]),
    )


def sign_pdf(pdf: bytes, identity: Identity, field_name: str = PDF_FIELD, *, certify: bool = True,
             reason: str = "抽查记录签章") -> bytes:
    """Sign a PDF (PAdES baseline B) in a new incremental revision; the first signature certifies it.

    A certifying signature allows only further signatures afterwards, so an attachment or page
    added later breaks it.
    """
    import_pyhanko("pyhanko.sign")
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import MDPPerm

    class KeepMetadata(IncrementalPdfFileWriter):
        """Leaves the document's XMP and Info alone: pyHanko's rewrite would drop the PDF/A identification."""

        def _update_meta(self):
            return None

    writer = KeepMetadata(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason, certify=certify, docmdp_permissions=MDPPerm.FILL_FORMS,
    )
    out = io.BytesIO()
    signers.sign_pdf(writer, meta, signer=_pyhanko_signer(identity), output=out)
    return out.getvalue()


def cosign_pdf(pdf: bytes, identity: Identity, field_name: str) -> bytes:
    """Add a witness's co-signature as a further incremental revision."""
    return sign_pdf(pdf, identity, field_name, certify=False, reason="见证人联署")


def ensure_test_keys(key_dir: Path, now: dt.datetime) -> TestKeys:
    """Create the demo test CA, the detachment test identity and a witness test identity if missing."""
    key_dir = Path(key_dir)
    paths = TestKeys(
        ca_pem=key_dir / TEST_CA_FILE, signer_p12=key_dir / TEST_SIGNER_FILE,
        witness_p12=key_dir / TEST_WITNESS_FILE, passphrase=TEST_PASSPHRASE, created=False,
    )
    if paths.ca_pem.exists() and paths.signer_p12.exists() and paths.witness_p12.exists():
        return paths
    key_dir.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = make_ca(TEST_CA_NAME, now, years=10)
    _write_private(key_dir / TEST_CA_KEY_FILE, ca_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(TEST_PASSPHRASE.encode())))
    paths.ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    for name, target in ((TEST_SIGNER_NAME, paths.signer_p12), (TEST_WITNESS_NAME, paths.witness_p12)):
        key, cert = make_identity(name, ca_key, ca_cert, now, now + dt.timedelta(days=3 * 365))
        _write_private(target, export_p12(key, cert, (ca_cert,), TEST_PASSPHRASE, name))
    return TestKeys(**{**paths.__dict__, "created": True})


def _write_private(path: Path, data: bytes) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)


def _name(common: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, TEST_ORG),
        x509.NameAttribute(NameOID.COMMON_NAME, common),
    ])


def make_ca(common: str, now: dt.datetime, years: int = 10):
    """A self-signed test CA (RSA-3072): returns (key, certificate)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = _name(common)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_identity(common: str, ca_key, ca_cert: x509.Certificate, not_before: dt.datetime,
                  not_after: dt.datetime):
    """A signing certificate issued by a CA (digital signature + non-repudiation): returns (key, certificate)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    cert = (
        x509.CertificateBuilder().subject_name(_name(common)).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(not_before - dt.timedelta(minutes=5)).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def export_p12(key, cert: x509.Certificate, chain: tuple[x509.Certificate, ...], passphrase: str,
               friendly: str) -> bytes:
    """PKCS#12 bytes (AES-256 / PBKDF2) holding a key, its certificate and its chain."""
    return pkcs12.serialize_key_and_certificates(
        friendly.encode("utf-8"), key, cert, list(chain),
        serialization.BestAvailableEncryption(passphrase.encode("utf-8")),
    )


def load_trust_roots(paths: list[Path] | tuple[Path, ...]) -> tuple[x509.Certificate, ...]:
    """Read PEM (or DER) certificates used as trust roots."""
    roots: list[x509.Certificate] = []
    for path in paths:
        data = Path(path).read_bytes()
        roots.extend(x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data
                     else [x509.load_der_x509_certificate(data)])
    return tuple(roots)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, lower-case hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
