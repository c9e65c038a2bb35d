"""The API's names of the workflow verbs, and which of them a request allows now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from requests_app.staff.actions import ACTIONS

if TYPE_CHECKING:
    from requests_app.models import DataSubjectRequest

# The API's name (in the URL) -> the staff action that runs it (staff.actions.ACTIONS).
STAFF_ACTION_OF = {
    "verify": "verify",
    "request-information": "ask",
    "approve": "approve",
    "reject": "reject",
    "extend": "extend",
    "assign": "assign",
    "cancel": "cancel",
    "decide-appeal": "decide_appeal",
}


def available_actions(request: DataSubjectRequest) -> list[str]:
    """The API actions the workflow allows on ``request`` now."""
    return [path for path, staff_action in STAFF_ACTION_OF.items() if ACTIONS[staff_action].available(request)]
