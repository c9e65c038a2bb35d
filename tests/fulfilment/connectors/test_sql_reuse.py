"""What SQL connectors keep between them in one process: table descriptions and connections.

On the real PostgreSQL server (a throwaway database of this module's own) and on SQLite files.
"""

from __future__ import annotations

import os
import uuid
import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from demo import DEMO_DATAMAP_PATH
from demo.seed import seed_estate
from requests_app.datamap import System, load_datamap_file
from requests_app.fulfilment.connectors import ConnectorError, Subject, connector_for, sql
from requests_app.fulfilment.connectors.sql import _after_fork_in_child, engine_url

if TYPE_CHECKING:
    from collections.abc import Iterator

SALT = "test-salt"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        pytest.fail('These tests need the test PostgreSQL server: run `eval "$(scripts/services.sh env)"` first')
    name = f"dsar_reuse_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(engine_url(server), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = engine_url(server).set(database=name).render_as_string(hide_password=False)
    seed_estate(url, None, subjects=4, rows_per_subject=3, heavy_subjects=0, heavy_rows=0, reset=True)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _system(name: str) -> System:
    system = load_datamap_file(DEMO_DATAMAP_PATH).get_system(name)
    assert system is not None
    return system


def _env(url: str) -> dict[str, str]:
    return {"DSAR_DEMO_SQL_URL": url, "DSAR_HASH_SALT": SALT}


def _users_email(url: str) -> str:
    with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as conn:
        return str(conn.execute(sa.text("SELECT email FROM users ORDER BY id LIMIT 1")).scalar_one())


class Reflections:
    """Counts the columns SQLAlchemy reflects, per table name, while it listens."""

    def __init__(self) -> None:
        self.columns: dict[str, int] = {}

    def __call__(self, inspector: Any, table: sa.Table, column_info: Any) -> None:
        self.columns[table.name] = self.columns.get(table.name, 0) + 1


@pytest.fixture
def reflections() -> Iterator[Reflections]:
    listener = Reflections()
    sa.event.listen(sa.Table, "column_reflect", listener)
    yield listener
    sa.event.remove(sa.Table, "column_reflect", listener)


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "postgresql":
        # A database URL of its own per test (a query option) so nothing an earlier test reflected is reused.
        return str(request.getfixturevalue("postgres_url")) + f"?application_name=t{uuid.uuid4().hex[:8]}"
    path = f"sqlite:///{tmp_path / 'estate.sqlite3'}"
    seed_estate(path, None, subjects=4, rows_per_subject=3, heavy_subjects=0, heavy_rows=0, reset=True)
    return path


def test_two_connectors_of_one_system_reflect_its_tables_once(url: str, reflections: Reflections) -> None:
    subject = Subject({"email": (_users_email(url),)})
    first = connector_for(_system("accounts"), environ=_env(url)).count(subject)
    assert reflections.columns.get("users", 0) > 0
    reflected = dict(reflections.columns)
    second = connector_for(_system("accounts"), environ=_env(url)).count(subject)
    assert second == first == {"users": 1}
    assert reflections.columns == reflected  # nothing reflected again


def test_a_changed_system_definition_reflects_its_tables_again(url: str, reflections: Reflections) -> None:
    subject = Subject({"email": (_users_email(url),)})
    system = _system("accounts")
    connector_for(system, environ=_env(url)).count(subject)
    once = reflections.columns["users"]
    changed = replace(system, description="Registration data, now described differently.")
    assert connector_for(changed, environ=_env(url)).count(subject) == {"users": 1}
    assert reflections.columns["users"] == 2 * once
    # And the earlier definition's description is still there for tasks made under it.
    connector_for(system, environ=_env(url)).count(subject)
    assert reflections.columns["users"] == 2 * once


def test_a_table_changed_under_its_cached_description_is_read_afresh_on_the_next_attempt(
    tmp_path: Any, reflections: Reflections
) -> None:
    path = tmp_path / "estate.sqlite3"
    url = f"sqlite:///{path}"
    seed_estate(url, None, subjects=2, rows_per_subject=2, heavy_subjects=0, heavy_rows=0, reset=True)
    email = _users_email(url)
    system = _system("accounts")
    assert connector_for(system, environ=_env(url)).count(Subject({"email": (email,)})) == {"users": 1}
    once = reflections.columns["users"]
    path.unlink()  # the store is replaced by an empty one
    with pytest.raises(ConnectorError) as caught:
        connector_for(system, environ=_env(url)).count(Subject({"email": (email,)}))
    assert "no such table: users" in str(caught.value)
    assert reflections.columns["users"] == once  # the cached description was used, and failed
    seed_estate(url, None, subjects=2, rows_per_subject=2, heavy_subjects=0, heavy_rows=0, reset=True)
    assert connector_for(system, environ=_env(url)).count(Subject({"email": (_users_email(url),)})) == {"users": 1}
    assert reflections.columns["users"] == 2 * once  # described afresh after the failure


class Connects:
    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        sa.event.listen(engine, "connect", self)

    def __call__(self, dbapi_connection: Any, record: Any) -> None:
        self.count += 1


