"""SQL databases (PostgreSQL, MySQL, SQLite) through SQLAlchemy Core.

Table and column names come from the data map, are checked against the reflected table
(an unknown column is a clear, permanent error) and quoted by SQLAlchemy; every value is a
bound parameter, so an email such as "o'brien%_x@example.org" matches only itself.
Exports stream through a server-side cursor. Erasure and correction are set-based: each
batch selects the next few thousand primary keys of the subject's rows in key order, then
runs one statement per erasure action for those keys, commits, and saves the last key in
the checkpoint; a restarted run continues after it.

What a connector learns outlives it, once per process: each database URL has one engine with a
small pool of connections (checked before use, so a store that restarted is reconnected, and
dropped in a forked child so no two processes share a socket), and each system's reflected
tables are kept until the system's definition in the data map changes.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import hashlib
import json
import os
import threading
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

from requests_app.datamap.connection import DEFAULT_MASK, env_value
from requests_app.fulfilment.connectors.base import (
    HASH_PREFIX,
    ActionCounts,
    Checkpoint,
    Connector,
    ConnectorError,
    CurrentValues,
    DatasetCounts,
    Subject,
    erasure_groups,
    note_value,
    retained_reasons,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from requests_app.datamap.schema import Dataset, System

DRIVERS = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}
# Keys per IN (...) list: far below every driver's bound-parameter limit (SQLite: 32766).
IN_CHUNK = 10_000
STREAM_ROWS = 1000
# PostgreSQL error classes that retrying cannot fix: bad password (28), no such database (3D).
PERMANENT_SQLSTATES = ("28", "3D")
# Connections each process keeps per database: a task uses one at a time.
POOL_SIZE = 2
POOL_OVERFLOW = 2
# Reopened after this many seconds, before a server or firewall drops it as idle.
POOL_RECYCLE_SECONDS = 1800
# How long a connector waits for a free connection when the process's are all in use.
POOL_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Target:
    """A dataset's reflected table and the columns the data map names in it."""

    table: sa.Table
    pk: sa.Column[Any]
    match: dict[str, sa.Column[Any]]
    fields: dict[str, sa.Column[Any]]


@dataclass
class _Progress:
    """A run's checkpoint state and counts, saved together."""

    checkpoint: Checkpoint
    state: dict[str, Any]
    counts: ActionCounts

    def save(self) -> None:
        self.state["counts"] = self.counts.to_dict()
        self.checkpoint.save(self.state)


@dataclass(frozen=True)
class Batches:
    """What one dataset's batches apply, to which rows, how many at a time."""

    target: Target
    dataset: Dataset
    where: sa.ColumnElement[bool]
    apply: Callable[[Connection, Target, Dataset, Sequence[Any]], DatasetCounts]
    size: int


@dataclass
class _Tables:
    """One system's reflected tables on one database, for one definition of the system."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    tables: dict[tuple[str | None, str], sa.Table] = field(default_factory=dict)


_LOCK = threading.Lock()
_ENGINES: dict[tuple[str, int | None], sa.Engine] = {}
_TABLES: dict[tuple[str, str, str], _Tables] = {}


def shared_engine(url: sa.URL, *, connect_timeout: int | None = None) -> sa.Engine:
    """The process's engine for ``url``: made once, its pool shared by every connector."""
    key = (url.render_as_string(hide_password=False), connect_timeout)
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is not None:
            return engine
        if url.get_backend_name() == "sqlite":
            # A file opens in microseconds, and a test or the quick start may replace it.
            engine = sa.create_engine(url, poolclass=NullPool)
            sa.event.listen(engine, "connect", _register_sqlite_sha256)
        else:
            connect_args = {} if connect_timeout is None else {"connect_timeout": connect_timeout}
            engine = sa.create_engine(
                url,
                pool_size=POOL_SIZE,
                max_overflow=POOL_OVERFLOW,
                pool_recycle=POOL_RECYCLE_SECONDS,
                pool_timeout=POOL_TIMEOUT_SECONDS,
                pool_pre_ping=True,
                connect_args=connect_args,
            )
        _ENGINES[key] = engine
        return engine


