"""The demo estate's SQL tables, as the accounts, API, telemetry and billing teams made them.

There are no foreign keys between them: in a real company they live in different
databases. Every table has an index on (user_id, id) (users: on email), so finding and
walking one subject's rows in key order stays as fast with millions of other rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from requests_app.fulfilment.connectors.sql import engine_url

DEMO_TABLES = ("users", "completions", "events", "invoices")


def _id() -> sa.Column[int]:
    # SQLite only numbers rows by itself for an INTEGER PRIMARY KEY.
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True)


def _user_id(*, nullable: bool = False) -> sa.Column[int]:
    return sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=nullable)


def demo_metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "users",
        metadata,
        _id(),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("phone", sa.String(50)),
        sa.Column("mailing_address", sa.String(500)),
        sa.Column("organisation", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Index("users_email_idx", "email", unique=True),
    )
    sa.Table(
        "completions",
        metadata,
        _id(),
        _user_id(),
        sa.Column("prompt", sa.Text),
        sa.Column("completion", sa.Text),
        sa.Column("model", sa.String(100)),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Index("completions_user_idx", "user_id", "id"),
    )
    sa.Table(
        "events",
        metadata,
        _id(),
        # Nullable: erasure unlinks events from the account and keeps them for statistics.
        _user_id(nullable=True),
        sa.Column("ip_address", sa.String(100)),
        sa.Column("user_agent", sa.String(500)),
        sa.Column("device_type", sa.String(50)),
        sa.Column("time_zone", sa.String(64)),
        sa.Column("country", sa.String(2)),
        sa.Column("accessed_at", sa.DateTime(timezone=True)),
        sa.Index("events_user_idx", "user_id", "id"),
    )
    sa.Table(
        "invoices",
        metadata,
        _id(),
        _user_id(),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("billing_address", sa.String(500)),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Index("invoices_user_idx", "user_id", "id"),
    )
    return metadata


def sql_engine(url: str) -> sa.Engine:
    return sa.create_engine(engine_url(url), poolclass=NullPool)
