"""``python manage.py load_demo``: a staff login and sample requests for the quick start.

Refuses to run in production: it creates a superuser whose password it prints.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from requests_app import services
from requests_app.audit import Actor
from requests_app.datamap import DEMO_DATAMAP_PATH, load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.datamap.store import datamap_import, datamap_reachable_only
from requests_app.demo_estate.seed import seed_estate
from requests_app.models import Channel, DataSubjectRequest, RequestType, State, System
from requests_app.workflow import request_assign, request_create, request_extend, transition

DEMO_USERNAME = "admin"

# (type, channel, jurisdiction, days ago, name, path of states after "received")
SAMPLES: list[tuple[str, str, str, int, str, list[str]]] = [
    (RequestType.ACCESS, Channel.WEB, "gdpr", 1, "Ada Lovelace", []),
    (RequestType.DELETION, Channel.EMAIL, "ccpa", 3, "Grace Hopper", [State.VERIFIED]),
    (RequestType.ACCESS, Channel.API, "gdpr", 9, "Alan Turing", [State.VERIFIED, State.IN_PROGRESS]),
    (
        RequestType.CORRECTION,
        Channel.WEB,
        "pipeda",
        12,
        "Katherine Johnson",
        [State.VERIFIED, State.AWAITING_REQUESTER],
    ),
    (
        RequestType.DELETION,
        Channel.WEB,
        "gdpr",
        20,
        "Edsger Dijkstra",
        [State.VERIFIED, State.AWAITING_APPROVAL, State.IN_PROGRESS, State.NEEDS_ATTENTION],
    ),
    (
        RequestType.ACCESS,
        Channel.EMAIL,
        "lgpd",
        25,
        "Barbara Liskov",
        [State.VERIFIED, State.IN_PROGRESS, State.COMPLETED],
    ),
    (RequestType.ACCESS, Channel.WEB, "gdpr", 6, "Mallory Example", [State.REJECTED]),
    (RequestType.DELETION, Channel.EMAIL, "gdpr", 30, "Unverified Person", [State.CLOSED_UNVERIFIED]),
]

REASONS: dict[str, str] = {
    State.AWAITING_REQUESTER: "Please confirm the account email you used to sign up.",
    State.REJECTED: "We could not confirm that the request came from the account holder.",
}


class Command(BaseCommand):
    help = "Create a demo staff login and sample requests (not in production)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("load_demo creates a superuser with a printed password: not in production")
        password = self._demo_superuser()
        self._estate()
        created = self._samples()
        self.stdout.write(f"Demo data: {created} sample requests added ({DataSubjectRequest.objects.count()} in all).")
        self.stdout.write(
            self.style.SUCCESS(
                f"Staff login: http://127.0.0.1:8000/staff/  user: {DEMO_USERNAME}  password: {password}"
            )
        )

    def _demo_superuser(self) -> str:
        """Create the demo superuser, or give it a new password, and return the password."""
        password = secrets.token_urlsafe(12)
        user_model = get_user_model()
        user = user_model.objects.filter(username=DEMO_USERNAME).first()
        if user is None:
            user = user_model.objects.create_superuser(DEMO_USERNAME, "admin@example.com", password)
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        return password

    def _estate(self) -> None:
        """The demo data map and its stores, once; stores this machine cannot reach are left out."""
        if System.objects.exists():
            return
        document = dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH))
        document, skipped = datamap_reachable_only(document)
        datamap_import(document, actor=Actor.system("demo"))
        if skipped:
            self.stdout.write(f"Demo data map: left out {', '.join(skipped)} (no server for them in the quick start).")
        sql_url = os.environ.get("DSAR_DEMO_SQL_URL") or f"sqlite:///{settings.VAR_DIR / 'demo-estate.sqlite3'}"
        summary = seed_estate(
            sql_url,
            os.environ.get("DSAR_DEMO_REDIS_URL") or None,
            subjects=50,
            rows_per_subject=10,
            heavy_subjects=1,
            heavy_rows=2000,
            auth_db=os.environ.get("DSAR_DEMO_AUTH_DB") or settings.VAR_DIR / "demo-auth.sqlite3",
            reset=True,
        )
        self.stdout.write(f"Demo estate: {summary.users} accounts; try a request for {summary.heavy_emails[0]}.")
        self.demo_emails = (summary.heavy_emails[0], summary.special_emails[0], summary.decoy_emails[1])

    @transaction.atomic
    def _samples(self) -> int:
        if DataSubjectRequest.objects.exists():
            return 0
        staff = get_user_model().objects.get(username=DEMO_USERNAME)
        actor = Actor.staff(staff)
        for index, (kind, channel, law, days_ago, name, path) in enumerate(SAMPLES):
            request = request_create(
                actor=Actor.subject(),
                request_type=kind,
                channel=channel,
                subject_email=f"{name.split()[0].lower()}@example.org",
                subject_name=name,
                jurisdiction=law,
                details="Please send me everything you hold about me.",
                received_at=timezone.now() - timedelta(days=days_ago),
            )
            for state in path:
                transition(request, state, actor, reason=REASONS.get(state, ""))
            if index == 2:
                request_assign(request=request, actor=actor, assignee=staff)
                request_extend(request=request, actor=actor, reason="Your data is spread over many systems.")
        return len(SAMPLES) + self._estate_samples(actor)

    def _estate_samples(self, actor: Actor) -> int:
        """An access, a deletion and a correction for people in the demo estate, approved, so
        the worker takes them to completion (with their bundle, certificate and report) as
        soon as it starts."""
        emails = getattr(self, "demo_emails", ())
        if len(emails) < 3:
            return 0
        corrections = {"accounts": {"users": {"phone": "+44 20 7946 0000"}}}
        for email, kind in zip(
            emails, (RequestType.ACCESS, RequestType.DELETION, RequestType.CORRECTION), strict=False
        ):
            request = request_create(
                actor=Actor.subject(), request_type=kind, channel=Channel.WEB, subject_email=email,
                subject_name="Demo Subject", jurisdiction="gdpr",
                details="My phone number is out of date." if kind == RequestType.CORRECTION else "",
            )  # fmt: skip
            transition(request, State.VERIFIED, actor, reason="Verified for the demo")
            if kind == RequestType.ACCESS:
                services.request_start(request=request, actor=actor)
            else:
                transition(request, State.AWAITING_APPROVAL, actor, reason="Needs approval")
                services.request_approve(
                    request=request, actor=actor, corrections=corrections if kind == RequestType.CORRECTION else None
                )
        return 3
