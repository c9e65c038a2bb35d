"""Hostile data maps: any JSON-like structure, the demo map with any part broken, any file.

tests/datamap/test_datamap.py names each problem a map can have; these properties check the other
half of load_datamap's promise: whatever the structure, it returns a DataMap or raises
DataMapError listing problems, and never another exception. A map it accepts must also have
a digest (every export is stamped with it) and dump back to itself.

The crashes these found when they were written are tests of their own at the end of this
module: a locator that cannot be iterated, connection data JSON cannot hold, and files PyYAML
cannot turn into data.
"""

from __future__ import annotations

import contextlib
import copy
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demo import DEMO_DATAMAP_PATH
from requests_app.datamap import load_datamap_file
from requests_app.datamap.schema import DataMap, DataMapError, dump_datamap
from requests_app.datamap.validate import load_datamap

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

PROPERTY = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
DEMO: dict[str, Any] = yaml.safe_load(DEMO_DATAMAP_PATH.read_text(encoding="utf-8"))


def outcome_of(call: Callable[[], Any]) -> Any:
    """What `call` returns, or the DataMapError it raises (any other exception fails the test)."""
    try:
        return call()
    except DataMapError as error:
        return error


def check_loads_or_lists_problems(load: Callable[[], DataMap]) -> DataMap | None:
    """Call `load`; a DataMapError must list problems, a DataMap must have a digest and dump back equal."""
    outcome = outcome_of(load)
    if isinstance(outcome, DataMapError):
        assert outcome.problems
        assert all(isinstance(problem, str) and problem for problem in outcome.problems)
        return None
    assert isinstance(outcome, DataMap)
    assert len(outcome_of(lambda: outcome.digest)) == 64
    assert outcome_of(lambda: load_datamap(dump_datamap(outcome))) == outcome
    return outcome


# --- any structure ------------------------------------------------------------------------

KEYS = [
    "version", "subject_identifiers", "systems", "name", "kind", "description", "connection", "identifiers",
    "searched_by", "provides", "depends_on", "datasets", "recipient", "locator", "fields", "table", "primary_key",
    "match", "keys", "type", "instructions", "dataset", "column", "field", "category", "purpose", "legal_basis",
    "recipients", "retention", "source", "correctable", "erasure", "erasure_reason", "disclose", "disclose_reason",
    "url_env", "hash_salt_env", "mask", "base_url", "base_url_env", "token_env", "connect_timeout", "retries",
    "vendor", "contact", "password", "email", "user_id",
]  # fmt: skip
WORDS = [
    "sql", "redis", "http", "manual", "hash", "set", "string", "delete_row", "null", "mask", "retain", "never",
    "always", "email", "user_id", "cookie_id", "{user_id}", "session:{user_id}:*", "{", "}", "{{}}", "DSAR_URL",
    "postgres://user:secret@db/x", "contact", "usage data", "1", "", " ", "\x00", "../../etc/passwd", "a" * 10_000,
]  # fmt: skip
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20), st.sampled_from(WORDS))
# YAML keys are any scalar ("1:", "null:", and "yes:" is True), so the keys are not all text.
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=10), st.integers(), st.none(), st.booleans())
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)


@given(json_like)
@PROPERTY
def test_any_json_like_structure_loads_or_lists_its_problems(data: Any) -> None:
    check_loads_or_lists_problems(lambda: load_datamap(data))


@given(st.dictionaries(st.sampled_from(["version", "subject_identifiers", "systems"]), json_like))
@PROPERTY
def test_any_values_under_the_top_level_keys_load_or_list_their_problems(data: dict[str, Any]) -> None:
    check_loads_or_lists_problems(lambda: load_datamap(data))


# --- the demo map, broken anywhere --------------------------------------------------------


def node_paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from node_paths(child, (*path, key))


# The demo map's nodes by kind ("systems.*.datasets.*.locator.match"): a kind is drawn first,
# so a locator is as likely to break as one of the sixty fields.
DEMO_NODES: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
for _path in node_paths(DEMO):
    DEMO_NODES.setdefault(tuple("*" if isinstance(key, int) else key for key in _path), []).append(_path)
demo_paths = st.sampled_from(sorted(DEMO_NODES)).flatmap(lambda kind: st.sampled_from(DEMO_NODES[kind]))
MUTATIONS = ["replace", "delete", "wrap in a list", "turn into text", "duplicate"]


def has(node: Any, key: Any) -> bool:
    if isinstance(node, dict):
        return key in node
    return isinstance(node, list) and isinstance(key, int) and key < len(node)


def mutated(data: Any, path: tuple[Any, ...], mutation: str, value: Any) -> Any:
    """`data` with the node at `path` changed by `mutation`; unchanged when the path is gone."""
    if not path:
        return value if mutation == "replace" else [data] if mutation == "wrap in a list" else data
    parent = data
    for key in path[:-1]:
        if not has(parent, key):
            return data
        parent = parent[key]
    key = path[-1]
    if not has(parent, key):
        return data
    if mutation == "replace":
        parent[key] = value
    elif mutation == "delete":
        del parent[key]
    elif mutation == "wrap in a list":
        parent[key] = [parent[key]]
    elif mutation == "turn into text":
        parent[key] = str(parent[key])
    elif isinstance(parent, list):  # duplicate: two systems, datasets or fields of one name
        parent.insert(key, copy.deepcopy(parent[key]))
    return data


