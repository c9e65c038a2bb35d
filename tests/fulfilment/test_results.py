"""The record of what happened, built from store tasks: each line says only what the task shows.

Plain task rows (not saved) in, the lines of the record out: the words a program's result
and a person's outcome get, who is told of an erasure, and what is never called "nothing
found" or "searched".
"""

from __future__ import annotations

from datetime import UTC, datetime

from demo import DEMO_DATAMAP_PATH
from requests_app.datamap import load_datamap_file
from requests_app.fulfilment import recipients
from requests_app.fulfilment.results import PROCESSOR_NOTE, erasure_outcomes, store_record
from requests_app.models import StoreTask

DEMO = load_datamap_file(DEMO_DATAMAP_PATH)
WHEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def task(system: str, action: str, state: str = "done", **fields: object) -> StoreTask:
    kind = DEMO.get_system(system).kind if DEMO.get_system(system) else "manual"  # type: ignore[union-attr]
    return StoreTask(system=system, kind=kind, action=action, step=0, state=state, **fields)


def erased(deleted: int = 0, retained: int = 0, matched: int | None = None, **more: int) -> dict[str, object]:
    counts = {"matched": deleted + retained if matched is None else matched, "deleted": deleted, "retained": retained}
    return {"status": "done", "datasets": {"invoices": {**counts, **more}}}


def test_a_search_a_program_did_names_its_identifiers_and_counts() -> None:
    record = store_record(
        task("accounts", "resolve", searched_with={"email": ["a@example.org"]}, counts={"found": {"users": 1}})
    )
    assert (record.words, record.done, record.by) == ("Searched", True, "")
    assert record.searched_with == (("email", ("a@example.org",)),)
    assert record.found == (("users", 1),)


def test_a_store_with_nothing_to_search_by_is_not_searched_and_says_why() -> None:
    record = store_record(task("billing", "resolve", counts={"not_searched": "no_identifiers", "missing": ["user_id"]}))
    assert (record.words, record.done) == ("Not searched", False)
    assert "we hold no user_id for you" in record.note
    assert record.found == ()


def test_many_identifier_values_are_shortened() -> None:
    record = store_record(task("web_analytics", "resolve", searched_with={"cookie_id": list("abcdef")}))
    assert record.searched_with == (("cookie_id", ("a", "b", "c", "and 3 more")),)


def test_a_persons_outcome_names_them_and_what_they_said() -> None:
    resolved = task(
        "web_analytics", "erase", "resolved", outcome="done_by_hand", note="Deleted in the console",
        resolved_by="Bob Analyst", finished_at=WHEN, attachment_name="confirmation.png",
    )  # fmt: skip
    record = store_record(resolved)
    assert (record.words, record.by, record.at, record.note) == (
        "Erased by hand",
        "Bob Analyst",
        WHEN,
        "Deleted in the console",
    )
    assert record.evidence == "confirmation.png"
    (outcome,) = erasure_outcomes([resolved])
    assert (outcome.words, outcome.by, outcome.note, outcome.action_counts) == (
        "Erased by hand", "Bob Analyst", "Deleted in the console", {},
    )  # fmt: skip


def test_an_outcome_not_done_is_not_done() -> None:
    outcome = erasure_outcomes([task("billing", "erase", "resolved", outcome="not_done", note="Legal dispute")])[0]
    assert (outcome.words, outcome.done) == ("Not erased", False)


def test_a_dataset_whose_rows_were_all_kept_reads_kept_not_erased() -> None:
    (outcome,) = erasure_outcomes([task("billing", "erase", counts=erased(retained=2))])
    assert outcome.words == "Kept for a legal reason"
    assert outcome.action_counts == {"retain": 2}


def test_a_processor_that_reports_no_count_is_not_called_nothing_found() -> None:
    counts = {"status": "done", "datasets": {"credentials": {"deleted": 0}}}
    (outcome,) = erasure_outcomes([task("auth_provider", "erase", counts=counts)])
    assert outcome.note == PROCESSOR_NOTE and outcome.words == "Erased"


def test_recipients_are_those_of_data_really_erased_and_not_those_told_by_their_own_system() -> None:
    tasks = [
        task("accounts", "erase", counts={"datasets": {"users": {"matched": 1, "deleted": 1}}}),
        task("billing", "erase", counts=erased(retained=3)),  # kept: nothing to communicate
        task("telemetry", "erase", counts={"datasets": {"events": {"matched": 0}}}),  # nothing there
        task("auth_provider", "erase", counts={"datasets": {"credentials": {"deleted": 0}}}),
        task("web_analytics", "erase", "resolved", outcome="no_data", note="Nothing at the vendor"),
    ]
    notices = recipients.recipients_to_tell(DEMO, tasks, {})
    assert set(notices) == {"our affiliates", "authentication provider (processor)"}
    assert notices["our affiliates"].fields[:2] == ["accounts.users.id", "accounts.users.email"]
    assert notices["authentication provider (processor)"].told_by_system == "auth_provider"
    assert not notices["our affiliates"].told_by_system


def test_a_correction_tells_the_recipients_of_the_fields_it_changed() -> None:
    changed = task("accounts", "correct", counts={"datasets": {"users": {"matched": 1, "corrected": 1}}})
    notices = recipients.recipients_to_tell(DEMO, [changed], {"accounts": {"users": {"phone": "+1 555"}}})
    assert {name: n.fields for name, n in notices.items()} == {"our affiliates": ["accounts.users.phone"]}
    # The value was already the one asked for: nothing changed, nobody to tell.
    unchanged = task("accounts", "correct", counts={"datasets": {"users": {"matched": 1, "corrected": 0}}})
    assert not recipients.recipients_to_tell(DEMO, [unchanged], {"accounts": {"users": {"phone": "+1 555"}}})
