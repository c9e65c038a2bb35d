"""The reminder scan on a controlled clock: each reminder once, at its offset, whatever runs when.

The clock is the ``now`` the scan is given; the requests are real rows made through the
workflow, the "once" is the database's unique constraint, and two scans racing are two
threads with their own PostgreSQL connections.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from requests_app.models import (
    AuditEvent,
    DataSubjectRequest,
    Direction,
    EmailMessage,
    EmailStatus,
    Reminder,
    ReminderKind,
    StaffPreference,
    State,
    StoreTask,
    StoreTaskState,
)
from requests_app.reminders.scan import reminders_send
from requests_app.staff import roles
from requests_app.workflow.audit import Actor, audit_open
from requests_app.workflow.transitions import request_assign
from tests.concurrency import run_together
from tests.factories import UserFactory, request_in_state

pytestmark = pytest.mark.django_db


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


@pytest.fixture
def team(settings: Any) -> dict[str, User]:
    """An analyst who is assigned work, and an admin; the digest and the team address off by default."""
    settings.DSAR_TEAM_EMAIL = "privacy-team@example.com"
    settings.DSAR_REMINDER_DAYS = [7, 2, 0]
    settings.DSAR_DUTY_WARNING_DAYS = 2
    settings.DSAR_HOLIDAY_COUNTRY = ""
    roles.roles_sync()
    bob = UserFactory.create(username="bob", email="bob@example.com")
    bob.groups.add(Group.objects.get(name=roles.ANALYST))
    alice = UserFactory.create(username="alice", email="alice@example.com")
    alice.groups.add(Group.objects.get(name=roles.ADMIN))
    for person in (bob, alice):
        StaffPreference.objects.create(user=person, daily_digest=False)
    return {"bob": bob, "alice": alice}


def assigned_request(assignee: User | None, *, received: date, **kwargs: Any) -> DataSubjectRequest:
    request = request_in_state(State.IN_PROGRESS, received_at=at(received, 10), **kwargs)
    if assignee is not None:
        request_assign(request=request, actor=Actor.system("tests"), assignee=assignee)
    return DataSubjectRequest.objects.get(pk=request.pk)


def staff_emails(request: DataSubjectRequest) -> list[EmailMessage]:
    return list(EmailMessage.objects.filter(request=request, kind="staff_reminder").order_by("pk"))


def keys_of(request: DataSubjectRequest, *kinds: str) -> list[str]:
    rows = Reminder.objects.filter(request=request)
    if kinds:
        rows = rows.filter(kind__in=kinds)
    return list(rows.order_by("pk").values_list("key", flat=True))


def test_each_deadline_reminder_fires_at_its_offset_once_and_daily_when_overdue(team: dict[str, User]) -> None:
    request = assigned_request(team["bob"], received=date(2026, 11, 2))
    assert request.due_at == date(2026, 12, 2)
    for day in days(date(2026, 11, 20), date(2026, 12, 5)):
        for hour in (0, 9, 18):  # three scans a day: the later ones find nothing new
            reminders_send(now=at(day, hour))
    pk = request.pk
    assert keys_of(request, ReminderKind.DEADLINE, ReminderKind.OVERDUE) == [
        f"deadline:{pk}:2026-12-02:7",
        f"deadline:{pk}:2026-12-02:2",
        f"deadline:{pk}:2026-12-02:0",
        f"overdue:{pk}:2026-12-02:2026-12-03",
        f"overdue:{pk}:2026-12-02:2026-12-04",
        f"overdue:{pk}:2026-12-02:2026-12-05",
    ]
    sent_on = [r.created_at.date() for r in Reminder.objects.filter(request=request, kind=ReminderKind.DEADLINE)]
    assert sent_on == [date(2026, 11, 25), date(2026, 11, 30), date(2026, 12, 2)]
    # The GDPR extension must be told within the first month: one warning, two working days before.
    assert keys_of(request, ReminderKind.EXTENSION) == [f"extension:{pk}:2026-12-02"]
    assert Reminder.objects.get(request=request, kind=ReminderKind.EXTENSION).created_at.date() == date(2026, 11, 30)
    emails = staff_emails(request)
    assert len(emails) == Reminder.objects.filter(request=request).count() == 7
    assert all(email.to_addresses == ["bob@example.com"] for email in emails)


def test_after_three_days_of_downtime_the_latest_due_reminder_goes_out_not_a_flood(team: dict[str, User]) -> None:
    request = assigned_request(team["bob"], received=date(2026, 11, 2))
    reminders_send(now=at(date(2026, 11, 24)))
    assert keys_of(request) == []
    # Nothing ran from the 27th to the 30th: the seven-day reminder was missed; the two-day one goes.
    reminders_send(now=at(date(2026, 11, 30)))
    assert keys_of(request, ReminderKind.DEADLINE) == [f"deadline:{request.pk}:2026-12-02:2"]
    # Down again from the 2nd to the 5th: one overdue reminder, today's.
    reminders_send(now=at(date(2026, 12, 6)))
    assert keys_of(request, ReminderKind.DEADLINE, ReminderKind.OVERDUE) == [
        f"deadline:{request.pk}:2026-12-02:2",
        f"overdue:{request.pk}:2026-12-02:2026-12-06",
    ]


def test_a_late_scan_on_the_same_day_still_sends_that_days_reminder(team: dict[str, User]) -> None:
    request = assigned_request(team["bob"], received=date(2026, 11, 2))
    reminders_send(now=at(date(2026, 11, 25), 23))
    assert keys_of(request, ReminderKind.DEADLINE) == [f"deadline:{request.pk}:2026-12-02:7"]


def test_an_unassigned_request_reminds_the_team_address(team: dict[str, User]) -> None:
    request = assigned_request(None, received=date(2026, 11, 2))
    reminders_send(now=at(date(2026, 11, 25)))
    (email,) = staff_emails(request)
    assert email.to_addresses == ["privacy-team@example.com"]
    event = AuditEvent.objects.get(request=request, action="reminder.sent")
    assert event.data["to"] == "team" and event.data["occasion"] == f"deadline:{request.pk}:2026-12-02:7"


def test_without_a_team_address_every_team_member_with_an_address_is_reminded(
    team: dict[str, User], settings: Any
) -> None:
    settings.DSAR_TEAM_EMAIL = ""
    request = assigned_request(None, received=date(2026, 11, 2))
    reminders_send(now=at(date(2026, 11, 25)))
    (email,) = staff_emails(request)
    assert email.to_addresses == ["alice@example.com", "bob@example.com"]


def test_with_nobody_to_tell_the_record_says_no_reminder_went(team: dict[str, User], settings: Any) -> None:
    settings.DSAR_TEAM_EMAIL = ""
    User.objects.update(email="")
    request = assigned_request(None, received=date(2026, 11, 2))
    reminders_send(now=at(date(2026, 11, 25)))
    reminders_send(now=at(date(2026, 11, 25), 12))
    assert staff_emails(request) == []
    (event,) = AuditEvent.objects.filter(request=request, action__startswith="reminder.")
    assert event.action == "reminder.not_sent"
    assert "DSAR_TEAM_EMAIL" in audit_open(event).reason


def test_a_closed_request_is_never_reminded(team: dict[str, User]) -> None:
    request = request_in_state(State.COMPLETED, received_at=at(date(2026, 11, 2), 10))
    reminders_send(now=at(date(2026, 12, 3)))
    assert keys_of(request) == []


def test_a_reminder_is_on_the_requests_timeline(team: dict[str, User]) -> None:
    request = assigned_request(team["bob"], received=date(2026, 11, 2))
    reminders_send(now=at(date(2026, 11, 25)))
    client = Client()
    client.force_login(team["bob"])
    body = client.get(f"/staff/requests/{request.reference}/").content.decode()
    assert "Reminder sent: deadline approaching (to the assignee)" in body
    assert "Email out: staff_reminder" in body


def test_the_ccpa_receipt_warning_fires_only_while_no_confirmation_was_sent(team: dict[str, User]) -> None:
    # Received Wednesday 18 November 2026 (Thanksgiving on the 26th): due by 3 December, warned on 1 December.
    request = assigned_request(team["bob"], received=date(2026, 11, 18), jurisdiction="ccpa")
    acknowledged = assigned_request(team["bob"], received=date(2026, 11, 18), jurisdiction="ccpa")
    EmailMessage.objects.create(
        direction=Direction.OUTBOUND,
        status=EmailStatus.SENT,
        kind="acknowledgement",
        request=acknowledged,
        message_id="ack-sent@example.com",
        to_addresses=[acknowledged.subject_email],
    )
    for day in days(date(2026, 11, 25), date(2026, 12, 8)):
        reminders_send(now=at(day))
    assert keys_of(request, ReminderKind.ACKNOWLEDGEMENT) == [f"acknowledgement:{request.pk}:2026-12-03"]
    sent = Reminder.objects.get(request=request, kind=ReminderKind.ACKNOWLEDGEMENT)
    assert sent.created_at.date() == date(2026, 12, 1)
    assert keys_of(acknowledged, ReminderKind.ACKNOWLEDGEMENT) == []
    email = next(e for e in staff_emails(request) if "confirm receipt" in e.subject.lower())
    assert "Thursday 3 December 2026" in email.body_text and "11 CCR §7021(a)" in email.body_text


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_scan_together_send_each_reminder_once(settings: Any) -> None:
    settings.DSAR_TEAM_EMAIL = "privacy-team@example.com"
    settings.DSAR_REMINDER_DAYS = [7, 2, 0]
    settings.DSAR_HOLIDAY_COUNTRY = ""
    requests = [assigned_request(None, received=date(2026, 11, 2)) for _ in range(8)]
    now = at(date(2026, 11, 30))
    errors = run_together(lambda: reminders_send(now=now))
    assert errors == []
    for request in requests:
        # The two-day reminder and the extension warning, each once, each with one email and one event.
        assert sorted(keys_of(request)) == [
            f"deadline:{request.pk}:2026-12-02:2",
            f"extension:{request.pk}:2026-12-02",
        ]
        assert len(staff_emails(request)) == 2
        assert AuditEvent.objects.filter(request=request, action="reminder.sent").count() == 2


# --- The daily digest -------------------------------------------------------------------------


def digests(user: User) -> list[Reminder]:
    return list(Reminder.objects.filter(user=user, kind=ReminderKind.DIGEST).order_by("pk"))


def test_the_digest_goes_once_a_day_per_person_from_the_configured_local_hour(
    team: dict[str, User], settings: Any
) -> None:
    settings.TIME_ZONE = "America/Los_Angeles"
    settings.DSAR_DIGEST_HOUR = 8
    StaffPreference.objects.filter(user=team["bob"]).update(daily_digest=True)
    assigned_request(team["bob"], received=date(2026, 11, 2))
    # 15:00 UTC is 07:00 in Los Angeles: not yet. 16:00 UTC is 08:00: the digest goes, once.
    reminders_send(now=datetime(2026, 12, 1, 15, 0, tzinfo=UTC))
    assert digests(team["bob"]) == []
    for minute in (0, 15, 30):
        reminders_send(now=datetime(2026, 12, 1, 16, minute, tzinfo=UTC))
    reminders_send(now=datetime(2026, 12, 2, 7, 30, tzinfo=UTC))  # 23:30 on the 1st in Los Angeles
    assert [r.key for r in digests(team["bob"])] == [f"digest:{team['bob'].pk}:2026-12-01"]
    reminders_send(now=datetime(2026, 12, 2, 16, 0, tzinfo=UTC))
    assert [r.key for r in digests(team["bob"])][-1] == f"digest:{team['bob'].pk}:2026-12-02"
    assert digests(team["alice"]) == [], "alice turned hers off"
    email = EmailMessage.objects.filter(kind="staff_digest").latest("pk")
    assert email.to_addresses == ["bob@example.com"] and email.request is None


def test_after_an_outage_the_digest_is_todays_only(team: dict[str, User]) -> None:
    StaffPreference.objects.filter(user=team["bob"]).update(daily_digest=True)
    assigned_request(team["bob"], received=date(2026, 11, 2))
    reminders_send(now=at(date(2026, 11, 27)))
    reminders_send(now=at(date(2026, 12, 1)))
    assert [r.key.rsplit(":", 1)[1] for r in digests(team["bob"])] == ["2026-11-27", "2026-12-01"]


def test_the_digest_lists_open_requests_by_urgency_and_what_waits(team: dict[str, User]) -> None:
    StaffPreference.objects.filter(user=team["bob"]).update(daily_digest=True)
    overdue = assigned_request(team["bob"], received=date(2026, 10, 1))
    soon = assigned_request(team["bob"], received=date(2026, 11, 5))
    later = assigned_request(team["bob"], received=date(2026, 11, 28))
    waiting = request_in_state(State.AWAITING_APPROVAL, received_at=at(date(2026, 11, 20)))
    request_assign(request=waiting, actor=Actor.system("tests"), assignee=team["bob"])
    unassigned = assigned_request(None, received=date(2026, 11, 25))
    closed = request_in_state(State.COMPLETED, received_at=at(date(2026, 11, 20)))
    request_assign(request=closed, actor=Actor.system("tests"), assignee=team["bob"])
    reminders_send(now=at(date(2026, 12, 1)))
    email = EmailMessage.objects.get(kind="staff_digest")
    text = email.body_text
    assert text.index("OVERDUE") < text.index(overdue.reference) < text.index("DUE SOON")
    assert text.index("DUE SOON") < text.index(soon.reference) < text.index("LATER") < text.index(later.reference)
    assert text.index("WAITING FOR YOU") < text.rindex(waiting.reference)
    assert text.index("UNASSIGNED (1)") < text.index(unassigned.reference)
    assert closed.reference not in text
    for request in (overdue, soon, later, waiting, unassigned):
        assert request.subject_email not in text and request.subject_email not in email.body_html
    assert "/staff/preferences/" in text


def test_a_person_with_nothing_open_gets_no_digest(team: dict[str, User]) -> None:
    StaffPreference.objects.filter(user=team["bob"]).update(daily_digest=True)
    reminders_send(now=at(date(2026, 12, 1)))
    assert digests(team["bob"]) == []


def test_a_person_turns_the_digest_off_on_the_preferences_page(team: dict[str, User]) -> None:
    StaffPreference.objects.filter(user=team["bob"]).update(daily_digest=True)
    client = Client()
    client.force_login(team["bob"])
    page = client.get("/staff/preferences/")
    assert page.status_code == 200 and "Send me the daily digest" in page.content.decode()
    assert client.post("/staff/preferences/", {}).status_code == 302  # an unticked box is not sent
    assert StaffPreference.objects.get(user=team["bob"]).daily_digest is False
    assigned_request(team["bob"], received=date(2026, 11, 2))
    reminders_send(now=at(date(2026, 12, 1)))
    assert digests(team["bob"]) == []


# --- The subject's verification reminder -----------------------------------------------------


def test_the_subject_is_reminded_once_a_day_before_the_window_closes_with_a_fresh_link(settings: Any) -> None:
    settings.DSAR_VERIFICATION_WINDOW_DAYS = 14
    settings.DSAR_VERIFICATION_REMINDER_HOURS = 24
    received = datetime(2026, 11, 17, 10, tzinfo=UTC)
    request = request_in_state(State.PENDING_VERIFICATION, received_at=received)
    reminders_send(now=received + timedelta(days=12, hours=23))
    assert keys_of(request) == []
    reminders_send(now=received + timedelta(days=13, hours=1))
    reminders_send(now=received + timedelta(days=13, hours=5))
    assert keys_of(request) == [f"verification:{request.pk}"]
    (email,) = EmailMessage.objects.filter(request=request, kind="verification_reminder")
    assert email.to_addresses == [request.subject_email]
    assert "/request/verify/" in email.body_text and "1 December 2026" in email.body_text
    assert request.challenges.filter(used_at__isnull=True, superseded_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(request=request, action="reminder.sent", data__to="subject").exists()


def test_a_subject_who_confirmed_is_not_reminded(settings: Any) -> None:
    received = datetime(2026, 11, 17, 10, tzinfo=UTC)
    request = request_in_state(State.VERIFIED, received_at=received)
    reminders_send(now=received + timedelta(days=13, hours=1))
    assert keys_of(request) == []


# --- Failure alerts ----------------------------------------------------------------------------


def store_task(request: DataSubjectRequest, state: StoreTaskState, since: datetime, **fields: Any) -> StoreTask:
    return StoreTask.objects.create(
        request=request,
        system=fields.pop("system", "crm"),
        kind="sql",
        action="resolve",
        step=0,
        state=state,
        state_changed_at=since,
        **fields,
    )


def test_a_store_that_failed_after_its_retries_is_alerted_once_per_failure(team: dict[str, User]) -> None:
    request = assigned_request(team["bob"], received=date(2026, 11, 28))
    failed_at = at(date(2026, 12, 1), 8)
    task = store_task(request, StoreTaskState.FAILED, failed_at, attempts=5, error="connection refused")
    reminders_send(now=at(date(2026, 12, 1)))
    reminders_send(now=at(date(2026, 12, 1), 10))
    (alert,) = Reminder.objects.filter(request=request, kind=ReminderKind.STORE_FAILED)
    email = EmailMessage.objects.get(request=request, kind="staff_alert")
    assert email.to_addresses == ["privacy-team@example.com"]
    assert "crm failed after 5 attempts" in email.subject + email.body_text
    assert "connection refused" in email.body_text
    assert f"/staff/requests/{request.reference}/stores/" in email.body_text
    # Staff retry it and it fails again: a new episode, a new alert.
    StoreTask.objects.filter(pk=task.pk).update(state_changed_at=at(date(2026, 12, 2), 8))
    reminders_send(now=at(date(2026, 12, 2)))
    assert Reminder.objects.filter(request=request, kind=ReminderKind.STORE_FAILED).count() == 2
    assert alert.key.startswith(f"store_failed:{task.pk}:")


def test_a_manual_step_is_alerted_once_it_has_waited_longer_than_the_threshold(
    team: dict[str, User], settings: Any
) -> None:
    settings.DSAR_MANUAL_TASK_ALERT_HOURS = 48
    request = assigned_request(team["bob"], received=date(2026, 11, 28))
    waiting_since = at(date(2026, 11, 29), 9)
    store_task(request, StoreTaskState.MANUAL, waiting_since, system="billing")
    reminders_send(now=waiting_since + timedelta(hours=47))
    assert keys_of(request, ReminderKind.STORE_WAITING) == []
    reminders_send(now=waiting_since + timedelta(hours=49))
    reminders_send(now=waiting_since + timedelta(hours=60))
    assert len(keys_of(request, ReminderKind.STORE_WAITING)) == 1
    email = EmailMessage.objects.get(request=request, kind="staff_alert")
    assert "billing" in email.subject and "has waited 49 hours" in email.body_text


def test_no_alert_for_the_stores_of_a_closed_request(team: dict[str, User]) -> None:
    request = request_in_state(State.CANCELLED, received_at=at(date(2026, 11, 28)))
    store_task(request, StoreTaskState.FAILED, at(date(2026, 11, 30)))
    reminders_send(now=at(date(2026, 12, 1)))
    assert keys_of(request) == []


def test_a_failed_store_alerts_the_owner_the_data_map_names_and_the_team(team: dict[str, User]) -> None:
    from requests_app.fulfilment.datamap_versions import datamap_import
    from tests.fanout_helpers import MANUAL_MAP

    owned = {
        **MANUAL_MAP,
        "version": "owned",
        "systems": [{**MANUAL_MAP["systems"][0], "owner": "crm-owner@example.com"}],
    }
    version = datamap_import(owned, actor=Actor.system("tests"))
    request = assigned_request(team["bob"], received=date(2026, 11, 28))
    DataSubjectRequest.objects.filter(pk=request.pk).update(datamap_version=version)
    store_task(request, StoreTaskState.FAILED, at(date(2026, 12, 1), 8), attempts=5, error="HTTP 503")
    reminders_send(now=at(date(2026, 12, 1)))
    email = EmailMessage.objects.get(request=request, kind="staff_alert")
    assert email.to_addresses == ["crm-owner@example.com", "privacy-team@example.com"]
    assert "as the owner of crm named in the data map" in email.body_text
    assert AuditEvent.objects.get(request=request, action="reminder.sent").data["to"] == "owner and team"
