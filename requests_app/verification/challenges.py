"""Proof that a person controls an email address: a signed single-use link, or a short code.

Only hashes are stored: the link carries a random token (signed with the secret key, so a
tampered link is refused before any lookup) and the code is kept as an HMAC tied to its
challenge. A challenge is used once, expires, allows a few wrong codes, and is superseded by
the next one sent for the same purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.errors import ApplicationError
from requests_app.models import DataSubjectRequest, VerificationChallenge
from requests_app.notifications.emails import absolute_url
from requests_app.workflow.law_of_request import needs_verification
from requests_app.workflow.references import reference_normalize

LINK_SALT = "dsar.verification.link"
STATUS_SALT = "dsar.status"


class VerificationFailed(ApplicationError):
    """The link or code cannot verify anything; ``reason`` says which page to show."""

    def __init__(self, reason: str) -> None:
        messages = {
            "invalid": _("This link or code is not valid."),
            "expired": _("This link or code has expired."),
            "used": _("This link or code has already been used."),
            "locked": _("Too many wrong codes were entered. Ask for a new code."),
        }
        super().__init__(str(messages[reason]))
        self.reason = reason


@dataclass(frozen=True)
class IssuedChallenge:
    challenge: VerificationChallenge
    link_token: str
    code: str  # as shown to the person: "1234-5678"


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def code_hash(token_hash: str, code: str) -> str:
    digits = "".join(ch for ch in code if ch.isdigit())
    return hmac.new(settings.SECRET_KEY.encode(), f"{token_hash}:{digits}".encode(), hashlib.sha256).hexdigest()


def challenge_issue(*, request: DataSubjectRequest, purpose: str, email: str) -> IssuedChallenge:
    """Create a new challenge for ``request``; earlier unused ones for the purpose stop working."""
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    digits = f"{secrets.randbelow(10**8):08d}"
    # No savepoint: the challenge belongs to the caller's transaction and fails with it.
    with transaction.atomic(savepoint=False):
        VerificationChallenge.objects.filter(
            request=request, purpose=purpose, used_at__isnull=True, superseded_at__isnull=True
        ).update(superseded_at=now)
        token_hash = _sha256(token)
        challenge = VerificationChallenge.objects.create(
            request=request,
            purpose=purpose,
            email=email,
            token_hash=token_hash,
            code_hash=code_hash(token_hash, digits),
            expires_at=now + timedelta(hours=settings.DSAR_VERIFICATION_TOKEN_HOURS),
        )
    link_token = signing.dumps({"c": challenge.pk, "t": token}, salt=LINK_SALT)
    return IssuedChallenge(challenge=challenge, link_token=link_token, code=f"{digits[:4]}-{digits[4:]}")


def _check_usable(challenge: VerificationChallenge) -> None:
    if challenge.used_at is not None:
        raise VerificationFailed("used")
    if challenge.superseded_at is not None or challenge.expires_at <= timezone.now():
        raise VerificationFailed("expired")
    if challenge.attempts >= settings.DSAR_VERIFICATION_CODE_ATTEMPTS:
        raise VerificationFailed("locked")


def challenge_from_link(link_token: str, *, purpose: str) -> VerificationChallenge:
    """The challenge a link stands for, if the link is genuine and still usable."""
    challenge = challenge_of_genuine_link(link_token, purpose=purpose)
    _check_usable(challenge)
    return challenge


def challenge_of_genuine_link(link_token: str, *, purpose: str) -> VerificationChallenge:
    """The challenge a genuine link stands for, usable or not (to renew an expired one)."""
    try:
        data = signing.loads(link_token, salt=LINK_SALT)
        challenge_id, token = int(data["c"]), str(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise VerificationFailed("invalid") from None
    challenge = VerificationChallenge.objects.filter(pk=challenge_id, purpose=purpose).first()
    if challenge is None or not hmac.compare_digest(challenge.token_hash, _sha256(token)):
        raise VerificationFailed("invalid")
    return challenge


def challenge_from_code(reference: str, code: str, *, purpose: str) -> VerificationChallenge:
    """The challenge a typed reference and code stand for; a wrong code counts an attempt.

    An unknown reference gets the same answer as a wrong code, so the form tells a stranger
    nothing about which references exist.
    """
    normalized = reference_normalize(reference)
    challenge = (
        VerificationChallenge.objects.filter(
            request__reference=normalized, purpose=purpose, used_at__isnull=True, superseded_at__isnull=True
        )
        .order_by("-created_at")
        .first()
        if normalized
        else None
    )
    if challenge is None:
        raise VerificationFailed("invalid")
    _check_usable(challenge)
    if not hmac.compare_digest(challenge.code_hash, code_hash(challenge.token_hash, code)):
        VerificationChallenge.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
        raise VerificationFailed("invalid")
    return challenge


def challenge_consume(challenge: VerificationChallenge) -> None:
    """Mark the challenge used, once: of two people racing with one link, one wins."""
    used = VerificationChallenge.objects.filter(
        pk=challenge.pk, used_at__isnull=True, superseded_at__isnull=True, expires_at__gt=timezone.now()
    ).update(used_at=timezone.now())
    if used != 1:
        raise VerificationFailed("used")


def status_token(request: DataSubjectRequest) -> str:
    """The signed part of the link to the subject's status page."""
    return signing.dumps({"r": request.reference}, salt=STATUS_SALT)


def status_url(request: DataSubjectRequest) -> str:
    """The full address of the subject's status page, for the emails that point to it."""
    return absolute_url(reverse("request_status", args=[status_token(request)]))


def request_from_status_token(token: str) -> DataSubjectRequest:
    """The request a status link stands for, if the link is genuine, fresh and verified.

    Verified means the subject confirmed their address, or staff verified their identity
    another way (a phone call), or the law lets no one verify the request: either way the link
    went to that address, and the result is collected through it (with a fresh code to the
    same address for each download).
    """
    try:
        data = signing.loads(token, salt=STATUS_SALT, max_age=timedelta(days=settings.DSAR_STATUS_LINK_DAYS))
        reference = str(data["r"])
    except signing.SignatureExpired:
        raise VerificationFailed("expired") from None
    except (signing.BadSignature, KeyError, TypeError):
        raise VerificationFailed("invalid") from None
    request = DataSubjectRequest.objects.filter(reference=reference).first()
    if request is None:
        raise VerificationFailed("invalid")
    verified = request.email_verified_at is not None or request.verified_at is not None
    # A request the law forbids verifying (an opt-out) is followed through the link sent to
    # the address it was made with, like any other.
    if not verified and needs_verification(request):
        raise VerificationFailed("invalid")
    return request
