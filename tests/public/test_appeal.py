"""An appeal through the public form: linked to the refused request, counted under its law,
and every refusal said beside the reference without telling whose a reference is."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from requests_app.laws import deadlines
from requests_app.models import DataSubjectRequest, EmailMessage, RequestType, State
from tests.factories import request_in_state
from tests.public.test_forms import submit

if TYPE_CHECKING:
    from django.test import Client

pytestmark = pytest.mark.django_db

ADA = "ada@example.org"
NOT_FOUND = "No earlier request of this subject has that reference; check the reference in its emails."


def rejected_deletion(email: str = ADA, jurisdiction: str = "us-va") -> DataSubjectRequest:
    return request_in_state(
        State.REJECTED, request_type=RequestType.DELETION, jurisdiction=jurisdiction, subject_email=email
    )


def appeal(client: Client, reference: str, **overrides: Any) -> Any:
    overrides.setdefault("region", "US-VA")
    return submit(client, request_type="appeal", appeal_of=reference, full_name="Ada Byron", **overrides)


def field_errors(body: str) -> list[str]:
    return re.findall(r'<ul class="errorlist"[^>]*id="id_appeal_of_error"[^>]*>(.*?)</ul>', body, re.S)


def test_an_appeal_of_a_rejected_virginia_deletion_is_created_linked_and_due_in_60_days(client: Client) -> None:
    original = rejected_deletion()
    response = appeal(client, original.reference.lower().replace("-", " "))
    assert response.status_code == 302

    made = DataSubjectRequest.objects.get(request_type=RequestType.APPEAL)
    assert made.appeal_of == original
    assert made.jurisdiction == "us-va"
    assert made.due_at == timezone.localdate(made.received_at) + timedelta(days=60)


def test_the_place_chosen_does_not_decide_an_appeal(client: Client) -> None:
    original = rejected_deletion()
    assert appeal(client, original.reference, region="DE").status_code == 302
    assert DataSubjectRequest.objects.get(request_type=RequestType.APPEAL).jurisdiction == "us-va"


def test_the_status_page_names_the_appealed_request_and_the_appeals_own_due_date(client: Client) -> None:
    original = rejected_deletion()
    appeal(client, original.reference)
    made = DataSubjectRequest.objects.get(request_type=RequestType.APPEAL)
    text = EmailMessage.objects.get(request=made, kind="acknowledgement").body_text
    link = re.search(r"http://\S+(/request/verify/\S+/)", text)
    assert link is not None
    body = client.post(link.group(1), follow=True).content.decode()
    assert f"Your request {original.reference}" in body
    assert "We answer your appeal by" in body
    assert f"{made.due_at:%-d %B %Y}" in body and made.due_at != original.due_at
    assert deadlines.NOT_LEGAL_ADVICE in body


def test_another_persons_reference_reads_the_same_as_a_made_up_one(client: Client) -> None:
    theirs = rejected_deletion(email="grace@example.org")
    made_up = "DSR-0000-0000"
    assert not DataSubjectRequest.objects.filter(reference=made_up).exists()

    answers = []
    for reference in (theirs.reference, made_up):
        response = appeal(client, reference)
        assert response.status_code == 400
        body = response.content.decode().replace(reference, "REFERENCE")
        answers.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body))
    assert answers[0] == answers[1]
    assert NOT_FOUND in answers[0]
    assert field_errors(answers[0]) and 'href="#id_appeal_of"' in answers[0]
    assert DataSubjectRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (State.IN_PROGRESS, "has not been decided yet, so there is nothing to appeal."),
        (State.PENDING_VERIFICATION, "has not been decided yet, so there is nothing to appeal."),
    ],
)
def test_a_request_not_decided_yet_cannot_be_appealed_and_the_form_is_kept(
    client: Client, state: State, message: str
) -> None:
    original = request_in_state(state, request_type=RequestType.DELETION, jurisdiction="us-va", subject_email=ADA)
    response = appeal(client, original.reference, details="Please look again")
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert 'value="Ada Byron"' in body and "Please look again</textarea>" in body
    assert f'value="{original.reference}"' in body
    assert re.search(r'value="appeal"[^>]*checked', body)
    assert DataSubjectRequest.objects.count() == 1


def test_a_request_appealed_already_cannot_be_appealed_again(client: Client) -> None:
    original = rejected_deletion()
    assert appeal(client, original.reference).status_code == 302
    response = appeal(client, original.reference)
    assert response.status_code == 400
    assert "has already been appealed" in response.content.decode()
    assert DataSubjectRequest.objects.filter(request_type=RequestType.APPEAL).count() == 1


def test_a_law_without_an_appeal_to_the_business_says_so_beside_the_reference(client: Client) -> None:
    original = rejected_deletion(jurisdiction="gdpr")
    response = appeal(client, original.reference, region="DE")
    body = response.content.decode()
    assert response.status_code == 400
    assert "gives no right to appeal to the business" in "".join(field_errors(body))


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("", "Give the reference of the request you are appealing."),
        ("   ", "Give the reference of the request you are appealing."),
        ("D" * 5000, "A request reference is at most 20 characters"),
        ("DSR-7KQ2-M9X", "That is not a request reference."),
        ("<script>x</script>", "That is not a request reference."),
    ],
)
def test_a_missing_long_or_malformed_reference_is_refused_and_creates_nothing(
    client: Client, reference: str, message: str
) -> None:
    response = appeal(client, reference)
    body = response.content.decode()
    assert response.status_code == 400
    assert message in "".join(field_errors(body))
    assert "<script>x" not in body
    assert not DataSubjectRequest.objects.exists()


def test_a_reference_is_ignored_for_any_other_request(client: Client) -> None:
    response = submit(client, request_type="access", appeal_of="D" * 5000)
    assert response.status_code == 302
    assert DataSubjectRequest.objects.get().appeal_of is None


def test_a_type_that_does_not_exist_is_refused(client: Client) -> None:
    response = submit(client, request_type="appeal_everything", appeal_of="DSR-7KQ2-M9XD")
    assert response.status_code == 400
    assert "Choose one of the requests listed." in response.content.decode()
    assert not DataSubjectRequest.objects.exists()
