"""What staff can do to one request: which actions the workflow allows now, and how each runs.

Each action is one form and one call to a service (``services``, ``workflow``, or
``request_note_add`` here), which changes the request and writes the audit trail in one
transaction. The request page shows an action only when ``available`` says the workflow's
transition table allows it from the current state; the service checks again under lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import dateformat

from requests_app.errors import GuardFailed
from requests_app.fulfilment import results as fulfilment
from requests_app.laws import deadlines
from requests_app.models import AuditEvent, DataSubjectRequest, RequestType, State
from requests_app.services import appeals
from requests_app.services import requests as services
from requests_app.staff import forms as staff_forms
from requests_app.staff.correction_review import correction_review
from requests_app.staff.selectors import assignable_users
from requests_app.workflow.audit import Actor, audit_append
from requests_app.workflow.jurisdiction import request_jurisdiction_change
from requests_app.workflow.transitions import TRANSITIONS, completion_blockers, request_assign

if TYPE_CHECKING:
    from collections.abc import Callable

    from django import forms

    from requests_app.fulfilment.current_values import StoreValues


MINIMISED = "The personal data of this request was removed under the retention rule: nothing more is written to it"


def request_note_add(*, request: DataSubjectRequest, actor: Actor, note: str) -> AuditEvent:
    """Put an internal note on the request's audit trail; the requester is not told."""
    if not note.strip():
        raise GuardFailed("A note needs some text")
    request.refresh_from_db(fields=["minimised_at"])
    if request.is_minimised:
        raise GuardFailed(MINIMISED)
    with transaction.atomic():
        return audit_append(request=request, actor=actor, action="request.note", reason=note.strip())


def action_refusal_record(*, request: DataSubjectRequest, actor: Actor, action: str, reason: str) -> None:
    """Put a refused action (the workflow said no, and why) on the request's audit trail."""
    with transaction.atomic():
        audit_append(request=request, actor=actor, action="action.refused", reason=reason, data={"action": action})


def _can_move(request: DataSubjectRequest, target: State) -> bool:
    """Whether the transition table allows ``target`` now, including the pause's guard: a
    paused request may only go back where it paused, or be rejected or cancelled."""
    state = State(request.state)
    if target not in TRANSITIONS[state]:
        return False
    if state == State.AWAITING_REQUESTER:
        return target in (State.REJECTED, State.CANCELLED)
    return True


def _can_extend(request: DataSubjectRequest) -> bool:
    return (
        request.is_open
        and not request.is_extended
        and deadlines.rule_of(request).timing(request.request_type).extension is not None
    )


def assignee_choices() -> list[tuple[str, str]]:
    return [(str(user.pk), user.get_full_name() or user.get_username()) for user in assignable_users()]


def assignee_from_choice(value: str) -> Any | None:
    """The user chosen as assignee ("" for nobody); only someone who may act on requests."""
    if not value:
        return None
    user = assignable_users().filter(pk=int(value)).first() if value.isdigit() else None
    if user is None:
        raise GuardFailed("That person cannot be assigned requests")
    return user


def _assign(request: DataSubjectRequest, actor: Actor, data: dict[str, Any]) -> None:
    request_assign(request=request, actor=actor, assignee=assignee_from_choice(data["assignee"]))


def _resume(request: DataSubjectRequest, actor: Actor, data: dict[str, Any]) -> None:
    services.request_resume(request=request, actor=actor, note=data["note"])


@dataclass(frozen=True)
class Action:
    name: str
    title: str
    button: str
    form_class: type[forms.Form]
    available: Callable[[DataSubjectRequest], bool]
    run: Callable[[DataSubjectRequest, Actor, dict[str, Any]], object]
    done: str
    hint: str = ""
    danger: bool = False
    # A hint that depends on the request (what still stands in the way), instead of ``hint``.
    explain: Callable[[DataSubjectRequest], str] | None = None
    # A success message that names what changed (the new due date), instead of ``done``.
    done_for: Callable[[DataSubjectRequest], str] | None = None

    def hint_for(self, request: DataSubjectRequest) -> str:
        return self.explain(request) if self.explain is not None else self.hint

    def done_message(self, request: DataSubjectRequest) -> str:
        return self.done_for(request) if self.done_for is not None else self.done


