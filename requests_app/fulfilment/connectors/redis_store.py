"""Redis: keys named after a subject's identifiers, such as "session:{user_id}:*".

A template is filled with the subject's values; glob metacharacters in a value (`*`, `?`,
`[`, `]`, `\\`) are escaped, so an identifier like "a*b?[c]@example.org" matches only
itself. A template whose literal parts hold no glob is one exact key, read directly;
otherwise the keys are found by SCAN MATCH, one cursor step per batch, never KEYS.
Export reads whole hashes (HGETALL), string values and set members. Erasure deletes
keys, or for hashes nulls (HDEL), masks or hashes single fields; the checkpoint keeps
the template and cursor reached, and every action is idempotent.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from requests_app.datamap.connection import DEFAULT_MASK, env_value
from requests_app.datamap.validate import PLACEHOLDER
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
    hash_value,
    note_value,
    retained_reasons,
)

if TYPE_CHECKING:
    from requests_app.datamap.schema import Dataset, System

# Called with a batch's counts just before its writes: the checkpoint saves them as pending.
BeforeWrite = Callable[[DatasetCounts], None]

GLOB_CHARS = re.compile(r"([*?\[\]\\])")


def escape_glob(text: str) -> str:
    """Return `text` with Redis glob metacharacters escaped, so it matches only itself."""
    return GLOB_CHARS.sub(r"\\\1", text)


class RedisConnector(Connector):
    def __init__(self, system: System, *, environ: Mapping[str, str]) -> None:
        super().__init__(system)
        connection = system.connection
        uses_hash = any(f.erasure == "hash" for d in system.datasets for f in d.fields)
        try:
            url = env_value(connection, "url_env", environ)
            self.salt = env_value(connection, "hash_salt_env", environ, required=uses_hash)
        except LookupError as exc:
            raise self.error(f"bad connection settings: {exc}", transient=False) from exc
        self.prefix = str(connection.get("key_prefix", ""))
        self.mask = str(connection.get("mask", DEFAULT_MASK))
        try:
            # No retries here: the task runner retries transient errors with its own backoff.
            self.client = redis.Redis.from_url(
                url,
                decode_responses=True,
                socket_connect_timeout=float(connection.get("connect_timeout", 5)),
                socket_timeout=float(connection.get("read_timeout", 30)),
                retry=Retry(NoBackoff(), 0),
            )
        except ValueError as exc:
            raise self.error(f"bad Redis URL: {exc}", transient=False) from exc

    def close(self) -> None:
        self.client.close()

    # Reading

    def resolve(self, subject: Subject) -> dict[str, tuple[str, ...]]:
        found: dict[str, set[str]] = {}
        with self._errors():
            for derivation in self.system.provides:
                dataset = self._dataset(derivation.dataset)
                values = found.setdefault(derivation.identifier, set())
                for keys, _ in self._key_batches(dataset, subject, {}, 1000):
                    for key in keys:
                        values.update(self._values(dataset, key, derivation.column))
        return {identifier: tuple(sorted(values)) for identifier, values in found.items()}

    def export(self, subject: Subject, checkpoint: Checkpoint | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        subject = subject.merged(self.resolve(subject))
        with self._errors():
            for dataset in self.system.datasets:
                seen: set[str] = set()  # SCAN may return a key twice while the keyspace is rehashed.
                for keys, _ in self._key_batches(dataset, subject, {}, 1000):
                    for key in keys:
                        record = self._read(dataset, key)
                        if record is not None and key not in seen:
                            seen.add(key)
                            yield dataset.name, {"key": key[len(self.prefix) :], **record}

    def count(self, subject: Subject) -> dict[str, int]:
        subject = subject.merged(self.resolve(subject))
        counts = {}
        with self._errors():
            for dataset in self.system.datasets:
                keys = {key for batch, _ in self._key_batches(dataset, subject, {}, 1000) for key in batch}
                counts[dataset.name] = sum(1 for key in keys if self._type(key) == self._expected_type(dataset))
        return counts

    def current_values(self, subject: Subject, fields: Mapping[str, Iterable[str]]) -> CurrentValues:
        subject = subject.merged(self.resolve(subject))
        found: CurrentValues = {}
        with self._errors():
            for dataset_name, names in fields.items():
                dataset = self._dataset(dataset_name)
                wanted = [n for n in names if dataset.get_field(n) is not None]
                values = found.setdefault(dataset_name, {name: [] for name in wanted})
                if not wanted:
                    continue
                for keys, _ in self._key_batches(dataset, subject, {}, 1000):
                    existing = self._existing(dataset, keys)
                    if self._expected_type(dataset) == "set":
                        for key in existing:
                            for member in sorted(self._values(dataset, key, "")):
                                note_value(values, wanted[0], member)
                        continue
                    for current in self._read_fields(dataset, existing, wanted):
                        row = current if isinstance(current, list) else [current]
                        for name, value in zip(wanted, row, strict=False):
                            note_value(values, name, value)
        return found

    def _read(self, dataset: Dataset, key: str) -> dict[str, Any] | None:
        redis_type = self._type(key)
        if redis_type == "none":
            return None
        self._check_type(dataset, redis_type)
        if redis_type == "hash":
            # The whole hash: every field of a key named after the subject is about them.
            return {str(name): value for name, value in self.client.hgetall(key).items()}
        if redis_type == "string":
            return {dataset.fields[0].name: self.client.get(key)}
        return {dataset.fields[0].name: sorted(self._values(dataset, key, ""))}

    def _values(self, dataset: Dataset, key: str, hash_field: str) -> list[str]:
        redis_type = self._type(key)
        if redis_type == "none":
            return []
        self._check_type(dataset, redis_type)
        if redis_type == "set":
            return [str(member) for member in self.client.sscan_iter(key, count=1000)]
        if redis_type == "string":
            return [str(self.client.get(key))]
        if not hash_field:
            raise self.error(f"dataset {dataset.name}: name the hash field that holds the identifier", transient=False)
        value = self.client.hget(key, hash_field)
        return [] if value is None else [str(value)]

    # Writing

    def erase(
        self,
        subject: Subject,
        checkpoint: Checkpoint,
        *,
        batch_size: int = 5000,
        heartbeat: Callable[[], None] = lambda: None,
    ) -> ActionCounts:
        return self._run(subject, checkpoint, self.system.datasets, self._erase_keys, batch_size, heartbeat)

    def correct(self, subject: Subject, changes: dict[str, dict[str, Any]], checkpoint: Checkpoint) -> ActionCounts:
        self.check_correction(changes)
        datasets = [d for d in self.system.datasets if changes.get(d.name)]

        def correct_keys(dataset: Dataset, keys: list[str], before_write: BeforeWrite) -> DatasetCounts:
            return self._correct_keys(dataset, keys, changes[dataset.name], before_write)

        return self._run(subject, checkpoint, datasets, correct_keys, 1000, lambda: None)

    def _run(
        self,
        subject: Subject,
        checkpoint: Checkpoint,
        datasets: list[Dataset] | tuple[Dataset, ...],
        apply: Callable[[Dataset, list[str], BeforeWrite], DatasetCounts],
        batch_size: int,
        heartbeat: Callable[[], None],
    ) -> ActionCounts:
        """Apply `apply` to each batch of the subject's keys, saving the position after each.

        Before a batch writes, its keys and counts are saved as ``pending``: a run killed
        between Redis's write and the checkpoint's save still counts that batch once.
        """
        state = checkpoint.get()
        with self._errors():
            run_subject = self.run_subject(subject, state)
            counts = ActionCounts.from_dict(state.get("counts", {}))
            progress = state.setdefault("datasets", {})
            for dataset in datasets:
                entry = progress.setdefault(dataset.name, {"position": {}, "done": False})
                totals = counts.dataset(dataset.name)
                totals.retained_reasons = retained_reasons(dataset)
                if entry["done"]:
                    continue
                if entry.get("pending"):
                    _settle_pending(entry, totals, _without_pending(apply, dataset))
                    state["counts"] = counts.to_dict()
                    checkpoint.save(state)
                for keys, position in self._key_batches(dataset, run_subject, entry["position"], batch_size):

                    def before_write(
                        done: DatasetCounts, keys: list[str] = keys, position: Any = position, entry: Any = entry
                    ) -> None:
                        entry["pending"] = {"keys": keys, "position": position, "done": asdict(done)}
                        checkpoint.save(state)

                    done = apply(dataset, keys, before_write) if keys else DatasetCounts()
                    _add(totals, done)
                    entry["position"] = position
                    entry.pop("pending", None)
                    state["counts"] = counts.to_dict()
                    checkpoint.save(state)
                    heartbeat()
                entry["done"] = True
                state["counts"] = counts.to_dict()
                checkpoint.save(state)
        return counts

    def _erase_keys(self, dataset: Dataset, keys: list[str], before_write: BeforeWrite) -> DatasetCounts:
        groups = erasure_groups(dataset)
        existing = self._existing(dataset, keys)
        done = DatasetCounts(matched=len(existing))
        if "delete_row" in groups or (dataset.locator.get("type", "hash") != "hash" and "null" in groups):
            if existing:
                done.deleted = len(existing)
                before_write(done)
                self.client.delete(*existing)
            return done
        done.retained = len(existing) if "retain" in groups else 0
        names = [f.name for f in dataset.fields if f.erasure in ("null", "mask", "hash")]
        if not existing or not names:
            return done
        current = self._read_fields(dataset, existing, names)
        writes = self.client.pipeline(transaction=True)
        for key, values in zip(existing, current, strict=True):
            row = dict(zip(names, values, strict=True)) if isinstance(values, list) else {names[0]: values}
            for action, attribute in (("null", "nulled"), ("mask", "masked"), ("hash", "hashed")):
                fields = [f.name for f in groups.get(action, [])]
                if self._erase_fields(writes, dataset, key, action, {n: row[n] for n in fields}):
                    setattr(done, attribute, getattr(done, attribute) + 1)
        before_write(done)
        writes.execute()
        return done

    def _erase_fields(self, pipe: Any, dataset: Dataset, key: str, action: str, row: dict[str, Any]) -> bool:
        """Queue the writes that apply `action` to these fields of one key; return whether any."""
        if action == "null":
            present = [name for name, value in row.items() if value is not None]
            if present:
                pipe.hdel(key, *present)
            return bool(present)
        new: dict[Any, str] = {}
        for name, value in row.items():
            if value is None or value == self.mask or (action == "hash" and str(value).startswith(HASH_PREFIX)):
                continue
            new[name] = self.mask if action == "mask" else hash_value(self.salt, value)
        if new and self._expected_type(dataset) == "hash":
            pipe.hset(key, mapping=new)
        elif new:
            pipe.set(key, next(iter(new.values())), keepttl=True)
        return bool(new)

    def _correct_keys(
        self, dataset: Dataset, keys: list[str], values: dict[str, Any], before_write: BeforeWrite
    ) -> DatasetCounts:
        existing = self._existing(dataset, keys)
        done = DatasetCounts(matched=len(existing))
        redis_type = self._expected_type(dataset)
        if redis_type == "set":
            raise self.error(f"dataset {dataset.name}: set members cannot be corrected", transient=False)
        names = list(values)
        writes = self.client.pipeline(transaction=True)
        for key, current in zip(existing, self._read_fields(dataset, existing, names), strict=True):
            old = dict(zip(names, current, strict=True)) if isinstance(current, list) else {names[0]: current}
            new: dict[Any, str] = {name: str(value) for name, value in values.items() if old[name] != str(value)}
            for name in new:
                done.note_previous(name, old[name])
            if new and redis_type == "hash":
                writes.hset(key, mapping=new)
            elif new:
                writes.set(key, new[names[0]], keepttl=True)
            done.corrected += 1 if new else 0
        before_write(done)
        writes.execute()
        return done

    def _read_fields(self, dataset: Dataset, keys: list[str], names: list[str]) -> list[Any]:
        """Return each key's values of `names` (a list for a hash, the value for a string)."""
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            if self._expected_type(dataset) == "hash":
                pipe.hmget(key, names)
            else:
                pipe.get(key)
        return list(pipe.execute())

    # Keys

    def _key_batches(
        self, dataset: Dataset, subject: Subject, position: Mapping[str, Any], batch_size: int
    ) -> Iterator[tuple[list[str], dict[str, Any]]]:
        """Yield (keys, position after them) from `position` on; keys may be an empty SCAN step."""
        patterns = self._patterns(dataset, subject)
        index, cursor = int(position.get("pattern", 0)), int(position.get("cursor", 0))
        while index < len(patterns):
            is_glob, pattern = patterns[index]
            if not is_glob:
                # Consecutive exact keys go in one batch.
                exact = list(itertools.takewhile(lambda p: not p[0], patterns[index : index + batch_size]))
                index += len(exact)
                yield [key for _, key in exact], {"pattern": index, "cursor": 0}
                continue
            cursor, keys = self.client.scan(cursor=cursor, match=pattern, count=batch_size)
            cursor = int(cursor)
            if cursor == 0:
                index += 1
            yield [str(k) for k in keys], {"pattern": index, "cursor": cursor}

    def _patterns(self, dataset: Dataset, subject: Subject) -> list[tuple[bool, str]]:
        """Return (is_glob, key or SCAN pattern) for each template and combination of values."""
        result = []
        for template in dataset.locator.get("keys", []):
            literals = PLACEHOLDER.split(template)[0::2]
            names = PLACEHOLDER.findall(template)
            is_glob = any(GLOB_CHARS.search(part) for part in literals)
            for combination in itertools.product(*(subject.values(name) for name in names)):
                values = [escape_glob(v) if is_glob else v for v in combination]
                key = "".join(part + value for part, value in zip(literals, [*values, ""], strict=True))
                result.append((is_glob, (escape_glob(self.prefix) if is_glob else self.prefix) + key))
        return result

    def _existing(self, dataset: Dataset, keys: list[str]) -> list[str]:
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.type(key)
        existing = []
        for key, redis_type in zip(keys, pipe.execute(), strict=True):
            if redis_type != "none":
                self._check_type(dataset, redis_type)
                existing.append(key)
        return existing

    def _type(self, key: str) -> str:
        return str(self.client.type(key))

    def _expected_type(self, dataset: Dataset) -> str:
        return str(dataset.locator.get("type", "hash"))

    def _check_type(self, dataset: Dataset, redis_type: str) -> None:
        if redis_type != self._expected_type(dataset):
            message = (
                f"a key of dataset {dataset.name} is a {redis_type}, the data map says {self._expected_type(dataset)}"
            )
            raise self.error(message, transient=False)

    def _dataset(self, name: str) -> Dataset:
        dataset = self.system.get_dataset(name)
        if dataset is None:
            raise self.error(f"unknown dataset {name!r}", transient=False)
        return dataset

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn redis-py errors into ConnectorErrors: connection trouble is transient."""
        try:
            yield
        except ConnectorError:
            raise
        except redis.RedisError as exc:
            transient = isinstance(exc, redis.ConnectionError | redis.TimeoutError)
            raise self.error(f"Redis error: {type(exc).__name__}: {exc}", transient=transient) from exc


def _without_pending(
    apply: Callable[[Dataset, list[str], BeforeWrite], DatasetCounts], dataset: Dataset
) -> Callable[[list[str]], DatasetCounts]:
    """`apply` for one dataset, recording no pending batch: a settled batch is counted at once."""
    return lambda keys: apply(dataset, keys, lambda done: None)


def _add(totals: DatasetCounts, done: DatasetCounts) -> None:
    for name in ("matched", "deleted", "nulled", "masked", "hashed", "corrected", "retained"):
        setattr(totals, name, getattr(totals, name) + getattr(done, name))
    totals.merge_previous(done)


def _settle_pending(
    entry: dict[str, Any], totals: DatasetCounts, apply_again: Callable[[list[str]], DatasetCounts]
) -> None:
    """Count the batch an interrupted run left pending exactly once, whether or not Redis wrote it.

    Every action only touches keys that still need it: if the writes happened, applying the
    batch again changes nothing and the counts saved before them are the batch's; if they did
    not, this does the work and its own counts are the batch's.
    """
    pending = entry.pop("pending")
    again = apply_again(list(pending["keys"]))
    _add(totals, again if again.changes else DatasetCounts(**pending["done"]))
    entry["position"] = pending["position"]
