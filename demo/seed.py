"""Fill the demo estate with made-up people: SQL tables, Redis keys, the auth provider's store.

The estate follows the privacy policy's categories: registration data (users), data
submitted through the API (completions), usage and device data (events), billing
(invoices), sessions and cookie identifiers (Redis), credentials at the authentication
provider. Everything comes from a seeded Faker and `random.Random`, so the same arguments
give the same rows. A few subjects are heavy (many rows), and four have emails that would
match each other if an identifier were ever used as a LIKE or glob pattern.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from faker import Faker

from demo.tables import DEMO_TABLES, demo_metadata, sql_engine

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

SPECIAL_EMAILS = ("o'brien%_x@example.org", "a*b?[c]@example.org")
# Each would match a special email above if that email were used as a pattern:
# LIKE 'o''brien%_x@...' matches the first, the glob 'a*b?[c]@...' the second.
DECOY_EMAILS = ("o'brien-zx@example.org", "aXbYc@example.org")
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2021, 2, 11, tzinfo=UTC) - EPOCH).total_seconds())
CHUNK = 5000


@dataclass(frozen=True)
class SeedSummary:
    users: int
    completions: int
    events: int
    invoices: int
    redis_keys: int
    auth_records: int
    heavy_emails: tuple[str, ...]
    special_emails: tuple[str, ...]
    decoy_emails: tuple[str, ...]
    seconds: float


@dataclass(frozen=True)
class Person:
    email: str
    rows: int


def seed_estate(
    sql_url: str,
    redis_url: str | None,
    *,
    subjects: int,
    rows_per_subject: int,
    heavy_subjects: int = 2,
    heavy_rows: int = 20_000,
    seed: int = 1234,
    redis_prefix: str = "",
    auth_db: str | Path | None = None,
    reset: bool = False,
) -> SeedSummary:
    """Create the demo tables and fill them; also Redis and the auth provider's store when given.

    `subjects` people (the first `heavy_subjects` of them with `heavy_rows` completions and
    events each), plus the special and decoy subjects. `reset` drops the demo tables, the
    demo keys under `redis_prefix` and the auth store first; without it, a seeded estate is
    refused rather than doubled.
    """
    started = time.monotonic()
    fake = Faker()
    fake.seed_instance(seed)
    rng = random.Random(seed)  # noqa: S311  # made-up demo data, not secrets
    people = _people(fake, subjects, rows_per_subject, min(heavy_subjects, subjects), heavy_rows)
    engine = sql_engine(sql_url)
    try:
        ids = _seed_sql(engine, fake, rng, people, reset=reset)
    finally:
        engine.dispose()
    counts = {name: sum(_rows_of(name, p) for p in people) for name in ("completions", "events", "invoices")}
    redis_keys = _seed_redis(redis_url, rng, ids, redis_prefix, reset=reset) if redis_url else 0
    auth_records = _seed_auth(auth_db, fake, rng, people, ids, reset=reset) if auth_db else 0
    return SeedSummary(
        users=len(people),
        completions=counts["completions"],
        events=counts["events"],
        invoices=counts["invoices"],
        redis_keys=redis_keys,
        auth_records=auth_records,
        heavy_emails=tuple(p.email for p in people[: min(heavy_subjects, subjects)]),
        special_emails=SPECIAL_EMAILS,
        decoy_emails=DECOY_EMAILS,
        seconds=round(time.monotonic() - started, 3),
    )


def _people(fake: Faker, subjects: int, rows: int, heavy: int, heavy_rows: int) -> list[Person]:
    people = [
        # The index keeps Faker's user names unique.
        Person(f"{fake.user_name()}.{i}@{fake.free_email_domain()}".lower(), heavy_rows if i < heavy else rows)
        for i in range(subjects)
    ]
    return people + [Person(email, rows) for email in (*SPECIAL_EMAILS, *DECOY_EMAILS)]


def _rows_of(table: str, person: Person) -> int:
    return max(1, person.rows // 5) if table == "invoices" else person.rows


def _seed_sql(
    engine: sa.Engine, fake: Faker, rng: random.Random, people: list[Person], *, reset: bool
) -> dict[str, int]:
    metadata = demo_metadata()
    tables = metadata.tables
    with engine.begin() as conn:
        if reset:
            metadata.drop_all(conn, checkfirst=True)
        metadata.create_all(conn, checkfirst=True)
        if conn.execute(sa.select(sa.func.count()).select_from(tables["users"])).scalar_one():
            raise ValueError("the demo tables already hold data: pass reset=True to start again")
        _insert(conn, tables["users"], (_user(fake, rng, p) for p in people))
        ids: dict[str, int] = dict(
            conn.execute(sa.select(tables["users"].c.email, tables["users"].c.id).order_by("id")).all()
        )
    pools = _pools(fake)
    for name in ("completions", "events", "invoices"):
        rows = (row for p in people for row in _rows(name, ids[p.email], _rows_of(name, p), rng, pools, fake))
        with engine.begin() as conn:
            _insert(conn, tables[name], rows)
    return {email: int(user_id) for email, user_id in ids.items()}


def _user(fake: Faker, rng: random.Random, person: Person) -> dict[str, Any]:
    return {
        "email": person.email,
        "name": fake.name(),
        "phone": fake.phone_number() if rng.random() < 0.6 else None,
        "mailing_address": fake.address().replace("\n", ", ") if rng.random() < 0.4 else None,
        "organisation": fake.company(),
        "created_at": _moment(rng),
    }


def _pools(fake: Faker) -> dict[str, list[Any]]:
    """Return small pools of realistic values: Faker is too slow to call per heavy row."""
    return {
        "prompt": [fake.sentence(nb_words=14) for _ in range(200)],
        "completion": [fake.paragraph(nb_sentences=3) for _ in range(200)],
        "model": ["davinci", "curie", "babbage", "ada", "davinci-instruct-beta"],
        "user_agent": [fake.user_agent() for _ in range(60)],
        "device_type": ["desktop", "mobile", "tablet", "server"],
        "time_zone": [fake.timezone() for _ in range(40)],
        "country": [fake.country_code() for _ in range(40)],
        "currency": ["USD", "EUR", "GBP"],
    }


def _rows(
    table: str, user_id: int, count: int, rng: random.Random, pools: dict[str, list[Any]], fake: Faker
) -> Iterator[dict[str, Any]]:
    address = fake.address().replace("\n", ", ") if table == "invoices" else ""
    for _ in range(count):
        if table == "completions":
            yield {
                "user_id": user_id,
                "prompt": rng.choice(pools["prompt"]),
                "completion": rng.choice(pools["completion"]),
                "model": rng.choice(pools["model"]),
                "created_at": _moment(rng),
            }
        elif table == "events":
            yield {
                "user_id": user_id,
                "ip_address": _ip(rng),
                "user_agent": rng.choice(pools["user_agent"]),
                "device_type": rng.choice(pools["device_type"]),
                "time_zone": rng.choice(pools["time_zone"]),
                "country": rng.choice(pools["country"]),
                "accessed_at": _moment(rng),
            }
        else:
            yield {
                "user_id": user_id,
                "amount": Decimal(rng.randint(100, 500_000)) / 100,
                "currency": rng.choice(pools["currency"]),
                "billing_address": address,
                "created_at": _moment(rng),
            }


def _ip(rng: random.Random) -> str:
    return f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _moment(rng: random.Random) -> datetime:
    return EPOCH + timedelta(seconds=rng.randrange(SPAN_SECONDS))


def _insert(conn: sa.Connection, table: sa.Table, rows: Iterable[dict[str, Any]]) -> None:
    """Insert in bulk: COPY on PostgreSQL, executemany in chunks elsewhere."""
    if conn.dialect.name == "postgresql":
        from psycopg import sql

        columns = [c.name for c in table.columns if c.name != "id"]
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row([row.get(c) for c in columns])
        return
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK)):
        conn.execute(table.insert(), chunk)


def _seed_redis(url: str, rng: random.Random, ids: dict[str, int], prefix: str, *, reset: bool) -> int:
    """Write sessions ("session:{user_id}:{token}" hashes) and cookies with their index."""
    import redis

    from requests_app.fulfilment.connectors.redis_store import escape_glob

    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        if reset:
            for pattern in ("session:*", "cookie:*", "user_cookies:*"):
                keys = list(client.scan_iter(match=escape_glob(prefix) + pattern, count=1000))
                for start in range(0, len(keys), 1000):
                    client.delete(*keys[start : start + 1000])
        written = 0
        pipe = client.pipeline(transaction=False)
        for n, user_id in enumerate(sorted(ids.values()), start=1):
            for _ in range(1 + user_id % 3):
                token = f"{rng.getrandbits(64):016x}"
                ip = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                session: dict[Any, str] = {
                    "ip": ip,
                    "user_agent": f"DemoBrowser/{rng.randint(1, 99)}.0",
                    "created_at": _moment(rng).isoformat(),
                }
                pipe.hset(f"{prefix}session:{user_id}:{token}", mapping=session)
                written += 1
            for _ in range(1 + user_id % 2):
                cookie_id = f"{rng.getrandbits(64):016x}"
                pipe.set(f"{prefix}cookie:{cookie_id}", str(user_id))
                pipe.sadd(f"{prefix}user_cookies:{user_id}", cookie_id)
                written += 1
            written += 1  # The user_cookies set.
            if n % 1000 == 0:
                pipe.execute()
        pipe.execute()
        return written
    finally:
        client.close()


def _seed_auth(
    path: str | Path, fake: Faker, rng: random.Random, people: list[Person], ids: dict[str, int], *, reset: bool
) -> int:
    from demo.auth_provider import add_credentials

    if reset:
        Path(path).unlink(missing_ok=True)
    records = (
        {
            "email": p.email,
            "user_ref": str(ids[p.email]),
            "password_hash": f"pbkdf2_sha256$600000${rng.getrandbits(128):032x}",
            "created_at": _moment(rng).isoformat(),
            "last_login_at": _moment(rng).isoformat(),
            "last_login_ip": fake.ipv4_public(),
        }
        for p in people
    )
    return add_credentials(path, records)


__all__ = ["DECOY_EMAILS", "DEMO_TABLES", "SPECIAL_EMAILS", "SeedSummary", "seed_estate"]
