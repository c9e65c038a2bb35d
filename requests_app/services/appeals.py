"""Deciding an appeal: the review of a refused (or partly refused) request, and what the subject is told.

Most US state laws give a consumer an appeal of a refusal, answered within the law's period,
and require that a consumer whose appeal is denied be told how to complain to the regulator
(e.g. Va. Code §59.1-577(C)). The decision, its audit event, the move to completed and the
email are one transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from requests_app.errors import GuardFailed
from requests_app.laws import deadlines
from requests_app.models import AppealOutcome, DataSubjectRequest, RequestType, State
from requests_app.notifications.emails import notify
from requests_app.services.requests import requester_email
from requests_app.workflow.audit import Actor, audit_append
from requests_app.workflow.transitions import transition

if TYPE_CHECKING:
    from requests_app.laws.rules import Rule

# Outcomes that deny the appeal, wholly or in part: the law's complaint duty applies.
DENIED = frozenset({AppealOutcome.UPHELD, AppealOutcome.PARTLY_REVERSED})
# Outcomes after which the appealed request is to be carried out (entered again by staff).
CARRIED_OUT = frozenset({AppealOutcome.REVERSED, AppealOutcome.PARTLY_REVERSED})


def complaint_to(rule: Rule) -> str:
    """Whom the subject of a denied appeal may complain to under ``rule``, or "" where the law names nobody."""
    if rule.appeal is None or not rule.appeal.complaint:
        return ""
    return rule.appeal.regulator or "the regulator named in the law"


def appeal_decide(*, request: DataSubjectRequest, actor: Actor, outcome: str, explanation: str) -> DataSubjectRequest:
    """Record the appeal's outcome, complete it and tell the subject the outcome and why.

    Where the appeal is denied in whole or part and the law requires it, the email says whom
    to complain to; where the refusal is reversed, that the request will now be carried out.
    """
    if outcome not in AppealOutcome.values:
        raise GuardFailed(f"Unknown appeal outcome {outcome!r}; expected one of {', '.join(AppealOutcome.values)}")
    explanation = explanation.strip()
    if not explanation:
        raise GuardFailed("Explain the decision: the subject is told why")
    with transaction.atomic():
        locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        if locked.request_type != RequestType.APPEAL or locked.appeal_of is None:
            raise GuardFailed(f"Request {locked.reference} is not an appeal")
        if locked.state != State.IN_PROGRESS:
            raise GuardFailed(
                f"Appeal {locked.reference} is {locked.get_state_display().lower()}: "
                "only an appeal in progress can be decided"
            )
        locked.appeal_outcome = outcome
        locked.save(update_fields=["appeal_outcome", "updated_at"])
        # The explanation is the privacy team's text about the subject: sealed as the reason.
        audit_append(
            request=locked,
            request_locked=True,
            actor=actor,
            action="appeal.decided",
            reason=explanation,
            data={"outcome": outcome, "appeal_of": locked.appeal_of.reference},
        )
        transition(locked, State.COMPLETED, actor, data={"appeal_outcome": outcome})
        rule = deadlines.rule_of(locked)
        notify(
            request=locked,
            kind="appeal_decision",
            to=requester_email(locked),
            context={
                "original": locked.appeal_of,
                "outcome": outcome,
                "explanation": explanation,
                "carried_out": outcome in CARRIED_OUT,
                "complaint_to": complaint_to(rule) if outcome in DENIED else "",
                "citation": rule.appeal.citation if rule.appeal is not None else "",
            },
        )
    request.refresh_from_db()
    return request