def test_connectors_of_one_database_share_one_engine_and_its_pooled_connection(postgres_url: str) -> None:
    url = postgres_url + "?application_name=shared"
    first = connector_for(_system("accounts"), environ=_env(url))
    second = connector_for(_system("billing"), environ=_env(url))
    assert first.engine is second.engine  # type: ignore[attr-defined]
    engine: sa.Engine = first.engine  # type: ignore[attr-defined]
    connects = Connects(engine)
    email = _users_email(url)
    resolved = first.resolve(Subject({"email": (email,)}))
    second.count(Subject(resolved))
    first.close()
    connector_for(_system("accounts"), environ=_env(url)).count(Subject({"email": (email,)}))
    assert connects.count <= 1  # one connection, opened at most once, used by all three
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert engine.pool.checkedin() == 1  # type: ignore[attr-defined]


def test_a_store_whose_connections_were_dropped_is_reconnected(postgres_url: str) -> None:
    url = postgres_url + "?application_name=dropped"
    email = _users_email(url)
    connector = connector_for(_system("accounts"), environ=_env(url))
    assert connector.count(Subject({"email": (email,)})) == {"users": 1}
    engine: sa.Engine = connector.engine  # type: ignore[attr-defined]
    with engine.connect() as pooled:  # the connection the pool holds
        backend: int = pooled.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    assert engine.pool.checkedin() == 1  # type: ignore[attr-defined]
    connects = Connects(engine)
    # The server restarts, as far as this pool can tell: the connection it holds is cut.
    with sa.create_engine(postgres_url, poolclass=sa.pool.NullPool).connect() as admin:
        cut: bool = admin.execute(sa.text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": backend}).scalar_one()
    assert cut is True
    assert connector_for(_system("accounts"), environ=_env(url)).count(Subject({"email": (email,)})) == {"users": 1}
    assert connects.count == 1  # a fresh connection in place of the dead one, and no error


def test_one_search_reads_the_identifiers_once_on_one_connection(url: str) -> None:
    email = _users_email(url)
    connector = connector_for(_system("accounts"), environ=_env(url))
    connector.count(Subject({"email": (email,)}))  # tables described: only the subject's queries remain
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine: sa.Engine = connector.engine  # type: ignore[attr-defined]
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        separate = (connector.resolve(Subject({"email": (email,)})), connector.count(Subject({"email": (email,)})))
        separately = len(statements)
        statements.clear()
        together = connector.search(Subject({"email": (email,)}))
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    assert together == separate
    assert together[1] == {"users": 1} and len(together[0]["user_id"]) == 1
    assert separately == 3  # resolve; resolve again and count
    assert len(statements) == 2  # resolve once, count once


def _child_uses_a_fresh_pool(engine: sa.Engine, parent_pool: Any, url: str, email: str) -> int:
    try:
        if engine.pool is parent_pool or engine.pool.checkedin() != 0:  # type: ignore[attr-defined]
            return 3
        connector = connector_for(_system("accounts"), environ=_env(url))
        if connector.count(Subject({"email": (email,)})) != {"users": 1}:
            return 4
        return 0
    except BaseException:
        return 5


def test_a_forked_child_gets_a_pool_of_its_own_and_leaves_the_parents_connection_alone(postgres_url: str) -> None:
    url = postgres_url + "?application_name=forked"
    email = _users_email(url)
    connector = connector_for(_system("accounts"), environ=_env(url))
    assert connector.count(Subject({"email": (email,)})) == {"users": 1}
    engine: sa.Engine = connector.engine  # type: ignore[attr-defined]
    parent_pool = engine.pool
    assert parent_pool.checkedin() == 1  # type: ignore[attr-defined]
    connects = Connects(engine)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # forking a process with threads: the child only queries
        pid = os.fork()
    if pid == 0:
        os._exit(_child_uses_a_fresh_pool(engine, parent_pool, url, email))
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # The parent's pooled connection was neither closed nor used by the child: it still works as is.
    assert engine.pool is parent_pool
    assert connector_for(_system("accounts"), environ=_env(url)).count(Subject({"email": (email,)})) == {"users": 1}
    assert connects.count == 0


def test_the_fork_hook_gives_every_engine_a_new_empty_pool(postgres_url: str) -> None:
    url = postgres_url + "?application_name=hook"
    email = _users_email(url)
    connector = connector_for(_system("accounts"), environ=_env(url))
    connector.count(Subject({"email": (email,)}))
    engine: sa.Engine = connector.engine  # type: ignore[attr-defined]
    before = engine.pool
    _after_fork_in_child()  # what a forked child runs first
    assert engine.pool is not before
    assert engine.pool.checkedin() == 0  # type: ignore[attr-defined]
    assert connector_for(_system("accounts"), environ=_env(url)).count(Subject({"email": (email,)})) == {"users": 1}


def test_a_process_whose_pooled_connections_are_all_busy_gets_a_transient_error(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql, "POOL_TIMEOUT_SECONDS", 0.01)  # the engine below is made with it
    url = postgres_url + "?application_name=busy"
    connector = connector_for(_system("accounts"), environ=_env(url))
    email = _users_email(url)
    engine: sa.Engine = connector.engine  # type: ignore[attr-defined]
    busy = [engine.connect() for _ in range(sql.POOL_SIZE + sql.POOL_OVERFLOW)]
    try:
        with pytest.raises(ConnectorError) as caught:
            connector.count(Subject({"email": (email,)}))
    finally:
        for conn in busy:
            conn.close()
    assert caught.value.transient is True
    assert "no connection free" in str(caught.value)
    assert connector.count(Subject({"email": (email,)})) == {"users": 1}
