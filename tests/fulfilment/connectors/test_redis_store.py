"""The Redis connector on the real Redis server (database 41, a key prefix per test)."""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING, Any

import pytest
import redis

from demo import DEMO_DATAMAP_PATH
from demo.seed import seed_estate
from requests_app.datamap import DataMap, System, load_datamap, load_datamap_file
from requests_app.fulfilment.connectors import (
    ConnectorError,
    CorrectionRefused,
    MemoryCheckpoint,
    Subject,
    connector_for,
    hash_value,
)
from requests_app.fulfilment.connectors.redis_store import escape_glob
from tests.fulfilment.connectors.crashing import CrashingCheckpoint, Interrupted

if TYPE_CHECKING:
    from collections.abc import Iterator

DB = 41
SALT = "test-salt"
SPECIAL = ("a*b?[c]@example.org", "o'brien%_x@example.org", "back\\slash@example.org")
# What each special email would match if it were used as a glob pattern unescaped.
DECOYS = ("aXbYc@example.org", "o'brien%_x@example.org.uk", "backslash@example.org")
EVERYONE = (*SPECIAL, *DECOYS, "ada@example.org")


@pytest.fixture
def redis_url() -> str:
    server = os.environ.get("DSAR_TEST_REDIS_URL", "")
    if not server.startswith("redis://"):
        pytest.fail('These tests need the test Redis server: run `eval "$(scripts/services.sh env)"` first')
    return f"{server.rstrip('/')}/{DB}"


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_url, decode_responses=True)
    yield connection
    connection.close()


@pytest.fixture
def prefix(client: redis.Redis) -> Iterator[str]:
    """A key prefix of this test's own; its keys are removed afterwards."""
    value = f"dsar-test-{uuid.uuid4().hex[:10]}:"
    yield value
    keys = list(client.scan_iter(match=escape_glob(value) + "*", count=1000))
    if keys:
        client.delete(*keys)


def field(name: str, erasure: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "category": "usage data",
        "purpose": "Testing.",
        "legal_basis": "Legitimate interests",
        "recipients": [],
        "retention": "A day.",
        "source": "automatically collected",
        "correctable": False,
        "erasure": erasure,
        **extra,
    }


def profiles_map(prefix: str) -> DataMap:
    """Return a map of one Redis system whose keys carry the email itself."""

    def dataset(name: str, key: str, kind: str, *fields: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "description": name, "locator": {"keys": [key], "type": kind}, "fields": list(fields)}

    return load_datamap(
        {
            "version": "test",
            "systems": [
                {
                    "name": "profiles",
                    "kind": "redis",
                    "description": "Profiles keyed by email.",
                    "connection": {"url_env": "TEST_REDIS_URL", "key_prefix": prefix, "hash_salt_env": "TEST_SALT"},
                    "identifiers": {"searched_by": ["email"]},
                    "datasets": [
                        dataset(
                            "profile",
                            "profile:{email}",
                            "hash",
                            field("display_name", "mask", correctable=True),
                            field("ip", "hash"),
                            field("user_agent", "null"),
                            field("country", "retain", erasure_reason="Aggregate statistics, not identifying."),
                        ),
                        dataset("visits", "visits:{email}:*", "hash", field("url", "mask"), field("ip", "hash")),
                        dataset("carts", "cart:{email}:*", "hash", field("items", "delete_row")),
                        dataset("newsletter", "newsletter:{email}", "string", field("value", "hash")),
                        dataset("tags", "tags:{email}", "set", field("members", "delete_row")),
                    ],
                }
            ],
        }
    )


