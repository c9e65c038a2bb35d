"""Managing webhook subscriptions: the services the staff UI and the REST API both call.

Each is one write, keyword-only, validated here (the callers only parse their input), and
audited in the same transaction. No secret reaches the audit trail, and of a URL only its
scheme, host and path do: a receiver's URL may carry a token in its query.

- ``webhook_subscription_create(name=, url=, events=, actor=)`` -> (subscription, secret):
  the secret is returned this once and never shown again.
- ``webhook_subscription_update(subscription=, actor=, name=, url=, events=, is_active=)``:
  only what is given changes; enabling a disabled subscription clears its failure count.
- ``webhook_secret_rotate(subscription=, actor=)`` -> the new secret; the old one signs too,
  beside it, for ``ROTATION_OVERLAP`` (a receiver that still has it loses nothing), then stops.
- ``webhook_subscription_delete(subscription=, actor=)``: with its deliveries and attempts.

Every one raises ``SubscriptionInvalid`` (an ``ApplicationError``) with a message for the
person, and ``field`` in its ``extra`` naming the input at fault.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from requests_app.errors import ApplicationError
from requests_app.infra.outbound_http import url_problem
from requests_app.models import EventKind, WebhookSubscription
from requests_app.webhooks.sealing import secret_seal
from requests_app.webhooks.signing import secret_generate
from requests_app.workflow.audit import audit_append

if TYPE_CHECKING:
    from collections.abc import Iterable

    from requests_app.workflow.audit import Actor

NAME_MAX_LENGTH = 100
ROTATION_OVERLAP = timedelta(hours=24)


class SubscriptionInvalid(ApplicationError):
    """A subscription's name, URL or events are not acceptable."""


def _name_checked(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX_LENGTH:
        raise SubscriptionInvalid(f"A name of 1 to {NAME_MAX_LENGTH} characters is needed", extra={"field": "name"})
    return name


def _url_checked(url: str) -> str:
    url = url.strip()
    problem = url_problem(url)
    if problem:
        raise SubscriptionInvalid(problem, extra={"field": "url"})
    return url


def _events_checked(events: Iterable[str]) -> list[str]:
    """The events as a list in the order of ``EventKind``, each once; unknown ones refused."""
    wanted = {str(event) for event in events}
    unknown = sorted(wanted - set(EventKind.values))
    if unknown:
        raise SubscriptionInvalid(f"Unknown event: {', '.join(unknown)[:200]}", extra={"field": "events"})
    if not wanted:
        raise SubscriptionInvalid("Choose at least one event", extra={"field": "events"})
    return [kind for kind in EventKind.values if kind in wanted]


def url_for_audit(url: str) -> str:
    """A URL without its query, fragment or credentials: what the audit trail may keep."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def webhook_subscription_create(
    *, name: str, url: str, events: Iterable[str], actor: Actor
) -> tuple[WebhookSubscription, str]:
    """Create an active subscription; return it and its secret, which is shown only now."""
    name, url, kinds = _name_checked(name), _url_checked(url), _events_checked(events)
    secret = secret_generate()
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            name=name,
            url=url,
            events=kinds,
            secret_sealed=secret_seal(secret),
            created_by_id=actor.user.pk if actor.user is not None else None,
        )
        audit_append(
            actor=actor,
            action="webhook.created",
            data={"subscription": subscription.pk, "name": name, "url": url_for_audit(url), "events": kinds},
        )
    return subscription, secret


def webhook_subscription_update(
    *,
    subscription: WebhookSubscription,
    actor: Actor,
    name: str | None = None,
    url: str | None = None,
    events: Iterable[str] | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    """Change what is given (None leaves a field as it is); audited with what changed."""
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = _name_checked(name)
    if url is not None:
        changes["url"] = _url_checked(url)
    if events is not None:
        changes["events"] = _events_checked(events)
    with transaction.atomic():
        current = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        changed = {field: value for field, value in changes.items() if getattr(current, field) != value}
        if is_active is not None and is_active != current.is_active:
            changed["is_active"] = is_active
            if is_active:
                # Enabled again by a person: its failures are theirs to have looked at.
                current.disabled_at, current.disabled_reason, current.consecutive_failures = None, "", 0
            else:
                current.disabled_at, current.disabled_reason = timezone.now(), f"Disabled by {actor.label}"
        if not changed:
            return current
        for field, value in changed.items():
            setattr(current, field, value)
        current.save()
        shown = {**changed, **({"url": url_for_audit(str(changed["url"]))} if "url" in changed else {})}
        audit_append(actor=actor, action="webhook.updated", data={"subscription": current.pk, "changed": shown})
    return current


def webhook_secret_rotate(*, subscription: WebhookSubscription, actor: Actor) -> str:
    """Give the subscription a new secret and return it.

    Deliveries from now on are signed with it and, for ``ROTATION_OVERLAP``, with the one it
    replaces as well (two signatures in ``webhook-signature``), so the receiver can be given
    the new secret without a delivery failing in between. Rotating again within the overlap
    drops the oldest: only the secret just replaced goes on signing.
    """
    secret = secret_generate()
    with transaction.atomic():
        current = WebhookSubscription.objects.select_for_update().filter(pk=subscription.pk).first()
        if current is None:
            raise SubscriptionInvalid("This subscription no longer exists")
        now = timezone.now()
        current.previous_secret_sealed, current.previous_secret_until = current.secret_sealed, now + ROTATION_OVERLAP
        current.secret_sealed = secret_seal(secret)
        current.save(update_fields=["secret_sealed", "previous_secret_sealed", "previous_secret_until", "updated_at"])
        audit_append(
            actor=actor,
            action="webhook.secret_rotated",
            data={"subscription": current.pk, "previous_signs_until": current.previous_secret_until.isoformat()},
        )
    return secret


def webhook_subscription_delete(*, subscription: WebhookSubscription, actor: Actor) -> None:
    """Delete the subscription with its deliveries and their attempts; the audit trail keeps that it was."""
    with transaction.atomic():
        current = WebhookSubscription.objects.select_for_update().filter(pk=subscription.pk).first()
        if current is None:
            return
        audit_append(
            actor=actor,
            action="webhook.deleted",
            data={
                "subscription": current.pk,
                "name": current.name,
                "url": url_for_audit(current.url),
                "deliveries": current.deliveries.count(),
            },
        )
        current.delete()
