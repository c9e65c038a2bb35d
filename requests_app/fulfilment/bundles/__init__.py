"""What the data subject receives: the access bundle, the deletion certificate, the correction report.

Plain functions over plain inputs (`inputs.py`); the workflow's finalize step fills the
inputs from the data map and the connectors, and stores the result encrypted (`crypto.py`).
"""

from requests_app.fulfilment.bundles.certificate import write_correction_report, write_deletion_certificate
from requests_app.fulfilment.bundles.crypto import BundleDecryptError, decrypt_stream, encrypt_stream, parse_key
from requests_app.fulfilment.bundles.inputs import (
    Branding,
    BundleContext,
    CorrectionOutcome,
    ErasureOutcome,
    Records,
)
from requests_app.fulfilment.bundles.keys import (
    BundleKeyError,
    generate_signing_key,
    key_id,
    load_public_key,
    load_signing_key,
    public_key_pem,
)
from requests_app.fulfilment.bundles.verify import VerifyReport, verify_bundle
from requests_app.fulfilment.bundles.writer import BundleError, BundleSummary, write_access_bundle

__all__ = [
    "Branding",
    "BundleContext",
    "BundleDecryptError",
    "BundleError",
    "BundleKeyError",
    "BundleSummary",
    "CorrectionOutcome",
    "ErasureOutcome",
    "Records",
    "VerifyReport",
    "decrypt_stream",
    "encrypt_stream",
    "generate_signing_key",
    "key_id",
    "load_public_key",
    "load_signing_key",
    "parse_key",
    "public_key_pem",
    "verify_bundle",
    "write_access_bundle",
    "write_correction_report",
    "write_deletion_certificate",
]