def system_digest(system: System) -> str:
    """The sha256 of the system's definition: a new data map version that changes it changes this."""
    document = json.dumps(asdict(system), sort_keys=True, default=str)
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def _tables_for(key: tuple[str, str, str]) -> _Tables:
    with _LOCK:
        return _TABLES.setdefault(key, _Tables())


def forget_tables(key: tuple[str, str, str]) -> None:
    """Drop what was reflected for ``key``: the next use reflects the tables again."""
    with _LOCK:
        _TABLES.pop(key, None)


def _after_fork_in_child() -> None:
    """Give a forked process pools of its own: the parent's connections stay the parent's."""
    global _LOCK
    _LOCK = threading.Lock()  # another thread of the parent may have held it
    for entry in _TABLES.values():
        entry.lock = threading.Lock()
    for engine in _ENGINES.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)


class SqlConnector(Connector):
    def __init__(self, system: System, *, environ: Mapping[str, str]) -> None:
        super().__init__(system)
        connection = system.connection
        uses_hash = any(f.erasure == "hash" for d in system.datasets for f in d.fields)
        try:
            url = engine_url(env_value(connection, "url_env", environ))
            self.salt = env_value(connection, "hash_salt_env", environ, required=uses_hash)
        except (LookupError, sa_exc.ArgumentError) as exc:
            raise self.error(f"bad connection settings: {exc}", transient=False) from exc
        connect_timeout = None
        if url.get_backend_name() in ("postgresql", "mysql"):
            # Without it, an unreachable host holds the task for the operating system's TCP timeout.
            connect_timeout = int(connection.get("connect_timeout", 10))
        self.mask = str(connection.get("mask", DEFAULT_MASK))
        self.schema = connection.get("schema") or None
        self.engine = shared_engine(url, connect_timeout=connect_timeout)
        self._tables_key = (system.name, system_digest(system), url.render_as_string(hide_password=True))
        self._targets: dict[str, Target] = {}

    # Reading

    def resolve(self, subject: Subject) -> dict[str, tuple[str, ...]]:
        if not self.system.provides:
            return {}
        with self._connection() as conn:
            return self._resolve(conn, subject)

    def search(self, subject: Subject) -> tuple[dict[str, tuple[str, ...]], dict[str, int]]:
        """Resolve and count on one connection, resolving once."""
        with self._connection() as conn:
            found = self._resolve(conn, subject)
            return found, self._count(conn, subject.merged(found))

    def _resolve(self, conn: Connection, subject: Subject) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        if self.system.provides:
            for derivation in self.system.provides:
                target = self._target(conn, self._dataset(derivation.dataset))
                where = self._match(target, subject)
                column = target.pk if derivation.column == target.pk.name else target.fields[derivation.column]
                values: list[str] = []
                if where is not None:
                    result = self._stream(conn, sa.select(column).where(where, column.is_not(None)).distinct())
                    values = [str(value) for value in result.scalars()]
                found[derivation.identifier] = tuple(sorted(set(values) | set(found.get(derivation.identifier, ()))))
        return found

    def export(self, subject: Subject, checkpoint: Checkpoint | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        with self._connection() as conn:
            subject = subject.merged(self._resolve(conn, subject))
            for dataset in self.system.datasets:
                target = self._target(conn, dataset)
                where = self._match(target, subject)
                if where is None:
                    continue
                columns = [target.pk, *(c for c in target.fields.values() if c is not target.pk)]
                for row in self._stream(conn, sa.select(*columns).where(where).order_by(target.pk)):
                    yield dataset.name, {key: jsonable(value) for key, value in row._mapping.items()}

    def count(self, subject: Subject) -> dict[str, int]:
        with self._connection() as conn:
            return self._count(conn, subject.merged(self._resolve(conn, subject)))

    def _count(self, conn: Connection, subject: Subject) -> dict[str, int]:
        counts = {}
        for dataset in self.system.datasets:
            target = self._target(conn, dataset)
            where = self._match(target, subject)
            counts[dataset.name] = 0
            if where is not None:
                query = sa.select(sa.func.count()).select_from(target.table).where(where)
                counts[dataset.name] = int(conn.execute(query).scalar_one())
        return counts

    def current_values(self, subject: Subject, fields: Mapping[str, Iterable[str]]) -> CurrentValues:
        found: CurrentValues = {}
        with self._connection() as conn:
            subject = subject.merged(self._resolve(conn, subject))
            for dataset_name, names in fields.items():
                dataset = self._dataset(dataset_name)
                target = self._target(conn, dataset)
                wanted = [n for n in names if dataset.get_field(n) is not None]
                values = found.setdefault(dataset_name, {name: [] for name in wanted})
                where = self._match(target, subject)
                if where is None or not wanted:
                    continue
                columns = [target.fields[name] for name in wanted]
                # The first rows in key order: enough to show what the fields hold, bounded.
                query = sa.select(*columns).where(where).order_by(target.pk).limit(STREAM_ROWS)
                for row in conn.execute(query):
                    for name, value in zip(wanted, row, strict=True):
                        note_value(values, name, jsonable(value))
        return found

    # Writing

    def erase(
        self,
        subject: Subject,
        checkpoint: Checkpoint,
        *,
        batch_size: int = 5000,
        heartbeat: Callable[[], None] = lambda: None,
    ) -> ActionCounts:
        return self._run(subject, checkpoint, self.system.datasets, self._erase_batch, batch_size, heartbeat)

    def correct(self, subject: Subject, changes: dict[str, dict[str, Any]], checkpoint: Checkpoint) -> ActionCounts:
        self.check_correction(changes)
        datasets = [d for d in self.system.datasets if changes.get(d.name)]

        def correct_batch(conn: Connection, target: Target, dataset: Dataset, keys: Sequence[Any]) -> DatasetCounts:
            values = {target.fields[name].name: value for name, value in changes[dataset.name].items()}
            differs = sa.or_(*(target.fields[name].is_distinct_from(value) for name, value in values.items()))
            done = DatasetCounts()
            # What the rows held before, read in the same transaction as the change: the report
            # tells the subject what each field was and what it is now.
            columns = [target.fields[name] for name in values]
            for start in range(0, len(keys), IN_CHUNK):
                chunk = keys[start : start + IN_CHUNK]
                for row in conn.execute(sa.select(*columns).where(target.pk.in_(chunk), differs)):
                    for column, old in zip(columns, row, strict=True):
                        if old != values[column.name]:
                            done.note_previous(column.name, jsonable(old))
            statement = sa.update(target.table).values(values).where(differs)
            done.corrected = _execute_in_chunks(conn, statement, target.pk, keys)
            return done

        return self._run(subject, checkpoint, datasets, correct_batch, 5000, lambda: None)

    def _run(
        self,
        subject: Subject,
        checkpoint: Checkpoint,
        datasets: Sequence[Dataset],
        apply: Callable[[Connection, Target, Dataset, Sequence[Any]], DatasetCounts],
        batch_size: int,
        heartbeat: Callable[[], None],
    ) -> ActionCounts:
        """Apply `apply` to the subject's rows of each dataset, batch by batch, resumably.

        The checkpoint keeps the identifiers (fixed for the run), each dataset's last
        committed key and whether it is done, and the counts so far: a resumed run reports
        the same totals as one that was never interrupted. Each batch's counts are saved as
        ``pending`` before the store commits it, so a run killed between the store's commit
        and the checkpoint's still knows what that batch did (see :meth:`_settle_pending`).
        """
        state = checkpoint.get()
        run_subject = self.run_subject(subject, state)
        progress = _Progress(checkpoint, state, ActionCounts.from_dict(state.get("counts", {})))
        entries = state.setdefault("datasets", {})
        with self._connection() as conn:
            for dataset in datasets:
                entry = entries.setdefault(dataset.name, {"last_pk": None, "done": False})
                progress.counts.dataset(dataset.name).retained_reasons = retained_reasons(dataset)
                if entry["done"]:
                    continue
                with conn.begin():
                    target = self._target(conn, dataset)
                where = self._match(target, run_subject)
                if where is not None:
                    self._run_dataset(
                        conn, Batches(target, dataset, where, apply, batch_size), entry, progress, heartbeat
                    )
                entry["done"] = True
                entry.pop("pending", None)
                progress.save()
        return progress.counts

    def _run_dataset(
        self,
        conn: Connection,
        batches: Batches,
        entry: dict[str, Any],
        progress: _Progress,
        heartbeat: Callable[[], None],
    ) -> None:
        """One dataset's batches, from the last committed key on; one transaction per batch."""
        totals = progress.counts.dataset(batches.dataset.name)
        retains = bool(totals.retained_reasons)
        if entry.get("pending"):
            self._settle_pending(conn, batches, entry, totals, retains=retains)
            progress.save()
        while True:
            with conn.begin():
                keys = self._next_keys(conn, batches.target, batches.where, entry["last_pk"], batches.size)
                if not keys:
                    return
                done = batches.apply(conn, batches.target, batches.dataset, keys)
                # Saved before the store commits: see _settle_pending.
                entry["pending"] = {"last": jsonable(keys[-1]), "matched": len(keys), "done": asdict(done)}
                progress.checkpoint.save(progress.state)
            _add(totals, done, matched=len(keys), retains=retains)
            entry["last_pk"] = entry.pop("pending")["last"]
            progress.save()
            heartbeat()

    def _settle_pending(
        self, conn: Connection, batches: Batches, entry: dict[str, Any], totals: DatasetCounts, *, retains: bool
    ) -> None:
        """Count the batch an interrupted run left pending exactly once, whether or not it committed.

        The batch is applied again to the keys it covered. Every action only touches rows that
        still need it, so if the store committed the batch, this changes nothing and the counts
        saved before that commit are the batch's; if the store rolled it back, this does the
        work and its own counts are the batch's.
        """
        pending = entry["pending"]
        with conn.begin():
            keys = self._next_keys(conn, batches.target, batches.where, entry["last_pk"], None, upto=pending["last"])
            again = batches.apply(conn, batches.target, batches.dataset, keys) if keys else DatasetCounts()
        done = again if again.changes else DatasetCounts(**pending["done"])
        _add(totals, done, matched=max(len(keys), int(pending["matched"])), retains=retains)
        entry["last_pk"] = pending["last"]
        del entry["pending"]

    def _next_keys(
        self,
        conn: Connection,
        target: Target,
        where: sa.ColumnElement[bool],
        last: Any,
        limit: int | None,
        *,
        upto: Any = None,
    ) -> list[Any]:
        query = sa.select(target.pk).where(where).order_by(target.pk).limit(limit)
        if last is not None:
            query = query.where(target.pk > _coerce_one(target.pk, last))
        if upto is not None:
            query = query.where(target.pk <= _coerce_one(target.pk, upto))
        return list(conn.execute(query).scalars())

    def _erase_batch(self, conn: Connection, target: Target, dataset: Dataset, keys: Sequence[Any]) -> DatasetCounts:
        groups = erasure_groups(dataset)
        done = DatasetCounts()
        if "delete_row" in groups:
            done.deleted = _execute_in_chunks(conn, sa.delete(target.table), target.pk, keys)
            return done
        # Each action only touches rows that still need it, so a second run counts nothing.
        for action, attribute in (("null", "nulled"), ("mask", "masked"), ("hash", "hashed")):
            columns = [target.fields[f.name] for f in groups.get(action, [])]
            if not columns:
                continue
            values = {c.name: self._erased_value(action, c) for c in columns}
            needed = sa.or_(*(self._needs(action, c) for c in columns))
            statement = sa.update(target.table).values(values).where(needed)
            setattr(done, attribute, _execute_in_chunks(conn, statement, target.pk, keys))
        return done

    def _erased_value(self, action: str, column: sa.Column[Any]) -> Any:
        """Return the value (or SQL expression) an erasure action writes; mask is NULL for non-text."""
        if action == "null":
            return None
        if action == "mask" and not isinstance(column.type, sa.String):
            return None
        if action == "mask" and isinstance(column.type, sa.String):
            return self.mask[: column.type.length] if column.type.length else self.mask
        already = column.like(HASH_PREFIX + "%")
        return sa.case((already, column), else_=self._hash_expression(column))

    def _needs(self, action: str, column: sa.Column[Any]) -> sa.ColumnElement[bool]:
        if action == "mask" and isinstance(column.type, sa.String):
            return sa.and_(column.is_not(None), column != self._erased_value("mask", column))
        if action == "hash":
            return sa.and_(column.is_not(None), column.not_like(HASH_PREFIX + "%"))
        return column.is_not(None)

    def _hash_expression(self, column: sa.Column[Any]) -> sa.ColumnElement[Any]:
        """Return SQL computing `hash_value(salt, column)` in the database, for set-based updates."""
        salted = sa.literal(self.salt, sa.String) + sa.cast(column, sa.String)
        backend = self.engine.dialect.name
        if backend == "postgresql":
            digest = sa.func.encode(sa.func.sha256(sa.func.convert_to(salted, "UTF8")), "hex", type_=sa.String)
        elif backend == "mysql":
            digest = sa.func.sha2(salted, 256, type_=sa.String)
        else:
            digest = sa.func.dsar_sha256(salted, type_=sa.String)
        return sa.literal(HASH_PREFIX, sa.String) + digest

    # Plumbing

    def _dataset(self, name: str) -> Dataset:
        dataset = self.system.get_dataset(name)
        if dataset is None:
            raise self.error(f"unknown dataset {name!r}", transient=False)
        return dataset

    def _target(self, conn: Connection, dataset: Dataset) -> Target:
        """The dataset's table, reflected once per process, with every column the map names checked."""
        if dataset.name in self._targets:
            return self._targets[dataset.name]
        locator = dataset.locator
        table = self._reflected(conn, locator["table"])
        wanted = {locator["primary_key"], *locator["match"].values(), *(f.name for f in dataset.fields)}
        missing = sorted(name for name in wanted if name not in table.c)
        if missing:
            raise self.error(f"table {table.name} has no column(s) {', '.join(missing)}", transient=False)
        target = Target(
            table=table,
            pk=table.c[locator["primary_key"]],
            match={identifier: table.c[column] for identifier, column in locator["match"].items()},
            fields={f.name: table.c[f.name] for f in dataset.fields},
        )
        for f in dataset.fields:
            column = target.fields[f.name]
            too_short = isinstance(column.type, sa.String) and (column.type.length or 999) < len(HASH_PREFIX) + 64
            if f.erasure == "hash" and (not isinstance(column.type, sa.String) or too_short):
                raise self.error(
                    f"{table.name}.{f.name} cannot hold a hash: use a text column of 71+ characters", transient=False
                )
        self._targets[dataset.name] = target
        return target

    def _reflected(self, conn: Connection, name: str) -> sa.Table:
        """The table as the database described it the first time this process asked."""
        entry = _tables_for(self._tables_key)
        with entry.lock:
            table = entry.tables.get((self.schema, name))
            if table is None:
                table = sa.Table(name, sa.MetaData(), autoload_with=conn, schema=self.schema)
                entry.tables[(self.schema, name)] = table
            return table

    def _match(self, target: Target, subject: Subject) -> sa.ColumnElement[bool] | None:
        """Return the condition for the subject's rows, or None when nothing identifies them."""
        clauses = []
        for identifier, column in target.match.items():
            values = _coerce(column, subject.values(identifier))
            if values:
                clauses.append(column.in_(values))
        return sa.or_(*clauses) if clauses else None

    def _stream(self, conn: Connection, query: sa.Executable) -> sa.Result[Any]:
        return conn.execution_options(stream_results=True, yield_per=STREAM_ROWS).execute(query)

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """Open one connection and turn database errors into ConnectorErrors.

        Messages carry the driver's first line only: SQLAlchemy's own text would add the
        statement's parameters, which are the subject's identifiers.
        """
        try:
            with self.engine.connect() as conn:
                yield conn
        except ConnectorError:
            raise
        except sa_exc.NoSuchTableError as exc:
            raise self.error(f"no such table: {exc}", transient=False) from exc
        except sa_exc.DBAPIError as exc:
            # A table changed under a cached description fails here: the next attempt reflects anew.
            forget_tables(self._tables_key)
            message = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
            sqlstate = str(getattr(exc.orig, "sqlstate", "") or "")
            transient = isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError) or exc.connection_invalidated
            transient = transient and not sqlstate.startswith(PERMANENT_SQLSTATES)
            raise self.error(f"database error: {message}", transient=transient) from exc
        except sa_exc.TimeoutError as exc:
            # Every pooled connection of this process was busy for the pool's timeout: try later.
            raise self.error("database error: no connection free in this process's pool", transient=True) from exc
        except sa_exc.SQLAlchemyError as exc:
            raise self.error(f"database error: {type(exc).__name__}: {exc}", transient=False) from exc


