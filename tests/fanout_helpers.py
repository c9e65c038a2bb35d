"""Shared pieces of the tests that run against the demo estate."""

from __future__ import annotations

from requests_app.audit import Actor

STAFF = Actor.system("tests")
