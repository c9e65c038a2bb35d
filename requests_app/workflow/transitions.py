"""The request workflow: states, the transitions allowed between them, and the writes.

This module alone assigns ``DataSubjectRequest.state``. Every change locks the request row,
checks the transition table and its guards, saves, and appends the audit event, all in one
database transaction: either the change and its record both happen, or neither does.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import ForeignKey, Q
from django.utils import timezone

from requests_app.errors import ExtensionNotAllowed, GuardFailed, TransitionNotAllowed
from requests_app.laws import deadlines
from requests_app.models import (
    OPEN_STATES,
    RESULT_KIND,
    TERMINAL_STATES,
    Bundle,
    Channel,
    DataSubjectRequest,
    EventKind,
    ReceivedVia,
    RejectionCategory,
    RequestType,
    State,
    StoreTask,
    StoreTaskState,
    VerificationPolicy,
)
from requests_app.workflow.audit import Actor, audit_append
from requests_app.workflow.events import event_record
from requests_app.workflow.law_of_request import counted_new_request, needs_verification
from requests_app.workflow.references import reference_generate
from requests_app.workflow.store_tasks import store_task_move, unfinished_states

if TYPE_CHECKING:
    from requests_app.workflow.new_request import NewRequest

# Any open state may be rejected (with a reason the subject is told) or cancelled, and may
# pause to wait for the requester; a paused request goes back to the state it paused from.
_ALWAYS_FROM_OPEN = frozenset({State.REJECTED, State.CANCELLED})

TRANSITIONS: dict[State, frozenset[State]] = {
    # Straight to work (or to a person's decision) only where the law lets no verification be
    # asked for (a guard checks it): an opt-out is acted on as received.
    State.PENDING_VERIFICATION: frozenset(
        {State.VERIFIED, State.CLOSED_UNVERIFIED, State.AWAITING_REQUESTER, State.IN_PROGRESS, State.AWAITING_APPROVAL}
    ),
    State.VERIFIED: frozenset({State.AWAITING_APPROVAL, State.IN_PROGRESS, State.AWAITING_REQUESTER}),
    State.AWAITING_APPROVAL: frozenset({State.IN_PROGRESS, State.AWAITING_REQUESTER}),
    State.IN_PROGRESS: frozenset({State.NEEDS_ATTENTION, State.COMPLETED, State.AWAITING_REQUESTER}),
    State.NEEDS_ATTENTION: frozenset({State.IN_PROGRESS, State.COMPLETED, State.AWAITING_REQUESTER}),
    # Back to where it paused (checked by a guard), or closed unverified if it paused
    # before the subject verified.
    State.AWAITING_REQUESTER: frozenset(
        {
            State.PENDING_VERIFICATION,
            State.VERIFIED,
            State.AWAITING_APPROVAL,
            State.IN_PROGRESS,
            State.NEEDS_ATTENTION,
            State.CLOSED_UNVERIFIED,
        }
    ),
    State.COMPLETED: frozenset(),
    State.REJECTED: frozenset(),
    State.CANCELLED: frozenset(),
    State.CLOSED_UNVERIFIED: frozenset(),
}
for _state in OPEN_STATES:
    TRANSITIONS[_state] = TRANSITIONS[_state] | _ALWAYS_FROM_OPEN

# Changed fields whose values may describe the subject: sealed in the audit event, not in its data.
_PERSONAL_CHANGES = frozenset({"completion_note"})

# The subject is told why (GDPR Art. 12(4)); staff are told what information is missing.
REASON_REQUIRED = frozenset({State.REJECTED, State.AWAITING_REQUESTER})


def allowed_transitions(state: str) -> frozenset[State]:
    return TRANSITIONS[State(state)]


@transaction.atomic  # an appeal locks the request it appeals until it is recorded
def request_create(
    new: NewRequest,
    *,
    actor: Actor,
    verification_policy: str = VerificationPolicy.EMAIL,
    fraud_signals: list[dict[str, str]] | None = None,
    source_ip_hash: str = "",
) -> DataSubjectRequest:
    """Record a new request, waiting for verification, with its due date and audit event."""
    _validate_new_request(new.request_type, new.channel, new.subject_email, new.identifiers)
    if new.agent_email:
        _validate_address(new.agent_email, "The agent's email address is not valid")
    if new.received_via and new.received_via not in ReceivedVia.values:
        raise GuardFailed(
            f"Unknown way of receiving a request {new.received_via!r}; expected one of {ReceivedVia.values}"
        )
    if verification_policy not in VerificationPolicy.values:
        raise GuardFailed(f"Unknown verification policy {verification_policy!r}")
    language = new.language or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        raise GuardFailed(f"Unknown language {language!r}; expected one of {[code for code, _ in settings.LANGUAGES]}")
    received_at = new.received_at or timezone.now()
    counted = counted_new_request(new, timezone.localdate(received_at))
    rule, due = counted.rule, counted.due
    code = rule.code
    fields = {
        "request_type": new.request_type,
        "portability": new.portability and new.request_type == RequestType.ACCESS,
        "channel": new.channel,
        "received_via": new.received_via,
        "subject_email": _normalize_email(new.subject_email),
        "subject_name": new.subject_name.strip(),
        "subject_identifiers": dict(new.identifiers or {}),
        "details": new.details,
        "jurisdiction": code,
        "rule_version": rule.version,
        "appeal_of": counted.appeal_of,
        "gpc_signal": new.gpc_signal,
        "language": language,
        "received_at": received_at,
        "due_at": due,
        "agent_name": new.agent_name.strip(),
        "agent_email": _normalize_email(new.agent_email) if new.agent_email else "",
        "verification_policy": verification_policy,
        "fraud_signals": fraud_signals or [],
        "source_ip_hash": source_ip_hash,
    }
    audit_data = {
        "type": new.request_type,
        "channel": new.channel,
        "jurisdiction": code,
        "rule_version": rule.version,
        "due_at": due,
    }
    if new.received_via:
        audit_data["received_via"] = new.received_via
    if counted.appeal_of is not None:
        audit_data["appeal_of"] = counted.appeal_of.reference
    if new.gpc_signal:
        audit_data["gpc_signal"] = True
    # 2**40 references make a collision rare, not impossible: the unique constraint decides,
    # and the whole insert is tried again with a new reference.
    for _attempt in range(5):
        try:
            with transaction.atomic():
                request = DataSubjectRequest.objects.create(reference=reference_generate(), **fields)
                # The row was inserted in this transaction, which holds it: nothing to lock.
                audit_append(
                    request=request,
                    request_locked=True,
                    actor=actor,
                    action="request.received",
                    to_state=request.state,
                    data=audit_data,
                )
                event_record(kind=EventKind.REQUEST_CREATED, request=request)
        except IntegrityError as exc:
            if "reference" not in str(exc):
                raise
            continue
        return request
    raise IntegrityError("Could not find a free request reference after 5 attempts")


def _validate_new_request(
    request_type: str, channel: str, subject_email: str, identifiers: dict[str, str] | None
) -> None:
    if request_type not in RequestType.values:
        raise GuardFailed(f"Unknown request type {request_type!r}; expected one of {RequestType.values}")
    if channel not in Channel.values:
        raise GuardFailed(f"Unknown channel {channel!r}; expected one of {Channel.values}")
    _validate_address(subject_email, "The subject's email address is not valid")
    if identifiers is not None and not (
        isinstance(identifiers, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in identifiers.items())
    ):
        raise GuardFailed("Subject identifiers must map names to text values")


def _validate_address(address: str, message: str) -> None:
    try:
        validate_email(address)
    except ValidationError:
        raise GuardFailed(message) from None


def _normalize_email(address: str) -> str:
    """Lower-case the domain (case-insensitive by RFC 5321); keep the local part as given."""
    local, _, domain = address.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


def transition(
    request: DataSubjectRequest,
    to: str,
    actor: Actor,
    reason: str = "",
    *,
    data: dict[str, Any] | None = None,
    rejection_category: str = "",
) -> DataSubjectRequest:
    """Move a request to state ``to``, or raise ``TransitionNotAllowed`` / ``GuardFailed``.

    The row is locked first and the check is made against the state in the database, not
    the caller's copy, so two staff members acting at once cannot both win. The caller's
    instance is refreshed with the result. A rejection records its ``rejection_category``
    ("other" when none is given).
    """
    if to not in State.values:
        raise TransitionNotAllowed(f"{to!r} is not a state a request can move to")
    target = State(to)
    with transaction.atomic():
        locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        source = State(locked.state)
        if target not in TRANSITIONS[source]:
            raise TransitionNotAllowed(
                f"Request {locked.reference} is {source.label.lower()} and cannot move to {target.label.lower()}",
                extra={"from": source.value, "to": target.value},
            )
        _check_guards(locked, source, target, reason)
        changes = _apply(locked, source, target, timezone.now(), reason)
        if target == State.REJECTED:
            locked.rejection_category = rejection_category or RejectionCategory.OTHER
            changes["rejection_category"] = locked.rejection_category
        locked.save(update_fields=[*changes, "state", "updated_at"])
        audit_append(
            request=locked,
            request_locked=True,
            actor=actor,
            action="request.transition",
            from_state=source.value,
            to_state=target.value,
            reason=reason,
            data={**(data or {}), **{k: v for k, v in changes.items() if k not in _PERSONAL_CHANGES}},
            personal={k: v for k, v in changes.items() if k in _PERSONAL_CHANGES} or None,
        )
        event_record(
            kind=EventKind.REQUEST_STATE_CHANGED,
            request=locked,
            data={"from_state": source.value, "to_state": target.value},
        )
        if target == State.COMPLETED:
            event_record(kind=EventKind.REQUEST_COMPLETED, request=locked)
        if target in TERMINAL_STATES:
            _stop_store_work(locked, actor)
    _copy_row(locked, request)
    return request


def _copy_row(source: DataSubjectRequest, target: DataSubjectRequest) -> None:
    """Give the caller's instance the row as ``transition`` left it, as ``refresh_from_db``
    would, without reading it again: the locked copy is what was just written."""
    if target is source:
        return
    for model_field in source._meta.concrete_fields:
        value = getattr(source, model_field.attname)
        changed = getattr(target, model_field.attname) != value
        if isinstance(model_field, ForeignKey) and changed and model_field.is_cached(target):
            model_field.delete_cached_value(target)
        setattr(target, model_field.attname, value)
    target._prefetched_objects_cache = {}  # type: ignore[attr-defined]


def _stop_store_work(request: DataSubjectRequest, actor: Actor) -> None:
    """A closed request runs no more store work: its unfinished tasks are cancelled, on the record."""
    stopped = store_task_move(
        StoreTask.objects.filter(request=request),
        StoreTaskState.CANCELLED,
        from_states=unfinished_states(),
        lease_token="",
        lease_expires_at=None,
    )
    if stopped:
        audit_append(
            request=request, request_locked=True, actor=actor, action="fanout.cancelled", data={"tasks": stopped}
        )


def completion_blockers(request: DataSubjectRequest, *, reason: str = "") -> list[str]:
    """Why ``request`` cannot be completed now, one sentence each; empty when it can.

    A request is complete only for what really happened: every store task has an outcome
    (done by the system, or recorded by staff with a reason), and the result the subject
    receives (copy, certificate or report) exists. A request that never reached its stores
    can be completed only with a recorded reason, which the subject is told.
    """
    if request.request_type == RequestType.APPEAL:
        if not request.appeal_outcome:
            return ["An appeal completes with its decision: record whether the original decision stands."]
        return []
    tasks = list(request.store_tasks.order_by("step", "id"))
    if not tasks:
        if reason.strip():
            return []
        return [
            "No store has been searched for this request. To complete it anyway, say why "
            "(for example: no personal data held, the subject is in none of our systems)."
        ]
    blockers = [
        f"{task.target} ({task.get_action_display().lower()}) is {task.get_state_display().lower()}"
        for task in tasks
        if not task.has_outcome
    ]
    if blockers:
        return [f"These stores have no outcome yet: {'; '.join(blockers)}. Retry them or record an outcome."]
    kind = RESULT_KIND[RequestType(request.request_type)]
    if not Bundle.objects.filter(request=request, kind=kind).exists():
        return [f"The {kind.label.lower()} has not been made yet; the request completes when it is ready."]
    return []


def _check_guards(request: DataSubjectRequest, source: State, target: State, reason: str) -> None:
    if target in REASON_REQUIRED and not reason.strip():
        raise GuardFailed(f"Moving a request to {target.label.lower()} needs a reason")
    if source == State.AWAITING_REQUESTER and target not in _ALWAYS_FROM_OPEN:
        paused_from = State(request.paused_from_state)
        if target == State.CLOSED_UNVERIFIED and paused_from != State.PENDING_VERIFICATION:
            raise GuardFailed("Only a request that was never verified can be closed as unverified")
        if target != State.CLOSED_UNVERIFIED and target != paused_from:
            raise GuardFailed(f"A paused request goes back to {paused_from.label.lower()}, where it paused")
    if (
        source == State.PENDING_VERIFICATION
        and target in (State.IN_PROGRESS, State.AWAITING_APPROVAL)
        and needs_verification(request)
    ):
        raise GuardFailed("The subject's identity must be verified first")
    if target == State.COMPLETED and (blockers := completion_blockers(request, reason=reason)):
        raise GuardFailed(" ".join(blockers))
    if target == State.CLOSED_UNVERIFIED:
        if not verification_window_passed(request, timezone.now()):
            raise GuardFailed("The verification window has not ended yet")
        if request.email_verified_at is not None:
            raise GuardFailed("The subject confirmed their email address: the privacy team decides")


# Channels whose requests may be recorded after the day they were received (a letter staff
# enter, a help desk ticket an integration passes on with its own date).
ENTERED_LATER = (Channel.STAFF, Channel.API)


def verification_window_start(request: DataSubjectRequest) -> datetime:
    """When the subject's time to confirm begins: on receipt, or when the request was recorded.

    The window is the subject's time to answer our email. A letter dated last week that staff
    enter today (or a ticket an integration passes on today) could not have been confirmed
    before today, so its window starts now, while its deadline still counts from receipt.
    """
    return request.created_at if request.channel in ENTERED_LATER else request.received_at


def verification_window_started(*, after: datetime | None = None, by: datetime) -> Q:
    """Requests whose verification window started by ``by`` (and after ``after``), as a filter."""
    later = Q(channel__in=ENTERED_LATER)
    staff, other = later & Q(created_at__lte=by), Q(received_at__lte=by) & ~later
    if after is not None:
        staff &= Q(created_at__gt=after)
        other &= Q(received_at__gt=after)
    return staff | other


def verification_window_passed(request: DataSubjectRequest, now: datetime) -> bool:
    return verification_window_start(request) + timedelta(days=settings.DSAR_VERIFICATION_WINDOW_DAYS) <= now


def _apply(request: DataSubjectRequest, source: State, target: State, now: datetime, reason: str) -> dict[str, Any]:
    """Set the new state and what follows from it; return the changed fields for the audit."""
    changes: dict[str, Any] = {}
    if target == State.VERIFIED and request.verified_at is None:
        request.verified_at = now
        changes["verified_at"] = now
    if target == State.COMPLETED and not request.store_tasks.exists():
        request.completion_note = reason.strip()
        changes["completion_note"] = request.completion_note
    if source == State.AWAITING_REQUESTER:
        changes.update(_resume_clock(request, now))
    if target == State.AWAITING_REQUESTER:
        request.paused_at, request.paused_from_state = now, source.value
        changes.update(paused_at=now, paused_from_state=source.value)
    if target in TERMINAL_STATES:
        request.closed_at = now
        changes["closed_at"] = now
    request.state = target.value
    return changes


def _resume_clock(request: DataSubjectRequest, now: datetime) -> dict[str, Any]:
    """Add the paused days to the deadline where the request's law lets the clock stop."""
    changes: dict[str, Any] = {"paused_at": None, "paused_from_state": ""}
    request.paused_at, paused_since = None, request.paused_at
    request.paused_from_state = ""
    if paused_since is None or not deadlines.rule_of(request).pause_allowed:
        return changes
    days = (timezone.localdate(now) - timezone.localdate(paused_since)).days
    if days > 0:
        request.paused_days += days
        request.due_at = _due_for(request)
        changes.update(paused_days=request.paused_days, due_at=request.due_at)
    return changes