def engine_url(url: str) -> sa.URL:
    """Return the SQLAlchemy URL for a database URL: postgres:// uses psycopg, mysql:// PyMySQL."""
    parsed = make_url(url)
    return parsed.set(drivername=DRIVERS.get(parsed.drivername, parsed.drivername))


def _execute_in_chunks(conn: Connection, statement: Any, pk: sa.Column[Any], keys: Sequence[Any]) -> int:
    """Run `statement` restricted to `keys` (bound parameters); return the rows it changed."""
    changed = 0
    for start in range(0, len(keys), IN_CHUNK):
        changed += conn.execute(statement.where(pk.in_(keys[start : start + IN_CHUNK]))).rowcount
    return changed


def _add(totals: DatasetCounts, done: DatasetCounts, *, matched: int, retains: bool) -> None:
    totals.matched += matched
    totals.retained += matched if retains and not done.deleted else 0
    for name in ("deleted", "nulled", "masked", "hashed", "corrected"):
        setattr(totals, name, getattr(totals, name) + getattr(done, name))
    totals.merge_previous(done)


def _coerce(column: sa.Column[Any], values: Sequence[str]) -> list[Any]:
    """Return the values as the column's type, dropping those that cannot be of that type."""
    result = []
    for value in values:
        try:
            result.append(_coerce_one(column, value))
        except ValueError:
            continue  # "abc" cannot be an integer id: it matches no row.
    return result


def _coerce_one(column: sa.Column[Any], value: Any) -> Any:
    if isinstance(column.type, sa.Integer) and not isinstance(value, int):
        text = str(value).strip()
        if not text.lstrip("-").isdigit():
            raise ValueError(text)
        return int(text)
    if isinstance(column.type, sa.Uuid) and not isinstance(value, uuid.UUID):
        return uuid.UUID(str(value))
    return value


def jsonable(value: Any) -> Any:
    """Return a value JSON can carry: dates as ISO 8601, decimals as text, bytes as base64."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _register_sqlite_sha256(dbapi_connection: Any, connection_record: Any) -> None:
    """Give SQLite the sha256 hex function PostgreSQL and MySQL have built in."""

    def sha256_hex(text: str | None) -> str | None:
        return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()

    dbapi_connection.create_function("dsar_sha256", 1, sha256_hex, deterministic=True)
