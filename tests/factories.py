"""Factories for the test suite. Requests are made through the workflow, as in real life."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from requests_app.models import Channel, DataSubjectRequest, RequestType, State
from requests_app.workflow.audit import Actor
from requests_app.workflow.new_request import NEW_REQUEST_FIELDS, NewRequest
from requests_app.workflow.transitions import request_create, transition


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")


class DataSubjectRequestFactory(factory.Factory[DataSubjectRequest]):
    """Build a request through ``workflow.request_create`` (so its audit event exists)."""

    class Meta:
        model = DataSubjectRequest

    request_type = RequestType.ACCESS
    channel = Channel.WEB
    subject_email = factory.Sequence(lambda n: f"subject{n}@example.org")
    subject_name = factory.Faker("name")
    jurisdiction = "gdpr"
    received_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class: type[DataSubjectRequest], *args: Any, **kwargs: Any) -> DataSubjectRequest:
        if "subject_identifiers" in kwargs:
            kwargs["identifiers"] = kwargs.pop("subject_identifiers")
        new = {name: kwargs.pop(name) for name in NEW_REQUEST_FIELDS if name in kwargs}
        return request_create(NewRequest(**new), actor=Actor.subject(), **kwargs)


# A valid path from "received" to every state, used to put a request where a test needs it.
PATH_TO: dict[State, list[State]] = {
    State.PENDING_VERIFICATION: [],
    State.VERIFIED: [State.VERIFIED],
    State.AWAITING_APPROVAL: [State.VERIFIED, State.AWAITING_APPROVAL],
    State.IN_PROGRESS: [State.VERIFIED, State.IN_PROGRESS],
    State.NEEDS_ATTENTION: [State.VERIFIED, State.IN_PROGRESS, State.NEEDS_ATTENTION],
    State.AWAITING_REQUESTER: [State.AWAITING_REQUESTER],
    State.COMPLETED: [State.VERIFIED, State.IN_PROGRESS, State.COMPLETED],
    State.REJECTED: [State.REJECTED],
    State.CANCELLED: [State.CANCELLED],
    State.CLOSED_UNVERIFIED: [State.CLOSED_UNVERIFIED],
}

REASON = "Reason given for the record."


def request_in_state(state: State, *, paused_from: State | None = None, **kwargs: Any) -> DataSubjectRequest:
    """A request (received long enough ago for every guard) moved to ``state`` through the workflow.

    ``paused_from`` puts an ``awaiting_requester`` request on hold from that state instead.
    """
    kwargs.setdefault("received_at", timezone.now() - timedelta(days=20))
    request = DataSubjectRequestFactory.create(**kwargs)
    path = PATH_TO[state]
    if paused_from is not None:
        path = [*PATH_TO[paused_from], State.AWAITING_REQUESTER]
    actor = Actor.system("tests")
    for step in path:
        transition(request, step, actor, reason=REASON)
    return request


def stored_bundle(request: DataSubjectRequest, **fields: Any) -> Any:
    """A small stored result for ``request``, sealed and recorded as fulfilment keeps one.

    Returns the ``Bundle``; ``fields`` override its row (expiry, download counts).
    """
    import hashlib
    import io
    import tempfile
    import zipfile
    from pathlib import Path

    from requests_app.fulfilment import bundle_keys
    from requests_app.fulfilment.bundles.crypto import encrypt_stream
    from requests_app.fulfilment.results import _record
    from requests_app.models import Bundle, BundleKind

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Your data.")
    plain = buffer.getvalue()
    with tempfile.TemporaryDirectory() as folder:
        sealed = Path(folder) / "bundle.enc"
        with sealed.open("wb") as out:
            encrypt_stream(io.BytesIO(plain), out, bundle_keys.encryption_key())
        bundle = _record(request, BundleKind.ACCESS, sealed, len(plain), hashlib.sha256(plain).hexdigest(), {}, 0)
    if fields:
        Bundle.objects.filter(pk=bundle.pk).update(**fields)
        bundle.refresh_from_db()
    return bundle


def appeal_in_state(state: State, *, of: DataSubjectRequest, **kwargs: Any) -> DataSubjectRequest:
    """An appeal of the decided request ``of``, by its subject, received now and moved to ``state``."""
    kwargs.setdefault("received_at", timezone.now())
    return request_in_state(
        state, request_type=RequestType.APPEAL, appeal_of=of.reference, subject_email=of.subject_email, **kwargs
    )


def demo_datamap_for_tests(*, keep_recipients: bool = False) -> None:
    """Import the demo data map without its vendor's console (a manual system), so the stores
    finish without a person; without its recipients too, unless ``keep_recipients`` (then the
    recipients of erased or corrected fields wait to be told by a person, GDPR Art. 19)."""
    from demo import DEMO_DATAMAP_PATH
    from requests_app.datamap import load_datamap_file
    from requests_app.datamap.schema import dump_datamap
    from requests_app.fulfilment.datamap_versions import datamap_import

    document = dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH))
    document["systems"] = [s for s in document["systems"] if s["kind"] != "manual"]
    if not keep_recipients:
        for system in document["systems"]:
            for dataset in system["datasets"]:
                for field in dataset["fields"]:
                    field["recipients"] = []
    datamap_import(document, actor=Actor.system("tests"))
