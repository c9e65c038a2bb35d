"""Starting points for the reason a request is rejected; the subject is told the reason.

Edit this list to change the templates: each is (key, title shown to staff, text). Staff
pick one, then edit the text before sending, so a template is never sent unread.
"""

from __future__ import annotations

from typing import NamedTuple


class ReasonTemplate(NamedTuple):
    key: str
    title: str
    text: str
    # The ground the rejection form starts with (a RejectionCategory value); staff may change it.
    category: str = "other"


REJECTION_REASONS: tuple[ReasonTemplate, ...] = (
    ReasonTemplate(
        "identity",
        "Identity could not be confirmed",
        "We could not confirm that this request comes from the person whose data it concerns, "
        "so we cannot act on it. You are welcome to make a new request and confirm your identity.",
        "not_verified",
    ),
    ReasonTemplate(
        "unfounded",
        "Manifestly unfounded or excessive",
        "We consider this request manifestly unfounded or excessive (GDPR Art. 12(5)), "
        "because it repeats a request we answered recently without new circumstances.",
    ),
    ReasonTemplate(
        "no_data",
        "We hold no data about the subject",
        "After searching our systems we found no personal data about you, so there is nothing to "
        "give, correct or delete.",
    ),
    ReasonTemplate(
        "legal_hold",
        "Deletion refused: we must keep the data",
        "We cannot delete the data because the law requires us to keep it (for example tax and "
        "accounting records). We will delete it when that obligation ends.",
        "exempt",
    ),
    ReasonTemplate(
        "agent",
        "Agent's authorisation not sufficient",
        "The authorisation you sent does not show that you may act for this person. Please send a "
        "signed authorisation, or ask the person to make the request themselves.",
    ),
)


def reason_template(key: str) -> ReasonTemplate | None:
    return next((template for template in REJECTION_REASONS if template.key == key), None)
