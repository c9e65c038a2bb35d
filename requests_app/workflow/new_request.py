"""What every intake knows of a new request, carried unchanged to ``request_create``.

The public form, an email, a request staff enter, the API and an authorised agent each build
one :class:`NewRequest`; ``services.requests.request_submit`` adds what the product decides
(the verification policy, fraud signals) and ``workflow.transitions.request_create`` checks
and records it. A new field of a request is one edit here, and one where it is read.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime


@dataclass(frozen=True)
class NewRequest:
    """A request as it came in: untrusted until ``request_create`` has checked it."""

    channel: str
    request_type: str
    subject_email: str
    subject_name: str = ""
    jurisdiction: str | None = None  # None: the default jurisdiction (DSAR_DEFAULT_JURISDICTION)
    details: str = ""
    identifiers: dict[str, str] | None = None  # more ways to find the subject: {"phone": "..."}
    portability: bool = False  # access only: the data also in a machine-readable form
    agent_name: str = ""  # an authorised agent asking on the subject's behalf
    agent_email: str = ""
    received_at: datetime | None = None  # None: now; may be in the past (a letter's date)
    received_via: str = ""  # entered by staff: phone, letter, in person or other (ReceivedVia)
    appeal_of: str = ""  # an appeal: the reference of the refused request it appeals
    gpc_signal: bool = False  # the browser sent Global Privacy Control (Sec-GPC: 1)
    language: str = ""  # the requester's language (settings.LANGUAGES); empty: LANGUAGE_CODE

    @property
    def is_agent(self) -> bool:
        return bool(self.agent_email)


NEW_REQUEST_FIELDS = frozenset(f.name for f in fields(NewRequest))