def _due_for(request: DataSubjectRequest) -> date:
    return deadlines.due_date(
        request.jurisdiction,
        timezone.localdate(request.received_at),
        paused_days=request.paused_days,
        extended=request.is_extended,
        request_type=request.request_type,
        version=deadlines.rule_of(request).version,
    ).due


def request_extend(*, request: DataSubjectRequest, actor: Actor, reason: str) -> DataSubjectRequest:
    """Extend the deadline once, as the request's law allows, with a reason the subject is told.

    The law requires the subject to hear of the extension within the first period (GDPR
    Art. 12(3), CCPA §1798.130(a)(2)), so an extension after the original due date is refused.
    """
    if not reason.strip():
        raise GuardFailed("An extension needs a reason; the subject is told it")
    with transaction.atomic():
        locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        _check_extension_allowed(locked)
        old_due = locked.due_at
        locked.extended_at = timezone.now()
        locked.extension_reason = reason
        locked.due_at = _due_for(locked)
        locked.save(update_fields=["extended_at", "extension_reason", "due_at", "updated_at"])
        audit_append(
            request=locked,
            request_locked=True,
            actor=actor,
            action="request.extended",
            reason=reason,
            data={"from_due_at": old_due, "to_due_at": locked.due_at},
        )
        event_record(
            kind=EventKind.REQUEST_EXTENDED,
            request=locked,
            data={"from_due_at": old_due.isoformat(), "to_due_at": locked.due_at.isoformat()},
        )
    request.refresh_from_db()
    return request


