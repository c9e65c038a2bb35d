"""Which law a new request is counted under, whether that law gives its type, and its due date.

An appeal is counted under the law of the request it appeals (at the version in force the day
the appeal arrives), from its own receipt, with the law's appeal period. The other types take
the rule of their jurisdiction in force on the day of receipt. The three core types (access,
correction, deletion) are always accepted: a company may grant a right its law does not
require, and refusing to record a request would lose it. The types only some laws create
(opt-out, limit, restriction, objection, appeal) are accepted where the law gives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from requests_app.errors import GuardFailed
from requests_app.laws import deadlines
from requests_app.laws.rules import CORE_TYPES
from requests_app.models import DataSubjectRequest, RequestType, State
from requests_app.workflow.references import reference_normalize

if TYPE_CHECKING:
    import datetime

    from requests_app.laws.rules import Rule
    from requests_app.workflow.new_request import NewRequest

# A refusal can be appealed: a rejection, a request closed because the identity was never
# verified, or a completed request the subject thinks was only partly granted.
APPEALABLE_STATES = frozenset({State.REJECTED, State.COMPLETED, State.CLOSED_UNVERIFIED})


@dataclass(frozen=True)
class Counted:
    rule: Rule
    due: datetime.date
    appeal_of: DataSubjectRequest | None = None


def type_words(request_type: str) -> str:
    return str(RequestType(request_type).label).split(" (")[0].lower()


def counted_new_request(new: NewRequest, received: datetime.date) -> Counted:
    """The rule and due date of ``new``, or GuardFailed / UnknownJurisdiction saying why not."""
    if new.request_type == RequestType.APPEAL:
        return _appeal(new, received)
    if new.appeal_of:
        raise GuardFailed("Only an appeal names an earlier request")
    rule = deadlines.get_rule(new.jurisdiction or settings.DSAR_DEFAULT_JURISDICTION, received=received)
    if new.request_type not in CORE_TYPES and new.request_type not in rule.request_types:
        offered = ", ".join(type_words(t) for t in sorted(rule.request_types) if t != RequestType.APPEAL)
        raise GuardFailed(
            f"{rule.label} gives no right to {type_words(new.request_type)}; it gives: {offered}.",
            extra={"jurisdiction": rule.code, "request_types": sorted(rule.request_types)},
        )
    due = deadlines.due_date(rule.code, received, request_type=new.request_type, version=rule.version).due
    return Counted(rule=rule, due=due)


def _appeal(new: NewRequest, received: datetime.date) -> Counted:
    original = _original(new)
    rule = deadlines.get_rule(original.jurisdiction, received=received)
    if rule.appeal is None:
        raise GuardFailed(
            f"{rule.label} gives no right to appeal to the business; the subject may complain to the regulator."
        )
    if original.closed_at is not None:
        refused = timezone.localdate(original.closed_at)
        last_day = deadlines.appeal_file_by(rule.code, refused, version=rule.version)
        if last_day is not None and received > last_day:
            raise GuardFailed(
                f"The time to appeal request {original.reference} ended on {last_day.isoformat()} "
                f"({rule.appeal.citation})."
            )
    due = deadlines.appeal_due(rule.code, received, version=rule.version).due
    return Counted(rule=rule, due=due, appeal_of=original)


def _original(new: NewRequest) -> DataSubjectRequest:
    """The appealed request: the same subject's, refused, and not already under appeal.

    Not found and not this subject's read the same, so an appeal form cannot be used to learn
    whether a reference exists.
    """
    reference = reference_normalize(new.appeal_of or "")
    original = (
        DataSubjectRequest.objects.select_for_update()
        .filter(reference=reference, subject_email__iexact=new.subject_email.strip())
        .first()
        if reference
        else None
    )
    if original is None:
        raise GuardFailed("No earlier request of this subject has that reference; check the reference in its emails.")
    if original.request_type == RequestType.APPEAL:
        raise GuardFailed(f"{original.reference} is itself an appeal; its decision is final with the business.")
    if original.state not in APPEALABLE_STATES:
        raise GuardFailed(f"Request {original.reference} has not been decided yet, so there is nothing to appeal.")
    pending = original.appeals.exclude(state__in=[State.CANCELLED, State.CLOSED_UNVERIFIED]).first()
    if pending is not None:
        raise GuardFailed(f"Request {original.reference} has already been appealed.")
    return original


def needs_verification(request: DataSubjectRequest) -> bool:
    """Whether the request's law lets the business ask the subject to prove who they are.

    CCPA regulations §7026(d) and §7027: an opt-out of sale/sharing or a request to limit is
    not a verifiable consumer request; Colorado's rules (4 CCR 904-3 Rule 4.03) likewise.
    """
    rule = deadlines.rule_of(request)
    return rule.timing(request.request_type).verification == "required"


@dataclass(frozen=True)
class AppealOffer:
    """What a decided request's subject is told of their appeal: the answer's period, the last
    day to file where the law sets one, and the law's article."""

    answer_within: str
    file_by: datetime.date | None
    citation: str


def appeal_offer(request: DataSubjectRequest) -> AppealOffer | None:
    """How the subject of a refused or completed ``request`` may appeal, or None where its law gives no appeal.

    Several state laws require a refusal to say how to appeal it (e.g. Va. Code §59.1-577(B)).
    """
    if request.request_type == RequestType.APPEAL:
        return None  # an appeal's decision is final with the business
    rule = deadlines.rule_of(request)
    if rule.appeal is None:
        return None
    decided = timezone.localdate(request.closed_at) if request.closed_at else timezone.localdate()
    return AppealOffer(
        answer_within=str(rule.appeal.answer_within),
        file_by=deadlines.appeal_file_by(rule.code, decided, version=rule.version),
        citation=rule.appeal.citation,
    )
