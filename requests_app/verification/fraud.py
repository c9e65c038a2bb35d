"""Fraud signals: warnings recorded on a request for the privacy team.

Signals are never shown to the requester: a fraudster must not learn which of them tripped.
Staff see them next to the request. A high-risk signal also decides one thing: the request
waits for a staff decision before any store is touched (``services.request_proceed``).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from datetime import timedelta
from functools import cache

from disposable_email_domains import blocklist
from django.conf import settings
from django.db.models.functions import Lower
from django.utils import timezone

from requests_app.models import DataSubjectRequest

MANY_FROM_ONE_ADDRESS = 3  # requests from one IP address within a day
# Signals after which no store is touched before a person has looked: a forged sender, a
# throwaway address, one address asking for many people, names that do not agree.
HIGH_RISK = frozenset(
    {
        "dmarc_fail",
        "disposable_email",
        "many_from_ip",
        "name_mismatch",
        "name_differs_from_file",
        "second_factor_mismatch",
    }
)
MANY_FOR_ONE_SUBJECT = 2  # earlier requests for the same email within 30 days


def signal(code: str, detail: str) -> dict[str, str]:
    return {"code": code, "detail": detail}


def ip_hash(ip: str) -> str:
    """A keyed hash of an IP address: countable, but not reversible without the secret key."""
    if not ip:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), f"ip:{ip}".encode(), hashlib.sha256).hexdigest()


@cache
def _disposable_domains() -> frozenset[str]:
    return frozenset(blocklist)


def is_disposable(email: str) -> bool:
    """Whether the address's domain, or a domain above it, hands out throwaway inboxes."""
    labels = email.rpartition("@")[2].lower().split(".")
    return any(".".join(labels[i:]) in _disposable_domains() for i in range(len(labels) - 1))


def _name_tokens(name: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return {token for token in "".join(c if c.isalnum() else " " for c in folded).split() if len(token) > 1}


def names_differ(given: str, other: str) -> bool:
    """True when two names for one person share no word (accents and case ignored)."""
    first, second = _name_tokens(given), _name_tokens(other)
    return bool(first and second) and not first & second


def signals_for_new_request(
    *, email: str, name: str, source_ip_hash: str, is_agent: bool, other_name: str = ""
) -> list[dict[str, str]]:
    """The signals a new request raises, from what it says and what came before it."""
    now = timezone.now()
    found: list[dict[str, str]] = []
    if is_disposable(email):
        found.append(signal("disposable_email", "The email address is at a disposable-mail provider."))
    if source_ip_hash:
        recent = DataSubjectRequest.objects.filter(
            source_ip_hash=source_ip_hash, received_at__gte=now - timedelta(days=1)
        ).count()
        if recent >= MANY_FROM_ONE_ADDRESS:
            found.append(signal("many_from_ip", f"{recent} other requests from the same IP address in the last day."))
    earlier = (
        DataSubjectRequest.objects.annotate(email_ci=Lower("subject_email"))
        .filter(email_ci=email.lower(), received_at__gte=now - timedelta(days=30))
        .count()
    )
    if earlier >= MANY_FOR_ONE_SUBJECT:
        found.append(signal("many_for_subject", f"{earlier} other requests for this email in the last 30 days."))
    if is_agent:
        found.append(signal("agent_request", "Made by an authorised agent: check the signed authorisation."))
    if other_name and names_differ(name, other_name):
        found.append(signal("name_mismatch", "The name stated in the request differs from the sender's name."))
    return found


def high_risk(signals: list[dict[str, str]]) -> list[str]:
    """The codes of the high-risk signals among ``signals``."""
    return [str(s.get("code")) for s in signals if s.get("code") in HIGH_RISK]
