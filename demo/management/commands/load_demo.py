"""``python manage.py load_demo``: a staff login and sample requests for the quick start.

Refuses to run in production: it creates a superuser whose password it prints.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from demo import DEMO_DATAMAP_PATH
from demo.seed import DECOY_EMAILS, SPECIAL_EMAILS, seed_estate
from requests_app.datamap import load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.fulfilment.datamap_versions import datamap_import, datamap_reachable_only
from requests_app.models import Channel, DataSubjectRequest, RequestType, State, System, VerificationChallenge
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor
from requests_app.workflow.new_request import NewRequest
from requests_app.workflow.transitions import request_assign

DEMO_USERNAME = "admin"


@dataclass(frozen=True)
class Sample:
    """One sample request and how far it goes: every sample is real (the worker does its work,
    as for any request) or waits in a state that needs nothing more than a person's decision."""

    name: str
    kind: str
    channel: str
    law: str
    days_ago: int
    path: str  # what happens to it (see Command._take)
    estate_email: int | None = None  # which demo estate person it is, if any (their data is real)


SAMPLES = (
    Sample("Ada Lovelace", RequestType.ACCESS, Channel.WEB, "gdpr", 1, "submitted"),
    Sample("Grace Hopper", RequestType.DELETION, Channel.EMAIL, "ccpa", 3, "email_confirmed"),
    Sample("Alan Turing", RequestType.ACCESS, Channel.STAFF, "gdpr", 9, "worked_extended"),
    Sample("Katherine Johnson", RequestType.CORRECTION, Channel.WEB, "pipeda", 12, "asked"),
    Sample("Edsger Dijkstra", RequestType.DELETION, Channel.WEB, "gdpr", 20, "worked", estate_email=1),
    Sample("Barbara Liskov", RequestType.ACCESS, Channel.EMAIL, "lgpd", 25, "worked", estate_email=0),
    Sample("Margaret Hamilton", RequestType.CORRECTION, Channel.WEB, "gdpr", 4, "worked", estate_email=2),
    Sample("Mallory Example", RequestType.ACCESS, Channel.WEB, "gdpr", 6, "rejected"),
    Sample("Unverified Person", RequestType.DELETION, Channel.EMAIL, "gdpr", 30, "unverified"),
)
DEMO_CORRECTION = {"accounts": {"users": {"phone": "+44 20 7946 0000"}}}
QUESTION = "Please confirm the account email you used to sign up."
REJECTION = "We could not confirm that the request came from the account holder."


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
        """Each sample through the services a real request takes, so what it says happened did."""
        if DataSubjectRequest.objects.exists():
            return 0
        actor = Actor.staff(get_user_model().objects.get(username=DEMO_USERNAME))
        estate = getattr(self, "demo_emails", ()) or (SPECIAL_EMAILS[1], SPECIAL_EMAILS[0], DECOY_EMAILS[1])
        for sample in SAMPLES:
            email = estate[sample.estate_email] if sample.estate_email is not None else _email_of(sample.name)
            new = NewRequest(
                channel=sample.channel,
                request_type=sample.kind,
                subject_email=email,
                subject_name=sample.name,
                jurisdiction=sample.law,
                details="My phone number is out of date." if sample.kind == RequestType.CORRECTION else "",
                received_at=timezone.now() - timedelta(days=sample.days_ago),
            )
            request = services.request_submit(new)
            self._take(request, sample, actor)
        services.requests_close_unverified()
        return len(SAMPLES)

    def _take(self, request: DataSubjectRequest, sample: Sample, actor: Actor) -> None:
        if sample.path in ("submitted", "unverified"):
            return  # waits for the subject (the second one is closed once its window has passed)
        if sample.path == "email_confirmed":
            challenge = VerificationChallenge.objects.filter(request=request).latest("created_at")
            services.request_confirm_email(challenge, method="link")  # a deletion then waits for staff
            return
        if sample.path == "rejected":
            services.request_reject(request=request, actor=actor, reason=REJECTION)
            return
        services.request_verify_manually(request=request, actor=actor, note="Confirmed by phone against the account")
        if sample.path == "asked":
            services.request_ask_requester(request=request, actor=actor, question=QUESTION)
            return
        if sample.path == "worked_extended":
            request_assign(request=request, actor=actor, assignee=actor.user)
            services.request_extend_with_notice(
                request=request, actor=actor, reason="Your data is spread over many systems."
            )
        request.refresh_from_db()
        if request.state == State.AWAITING_APPROVAL:
            corrections = DEMO_CORRECTION if sample.kind == RequestType.CORRECTION else None
            services.request_approve(request=request, actor=actor, corrections=corrections)


def _email_of(name: str) -> str:
    return f"{name.split()[0].lower()}@example.org"