def _change_jurisdiction(request: DataSubjectRequest, actor: Actor, data: dict[str, Any]) -> None:
    request_jurisdiction_change(request=request, actor=actor, jurisdiction=data["jurisdiction"], reason=data["reason"])


def _jurisdiction_changed(request: DataSubjectRequest) -> str:
    rule = deadlines.rule_of(request)
    due = dateformat.format(request.due_at, "j M Y")
    return (
        f"The request now answers to {rule.label} (rule version {rule.version}). "
        f"It is due {due}, counted again from the day it was received. {deadlines.NOT_LEGAL_ADVICE}"
    )


def _completion_hint(request: DataSubjectRequest) -> str:
    if not request.store_tasks.exists():
        return "No store was searched. Completing says why (the subject is told), for example: no personal data held."
    blockers = completion_blockers(request)
    if blockers:
        return "Not yet: " + " ".join(blockers)
    return "Every store has an outcome and the result is ready."


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            "verify",
            "Verify the identity manually",
            "Mark verified",
            staff_forms.VerifyForm,
            lambda r: r.state == State.PENDING_VERIFICATION and _can_move(r, State.VERIFIED),
            lambda r, actor, d: services.request_verify_manually(request=r, actor=actor, note=d["note"]),
            "The request is verified.",
            hint="For example after checking an agent's signed authorisation, or a detail the company holds.",
        ),
        Action(
            "approve",
            "Approve",
            "Approve and start work",
            staff_forms.ApproveForm,
            lambda r: r.state in (State.VERIFIED, State.AWAITING_APPROVAL) and _can_move(r, State.IN_PROGRESS),
            lambda r, actor, d: services.request_approve(
                request=r,
                actor=actor,
                note=d["note"],
                corrections=d["corrections"] if r.request_type == RequestType.CORRECTION else None,
                refusals=d.get("refusals") if r.request_type == RequestType.CORRECTION else None,
            ),
            "The request is approved and in progress.",
        ),
        Action(
            "restart",
            "Start the stores",
            "Start the stores",
            staff_forms.RestartForm,
            lambda r: r.state == State.NEEDS_ATTENTION and not r.store_tasks.exists(),
            lambda r, actor, d: services.request_start(request=r, actor=actor, reason="Stores started again"),
            "The request is back at work.",
            hint="For a request whose stores could not start, once the data map is fixed.",
        ),
        Action(
            "remake",
            "Make the result again",
            "Make the result again",
            staff_forms.RemakeForm,
            fulfilment.result_can_be_retried,
            lambda r, actor, d: fulfilment.result_retry(request=r, actor=actor),
            "The result is being made again.",
            hint="Every store has its outcome, but the result could not be made (see the timeline for why).",
        ),
        Action(
            "resume",
            "The requester answered",
            "Resume the request",
            staff_forms.ResumeForm,
            lambda r: r.state == State.AWAITING_REQUESTER,
            _resume,
            "The request is resumed.",
            hint="Returns the request to where it paused; where the law allows, the paused days are added.",
        ),
        Action(
            "reply",
            "Reply to the requester",
            "Send the reply",
            staff_forms.ReplyForm,
            lambda r: r.is_open and r.email_verified_at is not None,
            lambda r, actor, d: services.request_reply(request=r, actor=actor, message=d["message"]),
            "The reply is on its way.",
            hint="Only once the requester's address is confirmed: nothing about a request reaches anyone before.",
        ),
        Action(
            "ask",
            "Ask the requester for more information",
            "Send the question",
            staff_forms.AskForm,
            lambda r: _can_move(r, State.AWAITING_REQUESTER),
            lambda r, actor, d: services.request_ask_requester(request=r, actor=actor, question=d["question"]),
            "The question is on its way; the request waits for the answer.",
        ),
        Action(
            "extend",
            "Extend the deadline",
            "Extend the deadline",
            staff_forms.ExtendForm,
            _can_extend,
            lambda r, actor, d: services.request_extend_with_notice(request=r, actor=actor, reason=d["reason"]),
            "The deadline is extended and the requester is told.",
        ),
        Action(
            "jurisdiction",
            "Change jurisdiction",
            "Change the jurisdiction",
            staff_forms.JurisdictionForm,
            lambda r: r.is_open,
            _change_jurisdiction,
            "The jurisdiction is changed.",
            hint="For a request filed under the wrong law. The requester is not emailed.",
            done_for=_jurisdiction_changed,
        ),
        Action(
            "assign",
            "Assign",
            "Assign",
            staff_forms.AssignForm,
            lambda r: r.is_open,
            _assign,
            "The assignee is changed.",
        ),
        Action(
            "note",
            "Add an internal note",
            "Add the note",
            staff_forms.NoteForm,
            lambda r: True,
            lambda r, actor, d: request_note_add(request=r, actor=actor, note=d["note"]),
            "The note is on the record.",
        ),
        Action(
            "complete",
            "Complete",
            "Mark completed",
            staff_forms.CompleteForm,
            lambda r: _can_move(r, State.COMPLETED) and r.request_type != RequestType.APPEAL,
            lambda r, actor, d: fulfilment.request_complete(request=r, actor=actor, reason=d.get("reason", "")),
            "The request is completed and the subject is told.",
            explain=_completion_hint,
        ),
        Action(
            "decide_appeal",
            "Decide the appeal",
            "Decide the appeal",
            staff_forms.DecideAppealForm,
            lambda r: r.request_type == RequestType.APPEAL and r.state == State.IN_PROGRESS,
            lambda r, actor, d: appeals.appeal_decide(
                request=r, actor=actor, outcome=d["outcome"], explanation=d["explanation"]
            ),
            "The appeal is decided and the subject is told.",
        ),
        Action(
            "reject",
            "Reject",
            "Reject the request",
            staff_forms.RejectForm,
            lambda r: _can_move(r, State.REJECTED),
            lambda r, actor, d: services.request_reject(
                request=r, actor=actor, reason=d["reason"], category=d["category"]
            ),
            "The request is rejected and the requester is told why.",
            danger=True,
        ),
        Action(
            "cancel",
            "Cancel",
            "Cancel the request",
            staff_forms.CancelForm,
            lambda r: _can_move(r, State.CANCELLED),
            lambda r, actor, d: services.request_cancel(request=r, actor=actor, reason=d["reason"]),
            "The request is cancelled.",
            danger=True,
        ),
    )
}


