"""The workflow verbs of the API: each one is a staff action, run by the same service.

The API names an action as a URL (``request-information``), the staff UI by its form
(``ask``); both run ``staff.actions.ACTIONS[...]`` so the rules, the service and the audit
trail are the same whichever way a person or an integration acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model

from requests_app.api import serializers as api_serializers
from requests_app.api.action_names import STAFF_ACTION_OF, available_actions
from requests_app.errors import ActionNotAvailable, ApplicationError, GuardFailed
from requests_app.staff.actions import ACTIONS, action_refusal_record

if TYPE_CHECKING:
    from rest_framework import serializers

    from requests_app.models import DataSubjectRequest
    from requests_app.workflow.audit import Actor


@dataclass(frozen=True)
class ApiAction:
    path: str  # in the URL: /api/v1/requests/{id}/<path>/
    serializer: type[serializers.Serializer[Any]]
    summary: str

    @property
    def staff_action(self) -> str:
        return STAFF_ACTION_OF[self.path]


API_ACTIONS: tuple[ApiAction, ...] = (
    ApiAction("verify", api_serializers.NoteSerializer, "Mark the subject's identity verified"),
    ApiAction(
        "request-information",
        api_serializers.QuestionSerializer,
        "Ask the requester for more information (emailed; the request pauses)",
    ),
    ApiAction("approve", api_serializers.ApproveSerializer, "Approve the request and start work"),
    ApiAction("reject", api_serializers.RejectSerializer, "Reject the request (the requester is told why)"),
    ApiAction("extend", api_serializers.ReasonSerializer, "Extend the deadline once, telling the requester"),
    ApiAction("assign", api_serializers.AssignSerializer, "Assign the request to a staff member or nobody"),
    ApiAction("cancel", api_serializers.ReasonSerializer, "Cancel the request (the requester is not told)"),
    ApiAction(
        "decide-appeal",
        api_serializers.DecideAppealSerializer,
        "Decide an appeal in progress and close it (the subject is told the outcome and why)",
    ),
)


def _staff_data(action: ApiAction, data: dict[str, Any]) -> dict[str, Any]:
    """The validated API body in the shape the staff action's ``run`` takes.

    The API names an assignee by username, the staff form by id; the staff action itself
    checks that the person may be assigned.
    """
    if action.path != "assign":
        return data
    username = data["assignee"]
    if username is None:
        return {"assignee": ""}
    pk = get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()
    if pk is None:
        raise GuardFailed(f"{username!r} cannot be assigned requests")
    return {"assignee": str(pk)}


def action_run(*, action: ApiAction, request: DataSubjectRequest, actor: Actor, data: dict[str, Any]) -> None:
    """Run ``action`` through its service; a refusal is recorded on the request's trail."""
    staff_action = ACTIONS[action.staff_action]
    try:
        if not staff_action.available(request):
            raise ActionNotAvailable(
                f"Request {request.reference} is {request.get_state_display().lower()}: "
                f"{action.path} is not possible now",
                extra={"state": request.state, "available_actions": available_actions(request)},
            )
        staff_action.run(request, actor, _staff_data(action, data))
    except ApplicationError as error:
        action_refusal_record(request=request, actor=actor, action=action.path, reason=error.message)
        raise