def populate(client: redis.Redis, prefix: str, *, heavy_visits: int = 0) -> None:
    pipe = client.pipeline()
    for n, email in enumerate(EVERYONE):
        pipe.hset(
            f"{prefix}profile:{email}",
            mapping={"display_name": f"Person {n}", "ip": f"10.0.0.{n}", "user_agent": "Firefox", "country": "DE"},
        )
        visits = heavy_visits if email == "ada@example.org" and heavy_visits else 3
        for v in range(visits):
            pipe.hset(f"{prefix}visits:{email}:{v}", mapping={"url": f"/page/{v}", "ip": f"10.1.{n}.{v % 250}"})
        for c in range(2):
            pipe.hset(f"{prefix}cart:{email}:{c}", mapping={"items": "3"})
        pipe.set(f"{prefix}newsletter:{email}", f"weekly-{n}")
        pipe.sadd(f"{prefix}tags:{email}", "beta", "vip")
    pipe.execute()


def keyspace(client: redis.Redis, prefix: str) -> dict[str, Any]:
    """Return every key under the prefix (without it) with its type and value."""
    result: dict[str, Any] = {}
    for key in map(str, client.scan_iter(match=escape_glob(prefix) + "*", count=1000)):
        kind = str(client.type(key))
        value: Any
        if kind == "hash":
            value = client.hgetall(key)
        elif kind == "string":
            value = client.get(key)
        else:
            value = sorted(map(str, client.smembers(key)))
        result[key[len(prefix) :]] = (kind, value)
    return result


def own_keys(space: dict[str, Any], email: str) -> set[str]:
    return {key for key in space if key.split(":", 1)[1].rsplit(":", 1)[0] == email or key.split(":", 1)[1] == email}


def profiles(prefix: str, redis_url: str) -> Any:
    system = profiles_map(prefix).systems[0]
    return connector_for(system, environ={"TEST_REDIS_URL": redis_url, "TEST_SALT": SALT})


def test_glob_metacharacters_in_an_identifier_are_escaped() -> None:
    assert escape_glob("a*b?[c]\\d@x") == "a\\*b\\?\\[c\\]\\\\d@x"


@pytest.mark.parametrize("email", SPECIAL)
def test_identifiers_with_glob_metacharacters_and_quotes_match_only_themselves(
    client: redis.Redis, prefix: str, redis_url: str, email: str
) -> None:
    populate(client, prefix)
    before = keyspace(client, prefix)
    connector = profiles(prefix, redis_url)
    exported = {record["key"] for _, record in connector.export(Subject({"email": (email,)}))}
    assert exported == own_keys(before, email)
    assert len(exported) == 8

    connector.erase(Subject({"email": (email,)}), MemoryCheckpoint())
    after = keyspace(client, prefix)
    for other in EVERYONE:
        if other != email:
            assert {k: after[k] for k in own_keys(before, other)} == {k: before[k] for k in own_keys(before, other)}


def test_erasure_does_exactly_what_the_map_says_and_a_second_run_changes_nothing(
    client: redis.Redis, prefix: str, redis_url: str
) -> None:
    populate(client, prefix)
    before = keyspace(client, prefix)
    email = "ada@example.org"
    connector = profiles(prefix, redis_url)
    counts = connector.erase(Subject({"email": (email,)}), MemoryCheckpoint(), batch_size=10)
    after = keyspace(client, prefix)

    assert after[f"profile:{email}"] == (
        "hash",
        {"display_name": "[erased]", "ip": hash_value(SALT, "10.0.0.6"), "country": "DE"},
    )
    for v in range(3):
        assert after[f"visits:{email}:{v}"] == ("hash", {"url": "[erased]", "ip": hash_value(SALT, f"10.1.6.{v}")})
    assert f"cart:{email}:0" not in after
    assert f"tags:{email}" not in after
    assert after[f"newsletter:{email}"] == ("string", hash_value(SALT, "weekly-6"))
    others = set(before) - own_keys(before, email)
    assert {k: after[k] for k in others} == {k: before[k] for k in others}

    profile = counts.datasets["profile"]
    assert (profile.matched, profile.masked, profile.hashed, profile.nulled, profile.retained) == (1, 1, 1, 1, 1)
    assert profile.retained_reasons == {"country": "Aggregate statistics, not identifying."}
    assert (counts.datasets["visits"].masked, counts.datasets["visits"].hashed) == (3, 3)
    assert counts.datasets["carts"].deleted == 2
    assert counts.datasets["newsletter"].hashed == 1
    assert counts.datasets["tags"].deleted == 1

    again = connector.erase(Subject({"email": (email,)}), MemoryCheckpoint(), batch_size=10)
    assert again.changes == 0
    assert keyspace(client, prefix) == after


