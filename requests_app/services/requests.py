"""Use cases that change a request and tell the requester, in one transaction.

Views, the API, email intake and tasks call these; each is one thing a person or the system
does. The state change itself is always ``workflow``'s, the message always ``notifications``'.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from requests_app.datamap import DataMapError
from requests_app.errors import GuardFailed, TransitionNotAllowed
from requests_app.fulfilment import fanout
from requests_app.fulfilment.datamap_versions import datamap_current
from requests_app.fulfilment.results import CORRECTIONS_REFUSED
from requests_app.infra import queue
from requests_app.models import (
    ChallengePurpose,
    DataSubjectRequest,
    EventKind,
    RejectionCategory,
    RequestType,
    State,
    VerificationChallenge,
    VerificationPolicy,
)
from requests_app.notifications.emails import absolute_url, notify
from requests_app.verification import challenges as verification
from requests_app.verification import fraud
from requests_app.workflow.audit import Actor, audit_append
from requests_app.workflow.events import event_record
from requests_app.workflow.law_of_request import appeal_offer, needs_verification
from requests_app.workflow.references import reference_normalize
from requests_app.workflow.transitions import (
    request_assign,
    request_create,
    request_extend,
    transition,
    verification_window_started,
)

if TYPE_CHECKING:
    from django.core.files import File

    from requests_app.workflow.new_request import NewRequest


def requester_email(request: DataSubjectRequest) -> str:
    """Who made the request: the agent where there is one, else the subject."""
    return request.agent_email or request.subject_email


def verification_links(request: DataSubjectRequest) -> dict[str, str]:
    """A fresh link and code for the subject to confirm their address (earlier ones stop working)."""
    issued = verification.challenge_issue(
        request=request, purpose=ChallengePurpose.VERIFY_REQUEST, email=request.subject_email
    )
    return {"verify_url": absolute_url(reverse("verify_link", args=[issued.link_token])), "code": issued.code}


def request_submit(
    new: NewRequest,
    *,
    agent_authorisation: File[bytes] | None = None,
    source_ip: str = "",
    other_name: str = "",
    actor: Actor | None = None,
    extra_signals: list[dict[str, str]] | None = None,
) -> DataSubjectRequest:
    """Take in a new request: record it, note fraud signals, and send the verification.

    Whoever the address belongs to, the same things happen and the same emails go to the
    address given, so nothing here tells a stranger whether someone is a customer. An
    agent's request is verified with the subject directly (CCPA regulations §7063) and
    always waits for a staff decision on the signed authorisation.
    """
    policy = VerificationPolicy.EMAIL_AND_STAFF if new.is_agent else settings.DSAR_VERIFY_POLICY[new.request_type]
    ip_hash = fraud.ip_hash(source_ip)
    signals = fraud.signals_for_new_request(
        email=new.subject_email,
        name=new.subject_name,
        source_ip_hash=ip_hash,
        is_agent=new.is_agent,
        other_name=other_name,
    ) + list(extra_signals or [])
    with transaction.atomic():
        request = request_create(
            new,
            actor=actor or Actor.subject(),
            verification_policy=policy,
            fraud_signals=signals,
            source_ip_hash=ip_hash,
        )
        if agent_authorisation is not None:
            suffix = PurePath(agent_authorisation.name or "").suffix.lower()
            request.agent_authorisation.save(f"{uuid.uuid4().hex}{suffix}", agent_authorisation, save=True)
        # An agent's request still waits for staff to check the signed authorisation
        # (CCPA regulations §7026(j) lets a business ask for it for an opt-out too).
        if not needs_verification(request) and not request.is_agent_request:
            _acted_on_unverified(request)
            return request
        links = verification_links(request)
        if request.is_agent_request:
            notify(request=request, kind="acknowledgement", to=request.agent_email, context={"to_agent": True})
            notify(request=request, kind="verification", to=request.subject_email, context=links)
        else:
            notify(request=request, kind="acknowledgement", to=request.subject_email, context=links)
    return request


def _acted_on_unverified(request: DataSubjectRequest) -> None:
    """A request the law forbids verifying: acknowledged with its status link, and started."""
    status = {"no_verification": True, "status_url": verification.status_url(request)}
    notify(request=request, kind="acknowledgement", to=request.subject_email, context=status)
    request_proceed(request=request)


def request_resend_verification(*, reference: str, email: str) -> None:
    """Send a fresh link and code, if ``reference`` and ``email`` name a request still waiting.

    Says nothing either way: the caller shows the same page whatever happened.
    """
    normalized = reference_normalize(reference)
    if not normalized:
        return
    with transaction.atomic():
        request = (
            DataSubjectRequest.objects.select_for_update()
            .filter(
                reference=normalized,
                subject_email__iexact=email.strip(),
                state=State.PENDING_VERIFICATION,
                email_verified_at__isnull=True,
            )
            .first()
        )
        if request is not None:
            notify(request=request, kind="verification", to=request.subject_email, context=verification_links(request))


def request_renew_verification(*, challenge: VerificationChallenge) -> DataSubjectRequest:
    """Send a fresh link and code for the request an expired (genuine) link was for.

    Resumable verification: the person keeps their request and its place in the queue
    instead of filing a new one. The new link goes to the address the request was made
    with, never anywhere else; a request that is no longer waiting gets nothing.
    """
    with transaction.atomic():
        request = DataSubjectRequest.objects.select_for_update().get(pk=challenge.request_id)
        if request.state == State.PENDING_VERIFICATION and request.email_verified_at is None:
            notify(request=request, kind="verification", to=request.subject_email, context=verification_links(request))
            audit_append(request=request, actor=Actor.subject(), action="verification.renewed")
    return request


def request_confirm_email(challenge: VerificationChallenge, *, method: str) -> DataSubjectRequest:
    """The subject proved they control their address: record it and move on per the policy."""
    with transaction.atomic():
        verification.challenge_consume(challenge)
        request = DataSubjectRequest.objects.select_for_update().get(pk=challenge.request_id)
        if request.email_verified_at is not None:
            return request
        request.email_verified_at = timezone.now()
        request.save(update_fields=["email_verified_at", "updated_at"])
        audit_append(
            request=request, actor=Actor.subject(), action="verification.email_confirmed", data={"method": method}
        )
        # An agent hears of it (DRP: the request no longer needs the user's verification).
        event_record(kind=EventKind.REQUEST_EMAIL_CONFIRMED, request=request)
        if request.state == State.PENDING_VERIFICATION and request.verification_policy == VerificationPolicy.EMAIL:
            transition(request, State.VERIFIED, Actor.subject(), reason="The subject confirmed their email address.")
            request_proceed(request=request)
        elif request.verification_policy == VerificationPolicy.EMAIL_AND_FACT:
            queue.enqueue_on_commit(queue.CHECK_SECOND_FACTOR, request.pk)
        notify(
            request=request,
            kind="status_link",
            to=request.subject_email,
            context={"status_url": verification.status_url(request)},
        )
    return request


def request_verify_manually(*, request: DataSubjectRequest, actor: Actor, note: str) -> DataSubjectRequest:
    """Staff verified the subject another way (or reviewed an agent's authorisation).

    A subject who never confirmed their email address (they phoned in) gets their status
    link now, through which they collect the result; one who confirmed it has had theirs.
    """
    if not note.strip():
        raise GuardFailed("Say how the identity was verified")
    with transaction.atomic():
        _verified(request, actor=actor, how=note)
        if request.email_verified_at is None:
            notify(
                request=request,
                kind="status_link",
                to=request.subject_email,
                context={"status_url": verification.status_url(request), "verified_by_staff": True},
            )
    request.refresh_from_db()
    return request


def _verified(request: DataSubjectRequest, *, actor: Actor, how: str, data: dict[str, Any] | None = None) -> None:
    """Record the identity verified (and how, on the request), then go on as the policy says."""
    transition(request, State.VERIFIED, actor, reason=how, data=data)
    DataSubjectRequest.objects.filter(pk=request.pk).update(verification_note=how)
    request_proceed(request=request)


def request_proceed(*, request: DataSubjectRequest) -> DataSubjectRequest:
    """After verification: wait for a staff decision where the type needs one, or where a
    high-risk fraud signal was raised (before any store is touched); else start work."""
    request.refresh_from_db()
    if risky := fraud.high_risk(request.fraud_signals):
        return transition(
            request,
            State.AWAITING_APPROVAL,
            Actor.system("policy"),
            reason=f"A fraud signal needs a person's decision before any store is searched: {', '.join(risky)}",
        )
    if request.request_type in settings.DSAR_APPROVAL_REQUIRED:
        return transition(
            request, State.AWAITING_APPROVAL, Actor.system("policy"), reason="This request type needs approval"
        )
    reason = "" if needs_verification(request) else "The law lets no proof of identity be asked for this request"
    return request_start(request=request, actor=Actor.system("policy"), reason=reason)


def request_start(*, request: DataSubjectRequest, actor: Actor, reason: str = "") -> DataSubjectRequest:
    """Move a verified (or approved) request to work, with one store task per system."""
    with transaction.atomic():
        transition(request, State.IN_PROGRESS, actor, reason=reason)
        if request.store_tasks.exists() or request.request_type == RequestType.APPEAL:
            # An appeal is decided by a person reviewing the earlier request: no store is searched.
            return request
        try:
            with transaction.atomic():
                fanout.fanout_create(request)
        except DataMapError as error:
            # An edit left the data map invalid: the request waits for a person, loudly.
            audit_append(
                request=request,
                actor=Actor.system("fanout"),
                action="fanout.refused",
                reason="The data map has problems",
                data={"problems": error.problems[:20]},
            )
            transition(request, State.NEEDS_ATTENTION, Actor.system("fanout"), reason="The data map has problems")
    return request


def _correction_fields(corrections: dict[str, Any]) -> list[str]:
    """Which fields a correction changes, as "system.dataset.field", without the new values."""
    return sorted(
        f"{system}.{dataset}.{name}"
        for system, datasets in corrections.items()
        for dataset, fields in datasets.items()
        for name in fields
    )


def request_approve(
    *,
    request: DataSubjectRequest,
    actor: Actor,
    note: str = "",
    corrections: dict[str, Any] | None = None,
    refusals: dict[str, dict[str, dict[str, str]]] | None = None,
) -> DataSubjectRequest:
    """A staff decision to go ahead; for a correction, with the changes it allows.

    The policy reserves the right to refuse a change that would break a law or make the
    data incorrect, so no connector applies a correction before this decision. ``refusals``
    ({system: {dataset: {field: reason}}}) are the changes asked for and refused: the
    correction report gives the subject each one with its reason.
    """
    if corrections is not None:
        _check_corrections(corrections)
    if refusals:
        _check_refusals(refusals, corrections or {})
    with transaction.atomic():
        if corrections is not None:
            DataSubjectRequest.objects.filter(pk=request.pk).update(corrections=corrections)
            # The new values describe the subject: sealed with the request's key, so the
            # retention rule can remove them later. The fields changed stay readable.
            audit_append(
                request=request,
                actor=actor,
                action="request.corrections_approved",
                data={"fields": _correction_fields(corrections)},
                personal=corrections,
            )
        if refusals:
            # The reasons may describe the subject (what they asked for): sealed the same way.
            audit_append(
                request=request,
                actor=actor,
                action=CORRECTIONS_REFUSED,
                data={"fields": _correction_fields(refusals)},
                personal={"refused": refusals},
            )
        return request_start(request=request, actor=actor, reason=note or "Approved")


def _check_refusals(refusals: dict[str, dict[str, dict[str, str]]], corrections: dict[str, Any]) -> None:
    """A refused change names a correctable field, has a reason, and is not also approved."""
    refused = datamap_current().correction_refusals(refusals)
    if refused:
        raise GuardFailed("These refusals name fields that cannot be corrected: " + "; ".join(refused))
    for path in _correction_fields(refusals):
        system, dataset, name = path.split(".", 2)
        if not str(refusals[system][dataset][name]).strip():
            raise GuardFailed(f"Say why the change of {path} is refused")
        if name in corrections.get(system, {}).get(dataset, {}):
            raise GuardFailed(f"{path} cannot be both changed and refused")


def _check_corrections(corrections: dict[str, Any]) -> None:
    """Every change names a field of the data map that may be corrected; else nothing starts."""
    if not corrections:
        raise GuardFailed("Say which changes are approved (system.dataset.field = value)")
    refused = datamap_current().correction_refusals(corrections)
    if refused:
        raise GuardFailed("These changes cannot be made: " + "; ".join(refused))


def request_resume(*, request: DataSubjectRequest, actor: Actor, note: str = "") -> DataSubjectRequest:
    """The requester answered (by phone, by letter): the request goes back where it paused."""
    with transaction.atomic():
        locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != State.AWAITING_REQUESTER:
            # Resumed meanwhile (the requester's email reply resumes it too), or never paused.
            raise GuardFailed(f"Request {locked.reference} is not waiting for the requester")
        return transition(locked, locked.paused_from_state, actor, reason=note or "The requester answered.")


def requests_assign(*, requests: list[DataSubjectRequest], actor: Actor, assignee: Any | None) -> int:
    """Give each of ``requests`` to ``assignee`` (or to nobody), all or none; return how many changed."""
    wanted = assignee.pk if assignee else None
    with transaction.atomic():
        changing = [r for r in requests if r.assignee_id != wanted]
        for subject_request in changing:
            request_assign(request=subject_request, actor=actor, assignee=assignee)
    return len(changing)


def request_cancel(*, request: DataSubjectRequest, actor: Actor, reason: str) -> DataSubjectRequest:
    """Cancel the request; the workflow stops its unfinished store tasks."""
    return transition(request, State.CANCELLED, actor, reason=reason)


def request_ask_requester(*, request: DataSubjectRequest, actor: Actor, question: str) -> DataSubjectRequest:
    """Pause the request and ask the requester for what is missing."""
    with transaction.atomic():
        transition(request, State.AWAITING_REQUESTER, actor, reason=question)
        notify(request=request, kind="more_information", to=requester_email(request), context={"question": question})
    return request


def request_reply(*, request: DataSubjectRequest, actor: Actor, message: str) -> DataSubjectRequest:
    """Answer the requester; only through the verified address, once it is confirmed."""
    if not message.strip():
        raise GuardFailed("A reply needs some text")
    request.refresh_from_db(fields=["minimised_at"])
    if request.is_minimised:
        raise GuardFailed("The personal data of this request was removed under the retention rule: it has no address")
    if request.email_verified_at is None:
        raise GuardFailed("The requester's address is not confirmed yet: nothing is sent before it is")
    with transaction.atomic():
        audit_append(request=request, actor=actor, action="request.replied", reason=message)
        notify(request=request, kind="reply", to=requester_email(request), context={"message": message})
    return request


def request_reject(
    *, request: DataSubjectRequest, actor: Actor, reason: str, category: str = RejectionCategory.OTHER
) -> DataSubjectRequest:
    """Refuse the request, telling the requester why and where they may complain.

    ``category`` is the ground, as 11 CCR § 7102(a)(2) lets a business report denials; it is
    kept on the request and in the transition's audit event, never told to the requester.
    """
    if category not in RejectionCategory.values:
        raise GuardFailed(f"Unknown rejection category {category!r}; expected one of {RejectionCategory.values}")
    with transaction.atomic():
        transition(request, State.REJECTED, actor, reason=reason, rejection_category=category)
        context = {"reason": reason, "appeal": appeal_offer(request)}
        notify(request=request, kind="rejection", to=requester_email(request), context=context)
    return request


def request_extend_with_notice(*, request: DataSubjectRequest, actor: Actor, reason: str) -> DataSubjectRequest:
    """Extend the deadline and tell the requester the new date and why (GDPR Art. 12(3))."""
    with transaction.atomic():
        request_extend(request=request, actor=actor, reason=reason)
        notify(request=request, kind="extension", to=requester_email(request), context={"reason": reason})
    return request


def requests_close_unverified(*, now: datetime | None = None) -> int:
    """Close every request whose subject did not verify in time, with a notice; return how many.

    Each request is closed in its own transaction, so one failure does not hold back the
    rest; a request verified meanwhile is left alone (the transition re-checks under lock).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DSAR_VERIFICATION_WINDOW_DAYS)
    candidates = list(
        DataSubjectRequest.objects.filter(
            verification_window_started(by=cutoff), state=State.PENDING_VERIFICATION, email_verified_at__isnull=True
        ).values_list("pk", flat=True)
    )
    closed = 0
    for pk in candidates:
        request = DataSubjectRequest.objects.filter(pk=pk).first()
        if request is None:
            continue
        try:
            with transaction.atomic():
                transition(
                    request,
                    State.CLOSED_UNVERIFIED,
                    Actor.system("verification-window"),
                    reason=f"Identity not verified within {settings.DSAR_VERIFICATION_WINDOW_DAYS} days",
                )
                notify(request=request, kind="closed_unverified", to=requester_email(request))
        except (TransitionNotAllowed, GuardFailed):
            continue
        closed += 1
    return closed


