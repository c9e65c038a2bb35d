"""Staff reading what came in: an inbound message marked read, and a request's files opened.

A message a requester sent is *unread* until a staff member who may see personal data marks
it read: the read is recorded by a button (a POST), not by a page being shown. The request
page carries the message in a collapsed block, so rendering it proves nobody read it, and a
browser, a link preview or a proxy may fetch a page no one looks at; the button is the one
moment a person says they read it. Who and when are kept on the message, and on the audit
trail in the same transaction.

The files (an email's attachments, an agent's signed authorisation) are served as downloads
whose type is checked: only types on an allow-list whose first bytes agree with the name
they claim keep it; anything else is served as ``application/octet-stream``, so a browser
never runs a sender's HTML or script as if it came from us. Each download is on the audit
trail with the SHA-256 of the bytes served, before the first byte leaves.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from requests_app.models import DataSubjectRequest, Direction, EmailAttachment, EmailMessage, EmailStatus
from requests_app.workflow.audit import Actor, audit_append

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models.fields.files import FieldFile

OCTET_STREAM = "application/octet-stream"
TEXT_PLAIN = "text/plain"
# The types a download may keep, with the first bytes a file of that type starts with.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
SUFFIX_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
HEAD_BYTES = 8192
CHUNK_BYTES = 64 * 1024


def unread_messages() -> Q:
    """The condition for an unread message (on EmailMessage).

    A message of a request whose personal data the retention rule removed is not counted:
    its text is gone, so nobody can read it any more.
    """
    return Q(
        direction=Direction.INBOUND,
        status=EmailStatus.ATTACHED,
        read_at__isnull=True,
        request__minimised_at__isnull=True,
    )


def unread_on_request() -> Q:
    """The same condition seen from a request, for ``Count("emails", filter=...)``."""
    return Q(
        emails__direction=Direction.INBOUND,
        emails__status=EmailStatus.ATTACHED,
        emails__read_at__isnull=True,
        minimised_at__isnull=True,
    )


def email_mark_read(*, request: DataSubjectRequest, email_pk: int, user: AbstractBaseUser) -> bool:
    """Record that ``user`` read this inbound message of ``request``; False if it was read already.

    Raises ``EmailMessage.DoesNotExist`` for a message of another request or one we sent. The
    conditional update decides: two people pressing at once record one read, the first.
    """
    with transaction.atomic():
        messages = EmailMessage.objects.filter(pk=email_pk, request=request, direction=Direction.INBOUND)
        changed = messages.filter(read_at__isnull=True).update(read_at=timezone.now(), read_by=user)
        if changed != 1:
            if not messages.exists():
                raise EmailMessage.DoesNotExist
            return False
        audit_append(request=request, actor=Actor.staff(user), action="email.read", data={"email": email_pk})
    return True


class FileNotOnRequest(Exception):
    """The file asked for is not this request's, or is no longer kept."""


@dataclass(frozen=True)
class OpenedFile:
    """A file copied out of storage for one download, and what it is served as."""

    file: IO[bytes]
    filename: str
    content_type: str
    sha256: str
    size: int


def served_content_type(declared: str, head: bytes) -> str:
    """The type to serve a file as: the declared one when it is allowed and ``head`` (the
    file's first bytes) agrees with it, else ``application/octet-stream``.

    Plain text agrees when its first bytes are UTF-8 with no NUL and start with no other
    type's signature; it is served with its charset.
    """
    kind = declared.split(";", 1)[0].strip().lower()
    if kind in SIGNATURES:
        return kind if head.startswith(SIGNATURES[kind]) else OCTET_STREAM
    if kind == TEXT_PLAIN and _is_utf8_text(head):
        return "text/plain; charset=utf-8"
    return OCTET_STREAM


def _is_utf8_text(head: bytes) -> bool:
    if b"\x00" in head or any(head.startswith(magic) for magics in SIGNATURES.values() for magic in magics):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The head may cut the last character in two; anything earlier is not UTF-8.
        return len(head) == HEAD_BYTES and error.start >= len(head) - 3 and error.reason == "unexpected end of data"
    return True


def _copy(stored: FieldFile) -> tuple[IO[bytes], str, int, bytes]:
    """The stored file copied into a temporary file: (file, SHA-256, size, first bytes)."""
    plain = tempfile.TemporaryFile()  # noqa: SIM115 - the caller (a FileResponse) closes it
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with stored.open("rb") as source:
            while chunk := source.read(CHUNK_BYTES):
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                digest.update(chunk)
                size += len(chunk)
                plain.write(chunk)
    except BaseException:
        plain.close()
        raise
    plain.seek(0)
    return plain, digest.hexdigest(), size, head


def email_attachment_open(
    *, request: DataSubjectRequest, email_pk: int, attachment_pk: int, user: AbstractBaseUser
) -> OpenedFile:
    """A file that came with an inbound message of ``request``, ready to download, and on the record.

    Raises ``FileNotOnRequest`` for another request's file, or one the retention rule removed.
    """
    attachment = (
        EmailAttachment.objects.exclude(file="")
        .filter(pk=attachment_pk, email_id=email_pk, email__request=request, email__direction=Direction.INBOUND)
        .first()
    )
    if attachment is None:
        raise FileNotOnRequest
    plain, digest, size, head = _copy(attachment.file)
    opened = OpenedFile(
        file=plain,
        filename=attachment.filename,
        content_type=served_content_type(attachment.content_type, head),
        sha256=digest,
        size=size,
    )
    _record_download(
        request=request,
        user=user,
        opened=opened,
        data={"what": "email attachment", "email": email_pk, "attachment": attachment.pk},
        matches_received=digest == attachment.sha256,
    )
    return opened


def agent_authorisation_open(*, request: DataSubjectRequest, user: AbstractBaseUser) -> OpenedFile:
    """The agent's signed authorisation of ``request``, ready to download, and on the record.

    Raises ``FileNotOnRequest`` when none was sent or the retention rule removed it. The public
    form stored it under the type its content showed (PDF, PNG or JPEG), which is checked again.
    """
    if not request.agent_authorisation:
        raise FileNotOnRequest
    suffix = PurePath(request.agent_authorisation.name).suffix.lower()
    plain, digest, size, head = _copy(request.agent_authorisation)
    opened = OpenedFile(
        file=plain,
        filename=f"authorisation-{request.reference}{suffix if suffix in SUFFIX_TYPES else ''}",
        content_type=served_content_type(SUFFIX_TYPES.get(suffix, OCTET_STREAM), head),
        sha256=digest,
        size=size,
    )
    _record_download(request=request, user=user, opened=opened, data={"what": "agent authorisation"})
    return opened


def _record_download(
    *,
    request: DataSubjectRequest,
    user: AbstractBaseUser,
    opened: OpenedFile,
    data: dict[str, object],
    matches_received: bool | None = None,
) -> None:
    """The download on the audit trail: who, which file, the digest and type of what is served."""
    facts = {**data, "sha256": opened.sha256, "size": opened.size, "served_as": opened.content_type}
    if matches_received is not None:
        # False would mean the stored bytes are not those received: worth seeing on the record.
        facts["matches_received"] = matches_received
    try:
        with transaction.atomic():
            audit_append(
                request=request,
                actor=Actor.staff(user),
                action="file.downloaded_by_staff",
                data=facts,
                personal={"filename": opened.filename},
            )
    except BaseException:
        opened.file.close()
        raise