def test_an_interrupted_erasure_continues_from_its_checkpoint_and_ends_like_an_uninterrupted_one(
    client: redis.Redis, redis_url: str
) -> None:
    subject = Subject({"email": ("ada@example.org",)})
    first, second = f"dsar-test-{uuid.uuid4().hex[:10]}:", f"dsar-test-{uuid.uuid4().hex[:10]}:"
    try:
        populate(client, first, heavy_visits=300)
        populate(client, second, heavy_visits=300)
        uninterrupted = profiles(first, redis_url).erase(subject, MemoryCheckpoint(), batch_size=20)

        checkpoint = MemoryCheckpoint()
        heartbeats: list[int] = []

        def stop_in_the_visits() -> None:
            heartbeats.append(1)
            if len(heartbeats) == 3:  # The profile, then two SCAN steps of the visits.
                raise Interrupted

        with pytest.raises(Interrupted):
            profiles(second, redis_url).erase(subject, checkpoint, batch_size=20, heartbeat=stop_in_the_visits)
        assert checkpoint.state["datasets"]["visits"]["position"]["cursor"] != 0
        resumed = profiles(second, redis_url).erase(subject, checkpoint, batch_size=20)

        assert keyspace(client, second) == keyspace(client, first)
        assert resumed.datasets["visits"].hashed == uninterrupted.datasets["visits"].hashed == 300
        assert resumed.changes == uninterrupted.changes
    finally:
        for prefix in (first, second):
            keys = list(client.scan_iter(match=escape_glob(prefix) + "*", count=1000))
            if keys:
                client.delete(*keys)


@pytest.mark.parametrize("moment", ["before", "after"])
def test_a_run_killed_around_the_write_counts_that_batch_exactly_once(
    client: redis.Redis, redis_url: str, moment: str
) -> None:
    subject = Subject({"email": ("ada@example.org",)})
    first, second = f"dsar-test-{uuid.uuid4().hex[:10]}:", f"dsar-test-{uuid.uuid4().hex[:10]}:"
    try:
        populate(client, first, heavy_visits=300)
        populate(client, second, heavy_visits=300)
        uninterrupted = profiles(first, redis_url).erase(subject, MemoryCheckpoint(), batch_size=20)

        checkpoint = CrashingCheckpoint(moment)
        with pytest.raises(Interrupted):
            profiles(second, redis_url).erase(subject, checkpoint, batch_size=20)
        resumed = profiles(second, redis_url).erase(subject, MemoryCheckpoint(checkpoint.state), batch_size=20)

        assert keyspace(client, second) == keyspace(client, first)
        assert resumed.to_dict() == uninterrupted.to_dict()
    finally:
        for prefix in (first, second):
            keys = list(client.scan_iter(match=escape_glob(prefix) + "*", count=1000))
            if keys:
                client.delete(*keys)


def test_correction_changes_only_correctable_fields_and_refuses_others(
    client: redis.Redis, prefix: str, redis_url: str
) -> None:
    populate(client, prefix)
    before = keyspace(client, prefix)
    connector = profiles(prefix, redis_url)
    subject = Subject({"email": (SPECIAL[0],)})
    with pytest.raises(CorrectionRefused) as refused:
        connector.correct(subject, {"profile": {"display_name": "Ada", "ip": "1.2.3.4"}}, MemoryCheckpoint())
    assert refused.value.fields == ["profile.ip (not correctable)"]
    assert keyspace(client, prefix) == before

    counts = connector.correct(subject, {"profile": {"display_name": "Ada"}}, MemoryCheckpoint())
    assert counts.datasets["profile"].corrected == 1
    after = keyspace(client, prefix)
    key = f"profile:{SPECIAL[0]}"
    assert after[key] == ("hash", {**before[key][1], "display_name": "Ada"})
    assert {k: v for k, v in after.items() if k != key} == {k: v for k, v in before.items() if k != key}
    assert connector.correct(subject, {"profile": {"display_name": "Ada"}}, MemoryCheckpoint()).changes == 0


