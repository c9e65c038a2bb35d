"""What a request is waiting for, in words: for the subject on their status page, for staff in the queue.

A state alone does not say it: "waiting for identity verification" covers a requester who
never opened our email and one who confirmed their address and now waits for us. Both
sides are told which it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from requests_app.models import DataSubjectRequest, State, VerificationPolicy

if TYPE_CHECKING:
    from django.utils.functional import Promise

SUBJECT_EXPLANATIONS: dict[State, Promise] = {
    State.PENDING_VERIFICATION: _(
        "We are waiting for you to confirm your email address: use the link or the code in the email we sent you."
    ),
    State.VERIFIED: _("Your identity is confirmed. We will start work on your request shortly."),
    State.AWAITING_APPROVAL: _(
        "Your identity is confirmed. Your request is waiting for a decision by our privacy team."
    ),
    State.IN_PROGRESS: _("We are working on your request."),
    State.NEEDS_ATTENTION: _("We are working on your request; part of it is being done by our staff."),
    State.AWAITING_REQUESTER: _("We have asked you for more information. Please see our message below."),
    State.COMPLETED: _("Your request is complete."),
    State.REJECTED: _("We could not carry out your request. Please see our message below."),
    State.CANCELLED: _("Your request was cancelled."),
    State.CLOSED_UNVERIFIED: _("Your request was closed because your identity was not confirmed in time."),
}


def _confirmed_and_waiting_for_us(request: DataSubjectRequest) -> bool:
    return request.state == State.PENDING_VERIFICATION and request.email_verified_at is not None


def subject_status(request: DataSubjectRequest) -> tuple[str, str]:
    """The status page's label and explanation for the subject.

    "Needs attention" is the privacy team's word for work a person must do: to the subject
    the request is in progress, and the explanation says a person is on it.
    """
    if request.state == State.NEEDS_ATTENTION:
        return str(State.IN_PROGRESS.label), str(SUBJECT_EXPLANATIONS[State.NEEDS_ATTENTION])
    if _confirmed_and_waiting_for_us(request):
        return (
            str(_("Checking your identity")),
            str(_("Your email address is confirmed; we are checking your identity. We will write if we need more.")),
        )
    return str(State(request.state).label), str(SUBJECT_EXPLANATIONS[State(request.state)])


def staff_state_words(request: DataSubjectRequest) -> str:
    """The state as the queue shows it, saying who the request waits for."""
    if request.state == State.PENDING_VERIFICATION:
        if request.email_verified_at is None:
            return "Waiting for the requester to confirm their email"
        if request.verification_policy == VerificationPolicy.EMAIL_AND_FACT:
            return "Email confirmed; checking a detail on file (staff decide if it does not match)"
        return "Email confirmed; waiting for staff to verify the identity"
    return str(State(request.state).label)