def _check_extension_allowed(request: DataSubjectRequest) -> None:
    if request.state not in OPEN_STATES:
        raise ExtensionNotAllowed(f"Request {request.reference} is closed")
    if request.is_extended:
        raise ExtensionNotAllowed(f"Request {request.reference} has already been extended")
    rule = deadlines.rule_of(request)
    if rule.timing(request.request_type).extension is None:
        raise ExtensionNotAllowed(f"{rule.name} does not allow extending the deadline")
    notice_by = deadlines.extension_notice_by(
        request.jurisdiction,
        timezone.localdate(request.received_at),
        paused_days=request.paused_days,
        request_type=request.request_type,
        version=rule.version,
    )
    if notice_by is not None and timezone.localdate() > notice_by:
        raise ExtensionNotAllowed(f"Too late: {rule.name} requires telling the subject by {notice_by.isoformat()}")


def request_assign(*, request: DataSubjectRequest, actor: Actor, assignee: Any | None) -> DataSubjectRequest:
    """Give the request to a staff member (or to nobody), on the record."""
    with transaction.atomic():
        locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        previous = locked.assignee.get_username() if locked.assignee else None
        locked.assignee = assignee
        locked.save(update_fields=["assignee", "updated_at"])
        audit_append(
            request=locked,
            request_locked=True,
            actor=actor,
            action="request.assigned",
            data={"from": previous, "to": assignee.get_username() if assignee else None},
        )
    request.refresh_from_db()
    return request
