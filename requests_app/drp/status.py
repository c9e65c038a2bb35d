"""The Exercise Status object of a DRP request (DRP v0.9.4 §3.03), from the request's state.

One function, read by the status endpoint, the exercise and revoke answers and the status
callbacks alike, so the agent is told the same thing whichever way it asks. The statuses and
reasons are the protocol's (§3.02); ``expected_by`` is this product's own deadline (the due
date of the request's law, moved by an extension or a paused clock), and an extension is
told in ``processing_details`` as §3.08 requires.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from requests_app.models import RejectionCategory, State
from requests_app.notifications.emails import absolute_url

if TYPE_CHECKING:
    from datetime import date

    from requests_app.models import DataSubjectRequest, DrpRequest

# This product's rejection grounds (11 CCR § 7102(a)(2)) as the protocol's denial reasons (§3.02).
DENIAL_REASONS: dict[str, str] = {
    RejectionCategory.NOT_VERIFIED: "insuf_verification",
    RejectionCategory.NOT_A_CONSUMER: "no_match",
    RejectionCategory.EXEMPT: "claim_not_covered",
    RejectionCategory.OTHER: "other",
}

_IN_PROGRESS_DETAILS: dict[str, str] = {
    State.VERIFIED: "The subject's identity and the agent's authorisation are verified.",
    State.AWAITING_APPROVAL: "The request waits for the privacy team's approval before any data is touched.",
    State.IN_PROGRESS: "The request is being carried out in our systems.",
    State.NEEDS_ATTENTION: "The request is being carried out; a step waits for the privacy team.",
    State.AWAITING_REQUESTER: "We need more information: an email to the agent says what is missing.",
}


def expected_by(due: date) -> str:
    """The end of the due day in the company's time zone, as an ISO 8601 timestamp."""
    return datetime.combine(due, time(23, 59, 59), tzinfo=timezone.get_current_timezone()).isoformat()


def user_verification_url(request: DataSubjectRequest) -> str:
    """Where the subject confirms the request with the code we emailed them (§3.02.1).

    It names the request (by its reference) and nothing else; the subject still needs the
    code sent to their own address, so the agent holding this URL cannot confirm for them.
    """
    return absolute_url(f"{reverse('verify_code')}?{urlencode({'reference': request.reference})}")


def status_object(drp: DrpRequest) -> dict[str, Any]:
    """The §3.03 status of ``drp`` now."""
    request = drp.request
    status, reason, details = _status_reason_details(drp, request)
    body: dict[str, Any] = {"request_id": str(drp.drp_id)}
    if drp.agent_request_id:
        body["agent_request_id"] = drp.agent_request_id
    body["received_at"] = request.received_at.isoformat()
    body["status"] = status
    if reason:
        body["reason"] = reason
    if status == "in_progress":
        # §3.03: "For requests which have been acknowledged and entered 'in progress' state,
        # the expected_by field MUST be provided".
        body["expected_by"] = expected_by(request.due_at)
        if request.is_extended:
            details = f"{details} The deadline was extended to {request.due_at.isoformat()}: {request.extension_reason}"
    body["processing_details"] = details
    if reason == "need_user_verification":
        body["user_verification_url"] = user_verification_url(request)
    return body


def _status_reason_details(drp: DrpRequest, request: DataSubjectRequest) -> tuple[str, str, str]:
    state = request.state
    if state == State.PENDING_VERIFICATION or (
        state == State.AWAITING_REQUESTER and request.paused_from_state == State.PENDING_VERIFICATION
    ):
        if request.email_verified_at is None:
            return (
                "in_progress",
                "need_user_verification",
                "The subject is sent a link and a code by email to confirm this request themselves at the "
                "address given; nothing is done before they do.",
            )
        return (
            "in_progress",
            "",
            "The subject confirmed the request at their address; the privacy team is reviewing the "
            "agent's authorisation.",
        )
    if state in _IN_PROGRESS_DETAILS:
        return "in_progress", "", _IN_PROGRESS_DETAILS[state]
    if state == State.COMPLETED:
        return "fulfilled", "", "Done. The subject collects the result through their own verified address."
    if state == State.REJECTED:
        category = RejectionCategory(request.rejection_category or RejectionCategory.OTHER)
        return (
            "denied",
            DENIAL_REASONS[category],
            f"Refused: {category.label.lower()}. The reason goes to the agent by email.",
        )
    if state == State.CLOSED_UNVERIFIED:
        # §3.02: insuf_verification, "the [in_progress, need_user_verification] stage failed or timed out".
        return "denied", "insuf_verification", "The subject did not confirm the request at their address in time."
    if drp.revoked_at is not None:
        return "revoked", "", "Revoked by the agent."
    return "denied", "other", "Cancelled by the privacy team."