@pytest.fixture
def demo_sessions(tmp_path: Any, redis_url: str, prefix: str) -> tuple[System, dict[str, str]]:
    """Seed the demo estate's Redis part under the prefix; return the sessions system and its environment."""
    seed_estate(
        f"sqlite:///{tmp_path / 'estate.sqlite3'}",
        redis_url,
        subjects=12,
        rows_per_subject=1,
        heavy_subjects=0,
        redis_prefix=prefix,
    )
    system = load_datamap_file(DEMO_DATAMAP_PATH).get_system("sessions")
    assert system is not None
    system.connection["key_prefix"] = prefix
    return system, {"DSAR_DEMO_REDIS_URL": redis_url}


def test_the_demo_sessions_and_cookies_of_a_user_are_found_by_user_id(
    client: redis.Redis, prefix: str, demo_sessions: tuple[System, dict[str, str]]
) -> None:
    system, env = demo_sessions
    connector = connector_for(system, environ=env)
    cookie_ids = sorted(map(str, client.smembers(f"{prefix}user_cookies:1")))
    assert connector.resolve(Subject({"user_id": ("1",)})) == {"cookie_id": tuple(cookie_ids)}
    exported = {(dataset, record["key"]) for dataset, record in connector.export(Subject({"user_id": ("1",)}))}
    space = keyspace(client, prefix)
    # User 1's sessions, and not those of users 10 to 16, whose keys also start with "session:1".
    sessions = {k for k in space if k.startswith("session:1:")}
    assert len(sessions) == 2
    assert exported == {
        *(("sessions", k) for k in sessions),
        ("cookie_index", "user_cookies:1"),
        *(("cookies", f"cookie:{c}") for c in cookie_ids),
    }
    assert connector.count(Subject({"user_id": ("1",)})) == {"sessions": 2, "cookie_index": 1, "cookies": 2}


def test_erasing_the_demo_sessions_removes_the_users_keys_only(
    client: redis.Redis, prefix: str, demo_sessions: tuple[System, dict[str, str]]
) -> None:
    system, env = demo_sessions
    before = keyspace(client, prefix)
    counts = connector_for(system, environ=env).erase(Subject({"user_id": ("1",)}), MemoryCheckpoint())
    after = keyspace(client, prefix)
    cookie_ids = before["user_cookies:1"][1]
    gone = {k for k in before if k.startswith("session:1:")} | {"user_cookies:1"} | {f"cookie:{c}" for c in cookie_ids}
    assert set(after) == set(before) - gone
    assert {k: after[k] for k in after} == {k: before[k] for k in after}
    assert {name: c.deleted for name, c in counts.datasets.items()} == {"sessions": 2, "cookie_index": 1, "cookies": 2}
    again = connector_for(system, environ=env).erase(Subject({"user_id": ("1",)}), MemoryCheckpoint())
    assert again.changes == 0


def test_a_key_of_another_type_than_the_map_says_is_a_permanent_error(
    client: redis.Redis, prefix: str, redis_url: str
) -> None:
    client.set(f"{prefix}profile:ada@example.org", "not a hash")
    with pytest.raises(ConnectorError) as caught:
        list(profiles(prefix, redis_url).export(Subject({"email": ("ada@example.org",)})))
    assert caught.value.transient is False
    assert "is a string, the data map says hash" in str(caught.value)
    assert "ada@example.org" not in str(caught.value)


def test_an_unreachable_redis_is_a_transient_error() -> None:
    with pytest.raises(ConnectorError) as caught:
        profiles("x:", "redis://127.0.0.1:9/0").count(Subject({"email": ("ada@example.org",)}))
    assert caught.value.transient is True
