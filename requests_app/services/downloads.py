"""Handing a bundle to its subject: the status link, plus a fresh one-time code to their address.

Each hand-over is claimed with a conditional update (not expired, not purged, downloads
left), and every download and every refusal is on the audit trail.
"""

from __future__ import annotations

import hmac
import tempfile
from typing import IO

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from requests_app.errors import ApplicationError
from requests_app.fulfilment import bundle_keys
from requests_app.fulfilment.bundles.crypto import decrypt_stream
from requests_app.models import Bundle, ChallengePurpose, DataSubjectRequest, VerificationChallenge
from requests_app.notifications.emails import notify
from requests_app.verification import challenges as verification
from requests_app.workflow.audit import Actor, audit_append


class DownloadRefused(ApplicationError):
    """The bundle cannot be handed over; the message says why, in words for the subject."""


def available_bundles(request: DataSubjectRequest) -> list[Bundle]:
    return list(request.bundles.filter(purged_at__isnull=True, expires_at__gt=timezone.now()))


def download_code_send(*, request: DataSubjectRequest) -> None:
    """Send a fresh one-time code to the verified address; earlier codes stop working."""
    with transaction.atomic():
        issued = verification.challenge_issue(
            request=request, purpose=ChallengePurpose.DOWNLOAD, email=request.subject_email
        )
        notify(request=request, kind="download_code", to=request.subject_email, context={"code": issued.code})


def refuse(request: DataSubjectRequest | None, reason: str) -> DownloadRefused:
    audit_append(request=request, actor=Actor.subject(), action="bundle.download_refused", reason=reason)
    return DownloadRefused(reason)


def bundle_requested(*, request: DataSubjectRequest, bundle_pk: int) -> Bundle:
    """The bundle of ``request`` the subject asks for, or DownloadRefused (audited)."""
    bundle = request.bundles.filter(pk=bundle_pk).first()
    if bundle is None:
        raise refuse(request, "A download was tried for a bundle of another request")
    return bundle


def bundle_open_for_staff(*, request: DataSubjectRequest, bundle_pk: int, actor: Actor) -> tuple[Bundle, IO[bytes]]:
    """A stored bundle for a staff member, decrypted; the download is on the request's record."""
    bundle = request.bundles.filter(pk=bundle_pk, purged_at__isnull=True).first()
    if bundle is None:
        raise DownloadRefused("No such stored bundle")
    with transaction.atomic():
        audit_append(
            request=request,
            actor=actor,
            action="bundle.downloaded_by_staff",
            data={"kind": bundle.kind, "sha256": bundle.sha256},
        )
    return bundle, bundle_open(bundle)


def bundle_claim(*, request: DataSubjectRequest, bundle_pk: int, code: str) -> Bundle:
    """Check the code and count one download, or raise DownloadRefused (audited).

    The code is checked first, outside the claim's transaction, so a wrong code's attempt
    counts; a refusal is recorded after the claim rolls back, so the record stays.
    """
    challenge = _code_challenge(request, code)
    try:
        return _claim(request, bundle_pk, challenge)
    except DownloadRefused as refusal:
        raise refuse(request, refusal.message) from None


def _claim(request: DataSubjectRequest, bundle_pk: int, challenge: VerificationChallenge | None) -> Bundle:
    with transaction.atomic():
        bundle = Bundle.objects.filter(pk=bundle_pk, request=request).first()
        if bundle is None:
            raise DownloadRefused("No such download for this request")
        if challenge is None:
            raise DownloadRefused("Wrong or expired download code")
        if bundle.purged_at is not None or bundle.expires_at <= timezone.now():
            raise DownloadRefused("The download has expired")
        claimed = Bundle.objects.filter(
            pk=bundle.pk, downloads__lt=F("max_downloads"), purged_at__isnull=True, expires_at__gt=timezone.now()
        ).update(downloads=F("downloads") + 1)
        if claimed != 1:
            raise DownloadRefused("The download has been used the allowed number of times")
        try:
            verification.challenge_consume(challenge)
        except verification.VerificationFailed:
            raise DownloadRefused("Wrong or expired download code") from None
        audit_append(
            request=request,
            actor=Actor.subject(),
            action="bundle.downloaded",
            data={"kind": bundle.kind, "download": bundle.downloads + 1, "sha256": bundle.sha256},
        )
    bundle.refresh_from_db()
    return bundle


def _code_challenge(request: DataSubjectRequest, code: str) -> VerificationChallenge | None:
    challenge = (
        VerificationChallenge.objects.filter(
            request=request,
            purpose=ChallengePurpose.DOWNLOAD,
            used_at__isnull=True,
            superseded_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )
    if challenge is None or challenge.attempts >= settings.DSAR_VERIFICATION_CODE_ATTEMPTS:
        return None
    if not hmac.compare_digest(challenge.code_hash, verification.code_hash(challenge.token_hash, code)):
        VerificationChallenge.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
        return None
    return challenge


def bundle_open(bundle: Bundle) -> IO[bytes]:
    """The decrypted ZIP, in a temporary file on disk (bounded memory whatever its size)."""
    plain = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    with bundle.file.open("rb") as sealed:
        decrypt_stream(sealed, plain, bundle_keys.encryption_key())
    plain.seek(0)
    return plain
