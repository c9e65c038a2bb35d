from __future__ import annotations

import itertools
import threading
from datetime import UTC
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from requests_app.errors import AuditChainBroken
from requests_app.models import AuditChainHead, AuditEvent, AuditEventImmutable, State
from requests_app.workflow.audit import GENESIS_HASH, Actor, audit_append, audit_open, audit_verify, chain_hash
from requests_app.workflow.transitions import transition
from tests.factories import DataSubjectRequestFactory

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("tests")


def _run_verify_audit() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def _tamper(sql: str, params: list[str | int]) -> None:
    """Change the table behind the trigger's back, as only the table's owner could."""
    with connection.cursor() as cursor:
        # Settle the deferred foreign-key checks first: ALTER TABLE waits for none.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE requests_app_auditevent DISABLE TRIGGER requests_app_auditevent_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE requests_app_auditevent ENABLE TRIGGER requests_app_auditevent_append_only")


@pytest.fixture
def three_requests() -> None:
    for _ in range(3):
        request = DataSubjectRequestFactory.create()
        transition(request, State.VERIFIED, SYSTEM)


def test_each_event_links_to_the_one_before_it(three_requests: None) -> None:
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, 7))
    assert events[0].prev_hash == GENESIS_HASH
    for previous, event in itertools.pairwise(events):
        assert event.prev_hash == previous.hash
        assert event.hash == chain_hash(previous.hash, event)
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (6, events[-1].hash)


def test_verify_audit_prints_ok_and_the_number_of_events(three_requests: None) -> None:
    assert _run_verify_audit() == (0, "OK 6 events\n", "")


def test_verify_audit_on_an_empty_trail_is_ok() -> None:
    assert _run_verify_audit() == (0, "OK 0 events\n", "")


def test_the_orm_refuses_to_change_or_remove_an_event(three_requests: None) -> None:
    event = AuditEvent.objects.first()
    assert event is not None
    event.reason = "rewritten"
    with pytest.raises(AuditEventImmutable):
        event.save()
    with pytest.raises(AuditEventImmutable):
        event.delete()
    with pytest.raises(AuditEventImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(AuditEventImmutable):
        AuditEvent.objects.all().delete()
    assert _run_verify_audit()[0] == 0


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE requests_app_auditevent SET reason = 'rewritten'",
        "DELETE FROM requests_app_auditevent",
        "DELETE FROM requests_app_auditchainhead",
    ],
)
def test_postgresql_rejects_raw_changes_to_the_trail(three_requests: None, sql: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert _run_verify_audit() == (0, "OK 6 events\n", "")


def test_verify_audit_names_the_first_event_changed_behind_the_trigger(three_requests: None) -> None:
    _tamper("UPDATE requests_app_auditevent SET reason = %s WHERE seq = %s", ["nothing to see", 3])
    status, out, err = _run_verify_audit()
    assert status == 1
    assert out == ""
    assert "event #3 was changed" in err


def test_verify_audit_notices_a_changed_state_even_with_its_hash_recomputed(three_requests: None) -> None:
    event = AuditEvent.objects.get(seq=2)
    event.to_state = State.REJECTED
    forged = chain_hash(event.prev_hash, event)
    _tamper("UPDATE requests_app_auditevent SET to_state = %s, hash = %s WHERE seq = 2", [State.REJECTED, forged])
    status, _, err = _run_verify_audit()
    assert status == 1
    assert "event #3 does not link" in err


def test_verify_audit_notices_a_removed_event(three_requests: None) -> None:
    _tamper("DELETE FROM requests_app_auditevent WHERE seq = %s", [4])
    status, _, err = _run_verify_audit()
    assert status == 1
    assert "event #4 is missing" in err


def test_verify_audit_notices_events_removed_from_the_end(three_requests: None) -> None:
    _tamper("DELETE FROM requests_app_auditevent WHERE seq >= %s", [5])
    status, _, err = _run_verify_audit()
    assert status == 1
    assert "events were removed" in err


def test_appending_refuses_to_start_a_second_chain_when_the_head_is_gone(three_requests: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE requests_app_auditchainhead DISABLE TRIGGER requests_app_auditchainhead_no_delete")
        cursor.execute("DELETE FROM requests_app_auditchainhead")
        cursor.execute("ALTER TABLE requests_app_auditchainhead ENABLE TRIGGER requests_app_auditchainhead_no_delete")
    with pytest.raises(AuditChainBroken), transaction.atomic():
        audit_append(actor=SYSTEM, action="test.append")
    assert not audit_verify().ok


def test_event_data_is_hashed_as_the_database_returns_it() -> None:
    import datetime
    import decimal

    audit_append(
        actor=SYSTEM,
        action="test.types",
        data={"when": datetime.date(2026, 2, 28), "amount": decimal.Decimal("1.10"), "name": "Zoë 李"},
    )
    assert audit_verify().ok
    assert AuditEvent.objects.get().data == {"when": "2026-02-28", "amount": "1.10", "name": "Zoë 李"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_form_one_unbroken_chain() -> None:
    errors: list[BaseException] = []

    def append_many(worker: int) -> None:
        try:
            for n in range(10):
                with transaction.atomic():
                    audit_append(actor=Actor.system(f"thread-{worker}"), action="test.concurrent", data={"n": n})
        except BaseException as exc:  # report to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append_many, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    report = audit_verify()
    assert (report.ok, report.events) == (True, 40)


def test_an_event_without_sealed_text_hashes_as_events_did_before_sealing_existed() -> None:
    import hashlib
    import json

    event = audit_append(actor=SYSTEM, action="email.dismissed", reason="A sales question", data={"email": 1})
    assert (event.reason, event.sealed) == ("A sales question", "")
    before_sealing = {
        "seq": event.seq,
        "request_id": None,
        "created_at": event.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor,
        "actor_user_id": None,
        "action": event.action,
        "from_state": "",
        "to_state": "",
        "reason": "A sales question",
        "data": {"email": 1},
    }
    content = json.dumps(before_sealing, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert event.hash == hashlib.sha256(GENESIS_HASH.encode() + content).hexdigest()


def test_a_request_event_keeps_its_reason_and_personal_data_sealed_and_readable_through_audit_open() -> None:
    request = DataSubjectRequestFactory.create()
    event = audit_append(
        request=request, actor=SYSTEM, action="request.note", reason="Jane called", personal={"phone": "+1 555"}
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.reason == "" and stored.sealed.startswith("v1:")
    assert "Jane" not in stored.sealed
    opened = audit_open(stored)
    assert (opened.reason, opened.personal, opened.removed) == ("Jane called", {"phone": "+1 555"}, False)
    assert audit_verify().ok


def test_changing_the_sealed_text_breaks_the_chain() -> None:
    request = DataSubjectRequestFactory.create()
    audit_append(request=request, actor=SYSTEM, action="request.note", reason="First")
    second = audit_append(request=request, actor=SYSTEM, action="request.note", reason="Second")
    first = AuditEvent.objects.get(request=request, action="request.note", seq=second.seq - 1)
    _tamper("UPDATE requests_app_auditevent SET sealed = %s WHERE id = %s", [second.sealed, first.pk])
    report = audit_verify()
    assert not report.ok and report.broken_seq == first.seq
    # A ciphertext moved to another event does not open there either.
    assert audit_open(AuditEvent.objects.get(pk=first.pk)).removed
