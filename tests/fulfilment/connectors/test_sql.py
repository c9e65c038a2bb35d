"""The SQL connector on the demo estate, on the real PostgreSQL server and on SQLite files.

Each test seeds a fresh estate (the same deterministic data every time): in a throwaway
PostgreSQL database of this module's own, or in a SQLite file under tmp_path.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
import yaml

from demo import DEMO_DATAMAP_PATH
from demo.seed import DECOY_EMAILS, SPECIAL_EMAILS, SeedSummary, seed_estate
from requests_app.datamap import DataMap, System, load_datamap, load_datamap_file
from requests_app.fulfilment.connectors import (
    ActionCounts,
    ConnectorError,
    CorrectionRefused,
    MemoryCheckpoint,
    Subject,
    connector_for,
    hash_value,
)
from requests_app.fulfilment.connectors.sql import engine_url
from tests.fulfilment.connectors.crashing import CrashingCheckpoint, Interrupted

if TYPE_CHECKING:
    from collections.abc import Iterator

SALT = "test-salt"
SQL_SYSTEMS = ("accounts", "api_usage", "telemetry", "billing")
TABLES = ("users", "completions", "events", "invoices")


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """Create a throwaway database on the test server for this module; drop it afterwards."""
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        pytest.fail('These tests need the test PostgreSQL server: run `eval "$(scripts/services.sh env)"` first')
    name = f"dsar_conn_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(engine_url(server), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield engine_url(server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class Estate:
    url: str
    summary: SeedSummary
    datamap: DataMap

    @property
    def env(self) -> dict[str, str]:
        return {"DSAR_DEMO_SQL_URL": self.url, "DSAR_HASH_SALT": SALT}

    def system(self, name: str) -> System:
        system = self.datamap.get_system(name)
        assert system is not None
        return system

    def connector(self, name: str) -> Any:
        return connector_for(self.system(name), environ=self.env)

    def reseed(self) -> None:
        self.summary = _seed(self.url)

    def rows(self, table: str) -> list[dict[str, Any]]:
        with sa.create_engine(self.url, poolclass=sa.pool.NullPool).connect() as conn:
            result = conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))  # Our own table names.
            return [dict(row._mapping) for row in result]

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        return {table: self.rows(table) for table in TABLES}

    def user_id(self, email: str) -> int:
        return next(row["id"] for row in self.rows("users") if row["email"] == email)

    def subject(self, email: str) -> Subject:
        """Return the subject with every identifier resolved, as the lead does before erasing."""
        return Subject({"email": (email,), "user_id": (str(self.user_id(email)),)})


def _seed(url: str) -> SeedSummary:
    return seed_estate(url, None, subjects=12, rows_per_subject=6, heavy_subjects=1, heavy_rows=230, reset=True)


@pytest.fixture(params=["postgresql", "sqlite"])
def estate(request: pytest.FixtureRequest, tmp_path: Any) -> Estate:
    if request.param == "postgresql":
        url = engine_url(request.getfixturevalue("postgres_url")).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'estate.sqlite3'}"
    return Estate(url=url, summary=_seed(url), datamap=load_datamap_file(DEMO_DATAMAP_PATH))


def export_all(estate: Estate, subject: Subject) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for name in SQL_SYSTEMS:
        for dataset, record in estate.connector(name).export(subject):
            assert record["id"] not in found.setdefault(dataset, set()), "a record was exported twice"
            found[dataset].add(record["id"])
    return found


def rows_of(estate: Estate, email: str) -> dict[str, set[int]]:
    user_id = estate.user_id(email)
    found = {"users": {r["id"] for r in estate.rows("users") if r["email"] == email}}
    for table in ("completions", "events", "invoices"):
        found[table] = {r["id"] for r in estate.rows(table) if r["user_id"] == user_id}
    return found


def erase_everywhere(estate: Estate, subject: Subject, **kwargs: Any) -> dict[str, ActionCounts]:
    # Identifiers are resolved before anything is erased; accounts (which resolves them) goes last.
    return {name: estate.connector(name).erase(subject, MemoryCheckpoint(), **kwargs) for name in reversed(SQL_SYSTEMS)}


def test_resolve_finds_the_user_id_for_an_email_and_nothing_for_a_stranger(estate: Estate) -> None:
    email = estate.summary.heavy_emails[0]
    accounts = estate.connector("accounts")
    assert accounts.resolve(Subject({"email": (email,)})) == {"user_id": (str(estate.user_id(email)),)}
    assert accounts.resolve(Subject({"email": ("nobody@example.org",)})) == {"user_id": ()}


def test_export_finds_every_record_of_the_subject_and_no_one_elses(estate: Estate) -> None:
    email = estate.summary.heavy_emails[0]
    exported = export_all(estate, estate.subject(email))
    expected = rows_of(estate, email)
    assert exported == expected
    assert len(expected["completions"]) == 230


def test_export_records_carry_the_mapped_fields_as_json_values(estate: Estate) -> None:
    records = list(estate.connector("billing").export(estate.subject(SPECIAL_EMAILS[0])))
    assert records
    dataset, record = records[0]
    assert dataset == "invoices"
    assert set(record) == {"id", "user_id", "amount", "currency", "billing_address", "created_at"}
    assert isinstance(record["amount"], str)
    assert isinstance(record["created_at"], str)


def test_count_agrees_with_the_export(estate: Estate) -> None:
    subject = estate.subject(estate.summary.heavy_emails[0])
    expected = {dataset: len(ids) for dataset, ids in export_all(estate, subject).items()}
    counted = {k: v for name in SQL_SYSTEMS for k, v in estate.connector(name).count(subject).items()}
    assert counted == expected


def test_the_accounts_export_resolves_the_user_id_by_itself(estate: Estate) -> None:
    email = estate.summary.heavy_emails[0]
    records = list(estate.connector("accounts").export(Subject({"email": (email,)})))
    assert [(dataset, record["email"]) for dataset, record in records] == [("users", email)]


def test_erasure_does_exactly_what_the_map_says_and_leaves_other_subjects_untouched(estate: Estate) -> None:
    email = estate.summary.heavy_emails[0]
    subject, mine = estate.subject(email), rows_of(estate, email)
    before = estate.snapshot()
    counts = erase_everywhere(estate, subject, batch_size=100)
    after = estate.snapshot()

    for table in TABLES:
        others_before = [r for r in before[table] if r["id"] not in mine[table]]
        others_after = [r for r in after[table] if r["id"] not in mine[table]]
        assert others_after == others_before, f"other subjects' {table} changed"
    assert not [r for r in after["users"] if r["id"] in mine["users"]]
    assert not [r for r in after["completions"] if r["id"] in mine["completions"]]
    assert [r for r in after["invoices"] if r["id"] in mine["invoices"]] == [
        r for r in before["invoices"] if r["id"] in mine["invoices"]
    ]
    old_events = {r["id"]: r for r in before["events"] if r["id"] in mine["events"]}
    new_events = [r for r in after["events"] if r["id"] in mine["events"]]
    assert len(new_events) == len(old_events) == 230
    for event in new_events:
        old = old_events[event["id"]]
        assert event["user_id"] is None
        assert event["device_type"] is None
        assert event["time_zone"] is None
        assert event["user_agent"] == "[erased]"
        assert event["ip_address"] == hash_value(SALT, old["ip_address"])
        assert (event["country"], event["accessed_at"]) == (old["country"], old["accessed_at"])

    assert counts["accounts"].datasets["users"].deleted == 1
    assert counts["api_usage"].datasets["completions"].deleted == 230
    events = counts["telemetry"].datasets["events"]
    assert (events.matched, events.nulled, events.masked, events.hashed, events.retained) == (230, 230, 230, 230, 230)
    invoices = counts["billing"].datasets["invoices"]
    assert (invoices.matched, invoices.changes, invoices.retained) == (46, 0, 46)
    assert "Art. 17(3)(b)" in invoices.retained_reasons["amount"]


def test_a_second_erasure_changes_nothing_and_reports_zero_changes(estate: Estate) -> None:
    subject = estate.subject(estate.summary.heavy_emails[0])
    erase_everywhere(estate, subject, batch_size=100)
    erased_once = estate.snapshot()
    again = erase_everywhere(estate, subject, batch_size=100)
    assert estate.snapshot() == erased_once
    assert {name: counts.changes for name, counts in again.items()} == dict.fromkeys(SQL_SYSTEMS, 0)
    assert again["billing"].datasets["invoices"].retained == 46


def test_a_finished_checkpoint_reports_its_totals_without_touching_anything(estate: Estate) -> None:
    subject = estate.subject(estate.summary.heavy_emails[0])
    checkpoint = MemoryCheckpoint()
    first = estate.connector("telemetry").erase(subject, checkpoint, batch_size=100)
    saves = checkpoint.saves
    again = estate.connector("telemetry").erase(subject, checkpoint, batch_size=100)
    assert again.to_dict() == first.to_dict()
    assert checkpoint.saves == saves


@pytest.mark.parametrize("system", ["telemetry", "api_usage"])
def test_an_interrupted_erasure_continues_from_its_checkpoint_and_ends_like_an_uninterrupted_one(
    estate: Estate, system: str
) -> None:
    subject = estate.subject(estate.summary.heavy_emails[0])
    batches: list[int] = []
    uninterrupted = estate.connector(system).erase(
        subject, MemoryCheckpoint(), batch_size=50, heartbeat=lambda: batches.append(1)
    )
    expected = estate.snapshot()
    assert len(batches) == 5  # 230 rows in batches of 50

    estate.reseed()
    checkpoint = MemoryCheckpoint()
    heartbeats: list[int] = []

    def stop_after_two_batches() -> None:
        heartbeats.append(1)
        if len(heartbeats) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        estate.connector(system).erase(subject, checkpoint, batch_size=50, heartbeat=stop_after_two_batches)
    assert estate.snapshot() != expected  # Two batches done, three to go.

    resumed_batches: list[int] = []
    resumed = estate.connector(system).erase(
        subject, checkpoint, batch_size=50, heartbeat=lambda: resumed_batches.append(1)
    )
    assert len(resumed_batches) == 3  # It went on after the last committed batch.
    assert estate.snapshot() == expected
    assert resumed.to_dict() == uninterrupted.to_dict()


@pytest.mark.parametrize("moment", ["before", "after"])
@pytest.mark.parametrize("system", ["telemetry", "api_usage"])
def test_a_run_killed_around_the_stores_commit_counts_that_batch_exactly_once(
    estate: Estate, system: str, moment: str
) -> None:
    subject = estate.subject(estate.summary.heavy_emails[0])
    uninterrupted = estate.connector(system).erase(subject, MemoryCheckpoint(), batch_size=50)
    expected = estate.snapshot()

    estate.reseed()
    checkpoint = CrashingCheckpoint(moment)
    with pytest.raises(Interrupted):
        estate.connector(system).erase(subject, checkpoint, batch_size=50)
    resumed = estate.connector(system).erase(subject, MemoryCheckpoint(checkpoint.state), batch_size=50)
    assert estate.snapshot() == expected
    assert resumed.to_dict() == uninterrupted.to_dict()


def test_correction_changes_only_the_allowed_fields_of_the_subject(estate: Estate) -> None:
    email = estate.summary.heavy_emails[0]
    subject = estate.subject(email)
    before = estate.rows("users")
    changes = {"users": {"name": "Ada Lovelace", "phone": "+44 20 7946 0000"}}
    counts = estate.connector("accounts").correct(subject, changes, MemoryCheckpoint())
    assert counts.datasets["users"].corrected == 1
    after = estate.rows("users")
    for old, new in zip(before, after, strict=True):
        if old["email"] == email:
            assert new == {**old, "name": "Ada Lovelace", "phone": "+44 20 7946 0000"}
        else:
            assert new == old
    again = estate.connector("accounts").correct(subject, changes, MemoryCheckpoint())
    assert again.changes == 0


def test_correction_of_fields_not_marked_correctable_is_refused_and_changes_nothing(estate: Estate) -> None:
    subject = estate.subject(estate.summary.heavy_emails[0])
    before = estate.snapshot()
    changes = {"users": {"name": "Ada", "created_at": "2020-01-01", "nickname": "ada"}, "orders": {"total": 1}}
    with pytest.raises(CorrectionRefused) as refused:
        estate.connector("accounts").correct(subject, changes, MemoryCheckpoint())
    assert refused.value.fields == [
        "users.created_at (not correctable)",
        "users.nickname (not in the data map)",
        "orders.total (not in the data map)",
    ]
    assert refused.value.transient is False
    assert "users.created_at (not correctable)" in str(refused.value)
    assert estate.snapshot() == before


@pytest.mark.parametrize("email", SPECIAL_EMAILS)
def test_identifiers_with_quotes_and_sql_wildcards_match_only_themselves(estate: Estate, email: str) -> None:
    subject = estate.subject(email)
    assert export_all(estate, subject) == rows_of(estate, email)
    decoys_before = decoy_rows(estate)
    erase_everywhere(estate, subject)
    assert not any(r["email"] == email for r in estate.rows("users"))
    assert decoy_rows(estate) == decoys_before


def decoy_rows(estate: Estate) -> dict[str, list[dict[str, Any]]]:
    """Return every row of the subjects whose emails the special ones would match as patterns."""
    ids = [rows_of(estate, decoy) for decoy in DECOY_EMAILS]
    return {table: [r for r in estate.rows(table) if any(r["id"] in i[table] for i in ids)] for table in TABLES}


@pytest.mark.parametrize("value", ["%", "_", "*", "' OR '1'='1", "1 OR 1=1", "1; DROP TABLE users"])
def test_an_identifier_that_looks_like_sql_matches_nothing(estate: Estate, value: str) -> None:
    subject = Subject({"email": (value,), "user_id": (value,)})
    assert export_all(estate, subject) == {}
    before = estate.snapshot()
    assert sum(counts.changes for counts in erase_everywhere(estate, subject).values()) == 0
    assert estate.snapshot() == before


def with_field(datamap_system: str, table_field: str) -> DataMap:
    data = yaml.safe_load(DEMO_DATAMAP_PATH.read_text())
    system = next(s for s in data["systems"] if s["name"] == datamap_system)
    extra = dict(system["datasets"][0]["fields"][0], name=table_field)
    system["datasets"][0]["fields"].append(extra)
    return load_datamap(data)


def test_an_unknown_column_in_the_map_is_a_clear_permanent_error(estate: Estate) -> None:
    estate.datamap = with_field("accounts", "nickname")
    with pytest.raises(ConnectorError) as caught:
        list(estate.connector("accounts").export(Subject({"email": ("x@example.org",)})))
    assert caught.value.transient is False
    assert "table users has no column(s) nickname" in str(caught.value)


def test_an_unknown_table_is_a_permanent_error(estate: Estate) -> None:
    system = estate.system("billing")
    dataset = replace(system.datasets[0], locator={**system.datasets[0].locator, "table": "invoices_2019"})
    connector = connector_for(replace(system, datasets=(dataset,)), environ=estate.env)
    with pytest.raises(ConnectorError) as caught:
        connector.count(Subject({"user_id": ("1",)}))
    assert caught.value.transient is False
    assert "invoices_2019" in str(caught.value)


def test_an_unreachable_database_is_a_transient_error() -> None:
    datamap = load_datamap_file(DEMO_DATAMAP_PATH)
    system = datamap.get_system("accounts")
    assert system is not None
    env = {"DSAR_DEMO_SQL_URL": "postgres://dsar@127.0.0.1:9/dsar"}  # The discard port: nothing listens.
    with pytest.raises(ConnectorError) as caught:
        connector_for(system, environ=env).resolve(Subject({"email": ("ada@example.org",)}))
    assert caught.value.transient is True
    assert "ada@example.org" not in str(caught.value)


def test_a_missing_environment_variable_is_a_permanent_error_naming_it() -> None:
    system = load_datamap_file(DEMO_DATAMAP_PATH).get_system("telemetry")
    assert system is not None
    with pytest.raises(ConnectorError) as caught:
        connector_for(system, environ={"DSAR_DEMO_SQL_URL": "sqlite://"})
    assert caught.value.transient is False
    assert "DSAR_HASH_SALT" in str(caught.value)
