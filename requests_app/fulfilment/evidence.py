"""Files staff attach to a store task: a vendor's confirmation, or an export made by hand.

They may hold the subject's personal data (a vendor's export is exactly that), so they are
kept like bundles: encrypted at rest with the bundle key, under a random name, never served
inline. The name the person gave is kept apart, cleaned, for the bundle and the records.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import PurePath
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.core.files import File

from requests_app.errors import GuardFailed
from requests_app.fulfilment import bundle_keys
from requests_app.fulfilment.bundles.crypto import decrypt_stream, encrypt_stream
from requests_app.fulfilment.bundles.names import safe_component
from requests_app.models import StoreTask

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile


def evidence_check(upload: UploadedFile | None) -> None:
    """Refuse an attachment that is too large or empty, before anything changes."""
    if upload is None:
        return
    size = upload.size or 0
    if size > settings.DSAR_EVIDENCE_MAX_BYTES:
        limit = settings.DSAR_EVIDENCE_MAX_BYTES // (1024 * 1024)
        raise GuardFailed(f"The attachment is larger than {limit} MB")
    if size == 0:
        raise GuardFailed("The attachment is empty")


def evidence_name(upload: UploadedFile) -> str:
    """The file's name as given, made safe to show and to put in a ZIP (no path, no control characters)."""
    given = PurePath((upload.name or "").replace("\\", "/")).name or "attachment"
    return safe_component(given)


def evidence_store(upload: UploadedFile) -> str:
    """Encrypt the upload into storage under a random name; return the stored name."""
    with tempfile.TemporaryFile() as sealed:
        encrypt_stream(upload, sealed, bundle_keys.encryption_key())
        sealed.seek(0)
        field = StoreTask._meta.get_field("attachment")
        storage = field.storage
        return str(storage.save(f"manual-steps/{uuid.uuid4().hex}.enc", File(sealed)))


def evidence_open(task: StoreTask) -> IO[bytes]:
    """The task's attachment, decrypted into a temporary file (bounded memory)."""
    plain = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
    with task.attachment.open("rb") as sealed:
        decrypt_stream(sealed, plain, bundle_keys.encryption_key())
    plain.seek(0)
    return plain
