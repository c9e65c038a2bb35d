"""Connection settings of a system: what each kind accepts, and no secret written in the map.

The data map lives in version control and in export manifests, so a secret must never be
in it: settings that are secret (a database URL with its password, a token) name the
environment variable that holds them (`url_env: DEMO_ACCOUNTS_URL`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

CONNECTION_KEYS: dict[str, set[str]] = {
    "sql": {"url_env", "schema", "hash_salt_env", "mask", "connect_timeout"},
    "redis": {"url_env", "key_prefix", "hash_salt_env", "mask", "connect_timeout", "read_timeout"},
    "http": {
        "base_url",
        "base_url_env",
        "token_env",
        "connect_timeout",
        "read_timeout",
        "poll_interval",
        "max_wait",
        "retries",
        "retry_backoff",
    },
    "manual": {"vendor", "contact"},
}
# Each tuple: at least one of these keys is needed.
REQUIRED_KEYS: dict[str, list[tuple[str, ...]]] = {
    "sql": [("url_env",)],
    "redis": [("url_env",)],
    "http": [("base_url", "base_url_env")],
    "manual": [],
}
POSITIVE_NUMBERS = {"connect_timeout", "read_timeout", "poll_interval", "max_wait", "retry_backoff"}
SECRET_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey", "credential", "private_key")
CREDENTIALS_IN_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^/@\s]*:[^/@\s]*@", re.IGNORECASE)
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEFAULT_MASK = "[erased]"


def check_connection(kind: str, connection: Mapping[str, Any], *, uses_hash: bool) -> Iterator[tuple[str, str]]:
    """Yield (path suffix, message) for every problem in one system's connection settings."""
    allowed = CONNECTION_KEYS[kind]
    for key, value in connection.items():
        path = f".{key}"
        name = str(key).lower()
        if any(word in name for word in SECRET_WORDS) and not name.endswith("_env"):
            yield path, "a secret must not be written in the data map: put it in an environment variable and name it"
        elif key not in allowed:
            hint = f": name the environment variable in {key}_env instead" if f"{key}_env" in allowed else ""
            yield path, f"unknown setting for a {kind} system{hint}"
        elif name.endswith("_env") and not (isinstance(value, str) and ENV_NAME.match(value)):
            yield path, f"must be the name of an environment variable, not {value!r}"
        elif key in POSITIVE_NUMBERS and not _positive(value):
            yield path, "must be a positive number of seconds"
        elif key == "retries" and not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            yield path, "must be a whole number, 0 or more"
        for found in _literal_credentials(value):
            yield path, f"holds a URL with a password ({found}...): put the URL in an environment variable"
    for choices in REQUIRED_KEYS[kind]:
        if not any(connection.get(key) for key in choices):
            yield f".{choices[0]}", "missing" if len(choices) == 1 else f"missing: one of {', '.join(choices)}"
    if uses_hash and kind in ("sql", "redis") and not connection.get("hash_salt_env"):
        yield ".hash_salt_env", "missing: fields erased by hash need a salt from an environment variable"


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _literal_credentials(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        match = CREDENTIALS_IN_URL.search(value)
        if match:
            yield value[: match.start() + value[match.start() :].index("://") + 3]
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _literal_credentials(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _literal_credentials(item)


def env_value(connection: Mapping[str, Any], key: str, environ: Mapping[str, str], *, required: bool = True) -> str:
    """Return the value of the environment variable named by `connection[key]`.

    Raises `LookupError` naming the variable (never its value) when it is needed and unset.
    """
    name = connection.get(key)
    if not name:
        if required:
            raise LookupError(f"the connection settings do not name {key}")
        return ""
    value = environ.get(str(name), "")
    if required and not value:
        raise LookupError(f"the environment variable {name} (named by {key}) is not set")
    return value