def action_form(
    action: Action,
    *,
    data: Any = None,
    initial: dict[str, Any] | None = None,
    request: DataSubjectRequest | None = None,
    review_data: Any = None,
    values: dict[str, StoreValues] | None = None,
) -> forms.Form:
    """The action's form; for a correction's approval, with a row per correctable field.

    ``review_data`` fills the rows with what was posted without binding the form (the page
    that shows the current values keeps what was typed, with no errors yet); ``values`` are
    the current values read for this page.
    """
    kwargs: dict[str, Any] = {"data": data, "initial": initial, "prefix": action.name}
    if action.form_class is staff_forms.AssignForm:
        kwargs["assignees"] = assignee_choices()
    if action.form_class is staff_forms.ApproveForm and request and request.request_type == RequestType.CORRECTION:
        kwargs["review"] = correction_review(prefix=action.name, data=data or review_data, values=values)
    form = action.form_class(**kwargs)
    if action.name == "complete" and request is not None and request.store_tasks.exists():
        # The reason is for a request that reached no store; one whose stores ran has outcomes.
        del form.fields["reason"]
    if action.name == "approve" and request is not None and request.request_type != RequestType.CORRECTION:
        # Only a correction approves changes; the field would only be noise on the others.
        del form.fields["corrections"]
    return form