@st.composite
def broken_demo_maps(draw: st.DrawFn) -> Any:
    data: Any = copy.deepcopy(DEMO)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(demo_paths)
        mutation = draw(st.sampled_from(MUTATIONS))
        data = mutated(data, path, mutation, draw(json_like) if mutation == "replace" else None)
    return data


def test_the_unbroken_demo_map_loads_so_every_problem_below_comes_from_a_mutation() -> None:
    assert check_loads_or_lists_problems(lambda: load_datamap(copy.deepcopy(DEMO))) is not None


@given(demo_paths, st.one_of(scalars, json_like))
@PROPERTY
def test_the_demo_map_with_any_node_replaced_by_anything_loads_or_lists_its_problems(
    path: tuple[Any, ...], value: Any
) -> None:
    data = mutated(copy.deepcopy(DEMO), path, "replace", value)
    check_loads_or_lists_problems(lambda: load_datamap(data))


@given(broken_demo_maps())
@PROPERTY
def test_the_demo_map_with_any_part_broken_loads_or_lists_its_problems(data: Any) -> None:
    check_loads_or_lists_problems(lambda: load_datamap(data))


# --- files --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def datamap_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file the examples of a property overwrite (module scope: Hypothesis runs many per test)."""
    return tmp_path_factory.mktemp("datamap") / "map.yaml"


YAML_PIECES = [
    "version: 1\n", "systems:\n", "  - ", "name: a\n", "kind: sql\n", "- ", ": ", "[", "]", "{", "}", ", ", "&a ",
    "*a", "<<: *a\n", "? ", "|\n", ">-\n", "---\n", "...\n", "%YAML 1.1\n", "!!str ", "!!binary ", "!!set ",
    "!!python/object/apply:os.system ['true']", "\t", "\ufeff", "'", '"', "#", "yes", "~", "0x1F", "1e400", "\n",
]  # fmt: skip
yaml_texts = st.lists(st.one_of(st.sampled_from(YAML_PIECES), st.text(max_size=20)), max_size=40).map("".join)


@given(yaml_texts)
@PROPERTY
def test_a_file_of_any_yaml_like_text_loads_or_lists_its_problems(datamap_file: Path, text: str) -> None:
    datamap_file.write_bytes(text.encode("utf-8", "surrogatepass"))
    check_loads_or_lists_problems(lambda: load_datamap_file(datamap_file))


@given(st.binary(max_size=500))
@settings(PROPERTY, report_multiple_bugs=False)
def test_a_file_of_any_bytes_loads_or_lists_its_problems(datamap_file: Path, content: bytes) -> None:
    datamap_file.write_bytes(content)
    with contextlib.suppress(DataMapError):
        load_datamap_file(datamap_file)


# --- the crashes these properties found, each a test ------------------------------------


def demo_with(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(DEMO)
    change(data)
    return data


@pytest.mark.parametrize(
    ("system", "key", "value"),
    [
        ("accounts", "match", 5),
        ("accounts", "match", True),
        ("sessions", "keys", None),
        ("sessions", "keys", 5),
        ("sessions", "keys", 1.5),
    ],
)
def test_a_locator_match_or_keys_that_cannot_be_iterated_is_a_listed_problem(system: str, key: str, value: Any) -> None:
    def change(data: dict[str, Any]) -> None:
        next(s for s in data["systems"] if s["name"] == system)["datasets"][0]["locator"][key] = value

    with pytest.raises(DataMapError) as caught:
        load_datamap(demo_with(change))
    assert any(key in problem for problem in caught.value.problems)


def test_a_map_whose_connection_json_cannot_encode_is_refused_or_has_a_digest() -> None:
    def change(data: dict[str, Any]) -> None:
        next(s for s in data["systems"] if s["kind"] == "manual")["connection"]["vendor"] = {1: "a", "b": "c"}

    try:
        datamap = load_datamap(demo_with(change))
    except DataMapError:
        return
    assert len(datamap.digest) == 64


DEMO_TEXT = DEMO_DATAMAP_PATH.read_text(encoding="utf-8")
UNREADABLE_FILES = {
    "bytes that are not UTF-8": b"version: \xff\xfe\n",
    "a date that does not exist": b"version: 2026-02-30\n",
    "an int tag on a word": b"version: !!int abc\n",
    "a float tag on a word": b"version: !!float abc\n",
    "flow collections nested 1,000 deep": b"version: " + b"[" * 1_000 + b"]" * 1_000 + b"\n",
    "an alias that holds itself in a connection": DEMO_TEXT.replace(
        "url_env: DSAR_DEMO_SQL_URL\n", "url_env: DSAR_DEMO_SQL_URL\n      mask: &m [*m]\n", 1
    ).encode(),
}


@pytest.mark.parametrize("content", list(UNREADABLE_FILES.values()), ids=list(UNREADABLE_FILES))
def test_a_file_that_pyyaml_cannot_turn_into_data_is_a_datamap_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "map.yaml"
    path.write_bytes(content)

    with pytest.raises(DataMapError):
        load_datamap_file(path)
