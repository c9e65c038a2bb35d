"""The data map: loading, validation (every problem with its path), waves, dump and digest."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from demo import DEMO_DATAMAP_PATH
from requests_app.datamap import (
    DataMapError,
    datamap_digest,
    dump_datamap,
    load_datamap,
    load_datamap_file,
    waves,
)


def field(name: str, **overrides: Any) -> dict[str, Any]:
    return {
        "name": name,
        "category": "contact",
        "purpose": "To run the account.",
        "legal_basis": "Contract (GDPR Art. 6(1)(b))",
        "recipients": ["hosting provider"],
        "retention": "Life of the account.",
        "source": "the subject",
        "correctable": True,
        "erasure": "delete_row",
        **overrides,
    }


def small_map() -> dict[str, Any]:
    """Return a valid two-system map: accounts resolves user_id from email, orders uses it."""
    return {
        "version": "1",
        "systems": [
            {
                "name": "accounts",
                "kind": "sql",
                "description": "Accounts.",
                "connection": {"url_env": "ACCOUNTS_URL"},
                "identifiers": {
                    "searched_by": ["email"],
                    "provides": {"user_id": {"dataset": "users", "column": "id"}},
                },
                "datasets": [
                    {
                        "name": "users",
                        "description": "Users.",
                        "locator": {"table": "users", "primary_key": "id", "match": {"email": "email"}},
                        "fields": [field("email"), field("name")],
                    }
                ],
            },
            {
                "name": "orders",
                "kind": "sql",
                "description": "Orders.",
                "connection": {"url_env": "ORDERS_URL"},
                "identifiers": {"searched_by": ["user_id"]},
                "datasets": [
                    {
                        "name": "orders",
                        "description": "Orders.",
                        "locator": {"table": "orders", "primary_key": "id", "match": {"user_id": "user_id"}},
                        "fields": [field("address", category="billing")],
                    }
                ],
            },
        ],
    }


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(DataMapError) as caught:
        load_datamap(data)
    return caught.value.problems


def test_the_demo_map_loads_and_validates() -> None:
    datamap = load_datamap_file(DEMO_DATAMAP_PATH)
    names = [s.name for s in datamap.systems]
    assert names == ["accounts", "auth_provider", "api_usage", "telemetry", "billing", "sessions", "web_analytics"]
    assert {s.kind for s in datamap.systems} == {"sql", "redis", "http", "manual"}
    retained = [f for s in datamap.systems for d in s.datasets for f in d.fields if f.erasure == "retain"]
    assert retained
    assert all(f.erasure_reason for f in retained)


def test_the_demo_map_runs_email_systems_first_then_user_id_then_cookie_id() -> None:
    datamap = load_datamap_file(DEMO_DATAMAP_PATH)
    assert [[s.name for s in wave] for wave in waves(datamap)] == [
        ["accounts", "auth_provider"],
        ["api_usage", "telemetry", "billing", "sessions"],
        ["web_analytics"],
    ]


def test_dependencies_are_derived_from_who_provides_the_identifiers() -> None:
    datamap = load_datamap(small_map())
    orders = datamap.get_system("orders")
    assert orders is not None
    assert orders.depends_on == ("accounts",)


def test_an_explicit_dependency_puts_a_system_in_a_later_wave() -> None:
    data = small_map()
    data["systems"][0]["depends_on"] = ["orders"]
    data["systems"][0]["identifiers"]["provides"] = {}
    data["systems"][1]["identifiers"]["searched_by"] = ["email"]
    data["systems"][1]["datasets"][0]["locator"]["match"] = {"email": "email"}
    assert [[s.name for s in wave] for wave in waves(load_datamap(data))] == [["orders"], ["accounts"]]


def test_a_dumped_map_loads_back_equal() -> None:
    datamap = load_datamap_file(DEMO_DATAMAP_PATH)
    assert load_datamap(dump_datamap(datamap)) == datamap
    assert dump_datamap(load_datamap(dump_datamap(datamap))) == dump_datamap(datamap)


def test_the_digest_is_stable_and_changes_with_any_field() -> None:
    data = small_map()
    first = load_datamap(data)
    assert first.digest == datamap_digest(load_datamap(copy.deepcopy(data))) == datamap_digest(first)
    assert len(first.digest) == 64
    data["systems"][1]["datasets"][0]["fields"][0]["retention"] = "Two years."
    assert load_datamap(data).digest != first.digest


def test_a_map_with_many_problems_lists_every_one_with_its_path() -> None:
    data = small_map()
    del data["systems"][1]["datasets"][0]["fields"][0]["category"]
    data["systems"][0]["kind"] = "ftp"
    data["systems"][1]["datasets"][0]["fields"][0]["erasure"] = "shred"
    problems = problems_of(data)
    assert "systems[1].datasets[0].fields[0].category: missing" in problems
    assert any(p.startswith("systems[0].kind: unknown kind 'ftp'") for p in problems)
    assert any(
        p.startswith("systems[1].datasets[0].fields[0].erasure: unknown erasure action 'shred'") for p in problems
    )


def test_the_error_message_names_every_problem() -> None:
    data = small_map()
    del data["version"]
    del data["systems"][0]["datasets"][0]["fields"][1]["purpose"]
    with pytest.raises(DataMapError) as caught:
        load_datamap(data)
    assert "2 problem(s)" in str(caught.value)
    assert "version: missing" in str(caught.value)
    assert "systems[0].datasets[0].fields[1].purpose: missing" in str(caught.value)


def test_an_unknown_system_in_a_dependency_is_refused() -> None:
    data = small_map()
    data["systems"][1]["depends_on"] = ["accounts", "warehouse"]
    assert "systems[1].depends_on[1]: unknown system 'warehouse'" in problems_of(data)


def test_a_cycle_in_the_derivation_order_is_refused() -> None:
    data = small_map()
    # accounts now also needs order_ref, which orders provides from user_id, which accounts provides.
    data["systems"][0]["identifiers"]["searched_by"] = ["email", "order_ref"]
    data["systems"][1]["identifiers"]["provides"] = {"order_ref": {"dataset": "orders", "column": "id"}}
    problems = problems_of(data)
    assert any(p.startswith("systems: cycle in the derivation order: ") for p in problems)
    assert any("accounts -> orders -> accounts" in p or "orders -> accounts -> orders" in p for p in problems)


def test_an_identifier_nobody_provides_is_refused() -> None:
    data = small_map()
    data["systems"][1]["identifiers"]["searched_by"] = ["user_id", "customer_no"]
    assert (
        "systems[1].identifiers.searched_by[1]: no system provides 'customer_no' and it is not a subject identifier"
        in problems_of(data)
    )


def test_a_dataset_matched_by_an_identifier_its_system_is_not_searched_by_is_refused() -> None:
    data = small_map()
    data["systems"][1]["datasets"][0]["locator"]["match"] = {"phone": "phone"}
    problems = problems_of(data)
    assert any(p.startswith("systems[1].datasets[0].locator: identifier 'phone'") for p in problems)


def test_a_field_without_category_is_refused_with_its_path() -> None:
    data = small_map()
    data["systems"][0]["datasets"][0]["fields"][1]["category"] = ""
    assert problems_of(data) == ["systems[0].datasets[0].fields[1].category: missing"]


def test_an_unknown_category_is_refused() -> None:
    data = small_map()
    data["systems"][0]["datasets"][0]["fields"][1]["category"] = "misc"
    assert problems_of(data)[0].startswith("systems[0].datasets[0].fields[1].category: unknown category 'misc'")


def test_retain_without_a_reason_is_refused() -> None:
    data = small_map()
    data["systems"][1]["datasets"][0]["fields"][0]["erasure"] = "retain"
    assert problems_of(data) == [
        "systems[1].datasets[0].fields[0].erasure_reason: missing: retain needs the legal reason to keep the data"
    ]


def test_retain_with_a_reason_is_accepted() -> None:
    data = small_map()
    data["systems"][1]["datasets"][0]["fields"][0].update(erasure="retain", erasure_reason="Tax law, 10 years.")
    system = load_datamap(data).get_system("orders")
    assert system is not None
    assert system.datasets[0].fields[0].erasure_reason == "Tax law, 10 years."


def test_deleting_the_row_of_a_retained_field_is_refused() -> None:
    data = small_map()
    data["systems"][0]["datasets"][0]["fields"][1].update(erasure="retain", erasure_reason="Law.")
    assert any("delete_row deletes the retained fields too" in p for p in problems_of(data))


def test_an_unknown_kind_is_refused() -> None:
    data = small_map()
    data["systems"][1]["kind"] = "mainframe"
    assert problems_of(data) == ["systems[1].kind: unknown kind 'mainframe' (one of: sql, redis, http, manual)"]


def test_an_unknown_erasure_action_is_refused() -> None:
    data = small_map()
    data["systems"][0]["datasets"][0]["fields"][0]["erasure"] = "burn"
    assert problems_of(data)[0].startswith("systems[0].datasets[0].fields[0].erasure: unknown erasure action 'burn'")


def test_duplicate_system_dataset_and_field_names_are_refused() -> None:
    data = small_map()
    data["systems"][1]["name"] = "accounts"
    data["systems"][0]["datasets"].append(copy.deepcopy(data["systems"][0]["datasets"][0]))
    data["systems"][1]["datasets"][0]["fields"].append(field("address"))
    problems = problems_of(data)
    assert "systems[1].name: duplicate system name 'accounts'" in problems
    assert "systems[0].datasets[1].name: duplicate dataset name 'users'" in problems
    assert "systems[1].datasets[0].fields[1].name: duplicate field name 'address'" in problems


def test_a_misspelt_key_is_refused_rather_than_ignored() -> None:
    data = small_map()
    data["systems"][0]["datasets"][0]["fields"][0]["erasure_reson"] = "typo"
    assert problems_of(data) == ["systems[0].datasets[0].fields[0].erasure_reson: unknown key"]


def test_a_password_in_the_connection_settings_is_refused() -> None:
    data = small_map()
    data["systems"][0]["connection"]["password"] = "hunter2"
    problems = problems_of(data)
    assert problems == [
        "systems[0].connection.password: a secret must not be written in the data map: "
        "put it in an environment variable and name it"
    ]
    assert "hunter2" not in str(problems)


def test_a_url_with_user_and_password_is_refused_without_repeating_the_password() -> None:
    data = small_map()
    data["systems"][0]["connection"]["url"] = "postgres://dsar:s3cret@db.internal/accounts"
    problems = problems_of(data)
    assert any(p.startswith("systems[0].connection.url: holds a URL with a password") for p in problems)
    assert any("url_env" in p for p in problems)
    assert "s3cret" not in str(problems)


def test_an_environment_variable_reference_must_be_a_variable_name() -> None:
    data = small_map()
    data["systems"][0]["connection"]["url_env"] = "postgres://localhost/accounts"
    assert problems_of(data) == [
        "systems[0].connection.url_env: must be the name of an environment variable, not 'postgres://localhost/accounts'"
    ]


def test_a_sql_system_without_a_url_variable_is_refused() -> None:
    data = small_map()
    data["systems"][1]["connection"] = {}
    assert problems_of(data) == ["systems[1].connection.url_env: missing"]


def test_hash_erasure_needs_a_salt_variable() -> None:
    data = small_map()
    data["systems"][1]["datasets"][0]["fields"][0]["erasure"] = "hash"
    assert problems_of(data) == [
        "systems[1].connection.hash_salt_env: missing: fields erased by hash need a salt from an environment variable"
    ]
    data["systems"][1]["connection"]["hash_salt_env"] = "DSAR_HASH_SALT"
    assert load_datamap(data)


def test_a_redis_key_template_without_an_identifier_is_refused() -> None:
    data = yaml.safe_load(DEMO_DATAMAP_PATH.read_text())
    sessions = next(s for s in data["systems"] if s["name"] == "sessions")
    sessions["datasets"][0]["locator"]["keys"] = ["session:*"]
    problems = problems_of(data)
    assert len(problems) == 1
    assert problems[0].startswith(
        "systems[5].datasets[0].locator.keys[0]: 'session:*' must name at least one identifier"
    )


def test_a_manual_step_needs_instructions() -> None:
    data = yaml.safe_load(DEMO_DATAMAP_PATH.read_text())
    del data["systems"][6]["datasets"][0]["locator"]["instructions"]
    assert problems_of(data) == ["systems[6].datasets[0].locator.instructions: missing"]


def test_a_derivation_from_an_unknown_column_is_refused() -> None:
    data = small_map()
    data["systems"][0]["identifiers"]["provides"]["user_id"]["column"] = "uid"
    assert problems_of(data) == [
        "systems[0].identifiers.provides.user_id.column: 'uid' is neither the primary key nor a field of users"
    ]


def test_a_file_that_is_not_yaml_is_a_datamap_error(tmp_path: Any) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("systems: [unclosed\n")
    with pytest.raises(DataMapError, match="not valid YAML"):
        load_datamap_file(path)


def test_the_data_map_alone_says_which_fields_a_correction_may_touch() -> None:
    datamap = load_datamap_file(DEMO_DATAMAP_PATH)
    corrections: dict[str, dict[str, dict[str, object]]] = {
        "accounts": {"users": {"phone": "+44 20 7946 0000", "id": 5, "shoe_size": 44}},
        "nowhere": {"things": {"colour": "blue"}},
    }
    assert datamap.correction_refusals(corrections) == [
        "accounts.users.id (not correctable)",
        "accounts.users.shoe_size (not in the data map)",
        "nowhere.things.colour (not in the data map)",
    ]
    accounts = datamap.get_system("accounts")
    assert accounts is not None
    assert accounts.correction_refusals({"users": ["phone", "id"]}) == ["users.id (not correctable)"]
    assert datamap.correction_refusals({"accounts": {"users": {"phone": "1"}}}) == []


def test_a_system_names_its_owner_and_transfers_and_they_survive_a_dump() -> None:
    data = small_map()
    data["systems"][0]["owner"] = "dba@example.com"
    data["systems"][0]["transfers"] = [{"to": "United States", "safeguard": "SCCs (GDPR Art. 46(2)(c))"}]
    datamap = load_datamap(data)
    accounts = datamap.systems[0]
    assert accounts.owner == "dba@example.com"
    assert [(t.to, t.safeguard) for t in accounts.transfers] == [("United States", "SCCs (GDPR Art. 46(2)(c))")]
    assert load_datamap(dump_datamap(datamap)) == datamap


def test_a_map_without_owners_or_transfers_keeps_its_digest() -> None:
    assert "owner" not in dump_datamap(load_datamap(small_map()))["systems"][0]
    assert "transfers" not in dump_datamap(load_datamap(small_map()))["systems"][0]


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("owner", "not an address", "systems[0].owner: 'not an address' is not an email address"),
        ("owner", "a@b", "systems[0].owner: 'a@b' is not an email address"),
        ("owner", 42, "systems[0].owner: must be text, not int"),
        ("transfers", "US", "systems[0].transfers: must be a list of {to, safeguard}"),
        ("transfers", ["US"], "systems[0].transfers[0]: must be a mapping {to: country, safeguard: what allows"),
        ("transfers", [{"to": "US"}], "systems[0].transfers[0].safeguard: missing"),
        ("transfers", [{"to": "US", "safeguard": "SCCs", "via": "x"}], "systems[0].transfers[0].via: unknown key"),
    ],
)
def test_a_bad_owner_or_transfer_is_refused_with_its_path(key: str, value: Any, problem: str) -> None:
    data = small_map()
    data["systems"][0][key] = value
    with pytest.raises(DataMapError) as raised:
        load_datamap(data)
    assert any(p.startswith(problem) for p in raised.value.problems), raised.value.problems


def test_every_demo_system_has_an_owner() -> None:
    datamap = load_datamap_file(DEMO_DATAMAP_PATH)
    assert all(system.owner for system in datamap.systems)
    assert any(system.transfers for system in datamap.systems)
