"""Signing speed-ups keep the checks: an opened PKCS#12 is reused, refusals are not; PAdES with the loaded key."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from dsr.errors import SigningKeyError
from dsr.record.sign import _pyhanko_signer, load_identity, sign_pdf
from record_data import fixed_keys

NOW = dt.datetime(2026, 11, 30, 2, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """Deterministic test identities, valid 2026–2036."""
    return fixed_keys(tmp_path_factory.mktemp("keys"))


def test_opened_identity_is_reused_but_validity_and_passphrase_are_checked_every_time(keys):
    """A second open of the same file and passphrase reuses the key; a wrong passphrase and a time outside
    the certificate's validity are still refused after a successful open."""
    first = load_identity(keys.signer_p12, keys.passphrase, NOW)
    again = load_identity(keys.signer_p12, keys.passphrase, NOW)
    assert again.key is first.key and again.cert == first.cert
    with pytest.raises(SigningKeyError):
        load_identity(keys.signer_p12, "not-the-passphrase", NOW)
    with pytest.raises(SigningKeyError):
        load_identity(keys.signer_p12, keys.passphrase, NOW + dt.timedelta(days=365 * 20))


def test_loaded_key_signer_gives_what_pyhankos_simple_signer_gives(keys):
    """The signer that uses the loaded key signs exactly as pyHanko's SimpleSigner would (ECDSA checked by
    verifying; deterministic schemes byte for byte would need RSA)."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives import hashes
    from pyhanko.sign.signers import SimpleSigner

    identity = load_identity(keys.signer_p12, keys.passphrase, NOW)
    signer = _pyhanko_signer(identity)
    ours, theirs = signer.sign_raw(b"dsr", "sha256"), SimpleSigner.sign_raw(signer, b"dsr", "sha256")
    public = identity.cert.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        public.verify(ours, b"dsr", ec.ECDSA(hashes.SHA256()))
        public.verify(theirs, b"dsr", ec.ECDSA(hashes.SHA256()))
    else:
        assert isinstance(public, rsa.RSAPublicKey) and ours == theirs


@pytest.mark.slow
def test_pdf_signed_with_the_loaded_key_validates(keys):
    """A PDF signed through the loaded-key signer validates with pyHanko against the test root."""
    import weasyprint
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    from dsr.record.verify import _validation_context
    from dsr.record.sign import load_trust_roots

    pdf = weasyprint.HTML(string="<p>签名</p>").write_pdf()
    signed = sign_pdf(pdf, load_identity(keys.signer_p12, keys.passphrase, NOW))
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    status = validate_pdf_signature(sig, _validation_context(load_trust_roots([keys.ca_pem])))
    assert status.intact and status.valid
