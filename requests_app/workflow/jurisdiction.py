"""Changing the law a request answers to: its rule, the rule's version and the due date, on the record.

A request entered under the wrong law (a UK resident filed under the GDPR) is counted again
from the day it was received, under the version of the new law's rule that was in force that
day, with the pauses and extension it already has. Nothing here is an outbound event: the
event kinds are a database constraint, and a new kind needs a migration.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import dateformat, timezone

from requests_app.errors import ExtensionNotAllowed, GuardFailed
from requests_app.laws import deadlines, registry
from requests_app.laws.rules import CORE_TYPES
from requests_app.models import OPEN_STATES, DataSubjectRequest, RequestType
from requests_app.workflow.audit import Actor, audit_append
from requests_app.workflow.law_of_request import type_words


def request_jurisdiction_change(
    *, request: DataSubjectRequest, actor: Actor, jurisdiction: str, reason: str
) -> DataSubjectRequest:
    """Put the request under ``jurisdiction``'s rule and count its due date again from receipt.

    Refused (nothing changes) for a closed request, without a reason, for a code no rule has
    (``UnknownJurisdiction``), for a law not yet in force on the day of receipt
    (``RuleNotInForce``), for the law it already answers to, and for an extended request
    whose new law allows no extension: the extension the subject was told of cannot be
    dropped silently, so staff decide what to tell them first.
    """
    reason = reason.strip()
    if not reason:
        raise GuardFailed("Changing the jurisdiction needs a reason; it is kept on the record")
    code = registry.canonical_code(jurisdiction)
    with transaction.atomic():
        locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state not in OPEN_STATES:
            raise GuardFailed(f"Request {locked.reference} is closed: its jurisdiction stays as it was")
        old_rule = deadlines.rule_of(locked)
        if code == locked.jurisdiction:
            raise GuardFailed(f"Request {locked.reference} already answers to {old_rule.label}")
        received = timezone.localdate(locked.received_at)
        rule = registry.get_rule(code, received=received)
        if locked.request_type == RequestType.APPEAL:
            raise GuardFailed("An appeal answers to the law of the request it appeals; change that request instead")
        if locked.request_type not in CORE_TYPES and locked.request_type not in rule.request_types:
            raise GuardFailed(f"{rule.label} gives no right to {type_words(locked.request_type)}")
        if locked.extended_at is not None and rule.timing(locked.request_type).extension is None:
            extended_on = dateformat.format(timezone.localdate(locked.extended_at), "j M Y")
            raise ExtensionNotAllowed(
                f"Request {locked.reference} was extended on {extended_on}, "
                f"and {rule.name} ({rule.citation}) allows no extension: the requester was told of a deadline "
                "this law does not give. Decide what to tell them first; the jurisdiction was not changed."
            )
        old_due = locked.due_at
        locked.jurisdiction, locked.rule_version = rule.code, rule.version
        locked.due_at = deadlines.due_date(
            rule.code,
            received,
            paused_days=locked.paused_days,
            extended=locked.is_extended,
            request_type=locked.request_type,
            version=rule.version,
        ).due
        locked.save(update_fields=["jurisdiction", "rule_version", "due_at", "updated_at"])
        audit_append(
            request=locked,
            request_locked=True,
            actor=actor,
            action="request.jurisdiction_changed",
            reason=reason,
            data={
                "from": old_rule.code,
                "to": rule.code,
                "from_version": old_rule.version,
                "to_version": rule.version,
                "from_due_at": old_due,
                "to_due_at": locked.due_at,
            },
        )
    request.refresh_from_db()
    return request
