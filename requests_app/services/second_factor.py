"""The second factor of the ``email+fact`` verification policy: a detail the company holds.

After the subject confirms their email address, the phone number or organisation they gave
on the form is compared with what the stores of the data map hold for that address (the
first-wave stores, searched by email). A match verifies the request; anything else leaves
it for the privacy team with a fraud signal. Nothing about the outcome reaches the
requester: they learn neither whether the address has an account nor what is on file.
"""

from __future__ import annotations

import logging
import re

from django.db import transaction

from requests_app.datamap import DataMapError
from requests_app.fulfilment.connectors import ConnectorError, Subject, connector_for
from requests_app.fulfilment.datamap_versions import datamap_current
from requests_app.models import DataSubjectRequest, State, VerificationPolicy
from requests_app.services.requests import request_proceed
from requests_app.verification import fraud
from requests_app.workflow.audit import Actor, audit_append
from requests_app.workflow.transitions import transition

logger = logging.getLogger(__name__)
FACTS = ("phone", "organisation")
NAME = "name"
# The codes this check leaves on a request it hands to staff (the sweeper does not run it again).
CHECK_SIGNALS = frozenset({"second_factor_unchecked", "second_factor_mismatch", "name_differs_from_file"})
ACTOR = Actor.system("second-factor")


def _normal(fact: str, value: object) -> str:
    text = str(value or "").strip()
    if fact == "phone":
        digits = re.sub(r"\D", "", text)
        return digits[-9:]  # the national number: "+33 1 23 45 67 89" and "01 23 45 67 89" agree
    return " ".join(text.casefold().split())


def facts_on_file(email: str) -> dict[str, set[str]]:
    """The phone numbers, organisations and names the stores searched by email hold for ``email``."""
    found: dict[str, set[str]] = {fact: set() for fact in (*FACTS, NAME)}
    subject = Subject.from_dict({"email": [email]})
    for system in datamap_current().systems:
        if set(system.searched_by) != {"email"} or system.kind not in ("sql", "redis"):
            continue
        wanted = {d.name for d in system.datasets if any(f.name in (*FACTS, NAME) for f in d.fields)}
        if not wanted:
            continue
        with connector_for(system) as connector:
            for dataset, record in connector.export(subject):
                if dataset in wanted:
                    for fact in FACTS:
                        if record.get(fact):
                            found[fact].add(_normal(fact, record[fact]))
                    if record.get(NAME):
                        found[NAME].add(str(record[NAME]))
    return found


def request_check_second_factor(request_pk: int) -> bool | None:
    """Verify the request if a detail given matches one on file; None when there is nothing to do."""
    request = DataSubjectRequest.objects.filter(pk=request_pk).first()
    if not _waiting_for_fact(request):
        return None
    assert request is not None  # noqa: S101 - _waiting_for_fact checked it
    given = {f: _normal(f, request.subject_identifiers.get(f)) for f in FACTS if request.subject_identifiers.get(f)}
    try:
        on_file = facts_on_file(request.subject_email)
    except (ConnectorError, DataMapError) as error:
        logger.warning("second factor for %s could not be checked: %s", request.reference, error)
        _leave_for_staff(request, "second_factor_unchecked", "The detail on file could not be read: staff decide.")
        return False
    matched = [fact for fact, value in given.items() if value and value in on_file[fact]]
    if not matched:
        _leave_for_staff(request, "second_factor_mismatch", "No detail given matches one on file: staff decide.")
        return False
    names = on_file[NAME]
    if request.subject_name and names and all(fraud.names_differ(request.subject_name, name) for name in names):
        _leave_for_staff(
            request, "name_differs_from_file", "The name given shares no word with the name on file: staff decide."
        )
        return False
    with transaction.atomic():
        locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        if not _waiting_for_fact(locked):
            return None
        transition(
            locked, State.VERIFIED, ACTOR, reason=f"Email confirmed and the {matched[0]} matches the one on file"
        )
        request_proceed(request=locked)
    return True


def _waiting_for_fact(request: DataSubjectRequest | None) -> bool:
    return (
        request is not None
        and request.state == State.PENDING_VERIFICATION
        and request.verification_policy == VerificationPolicy.EMAIL_AND_FACT
        and request.email_verified_at is not None
    )


def _leave_for_staff(request: DataSubjectRequest, code: str, detail: str) -> None:
    with transaction.atomic():
        locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        if code not in {s.get("code") for s in locked.fraud_signals}:
            locked.fraud_signals = [*locked.fraud_signals, fraud.signal(code, detail)]
            locked.save(update_fields=["fraud_signals", "updated_at"])
        audit_append(
            request=locked,
            request_locked=True,
            actor=ACTOR,
            action="verification.second_factor_not_matched",
            reason=detail,
        )