def request_submit_verified(
    new: NewRequest, *, actor: Actor, verified_by: str, note: str = "", source_ip: str = ""
) -> DataSubjectRequest:
    """Take in a request whose subject the caller already verified (a signed-in account page).

    Only an integration trusted with that right calls this. What it declared is recorded as
    the verification (who vouched, how), the fraud checks still run (a high-risk signal
    still waits for a person), and the subject gets their status link. Their email address
    is not marked confirmed: the product did not confirm it, the caller vouched for them.
    """
    ip_hash = fraud.ip_hash(source_ip)
    signals = fraud.signals_for_new_request(
        email=new.subject_email, name=new.subject_name, source_ip_hash=ip_hash, is_agent=new.is_agent, other_name=""
    )
    how = f"Verified by {actor.label} ({verified_by})" + (f": {note.strip()}" if note.strip() else "")
    with transaction.atomic():
        request = request_create(
            new,
            actor=actor,
            verification_policy=settings.DSAR_VERIFY_POLICY[new.request_type],
            fraud_signals=signals,
            source_ip_hash=ip_hash,
        )
        _verified(request, actor=actor, how=how, data={"verified_by": verified_by})
        notify(
            request=request,
            kind="status_link",
            to=request.subject_email,
            context={"status_url": verification.status_url(request), "verified_by_account": True},
        )
    request.refresh_from_db()
    return request
