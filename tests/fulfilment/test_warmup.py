"""A worker child warms what its first request needs as it starts (fulfilment/warmup.py).

Each test starts from empty caches, as a new child does: the PDF renderer's tables and the
data maps a process has read are replaced for the test.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from celery.signals import worker_process_init
from django.conf import settings
from django.template import engines
from django.template.backends.django import DjangoTemplates
from django.urls import clear_url_caches, get_resolver
from django.utils import translation

from requests_app import tasks
from requests_app.fulfilment import datamap_versions, results, warmup
from requests_app.fulfilment.bundles import rendering
from requests_app.fulfilment.bundles.report import render_access_report
from requests_app.fulfilment.datamap_versions import datamap_of, datamap_snapshot
from requests_app.notifications.emails import KINDS
from tests.factories import DataSubjectRequestFactory, demo_datamap_for_tests

if TYPE_CHECKING:
    from requests_app.models import DataSubjectRequest

pytestmark = pytest.mark.django_db

GENERATED = datetime(2026, 3, 20, 16, 0, tzinfo=UTC)


@pytest.fixture
def new_child(monkeypatch: pytest.MonkeyPatch) -> rendering._State:
    """Empty caches, as in a child that has just started; the tables it fills are returned."""
    state = rendering._State()
    monkeypatch.setattr(rendering, "_state", state)
    monkeypatch.setattr(datamap_versions, "_MAPS_BY_DIGEST", {})
    return state


def _template_loader() -> Any:
    engine = engines["django"]
    assert isinstance(engine, DjangoTemplates)
    return engine.engine.template_loaders[0]  # the cached loader, in front of the others


def _child_starts() -> None:
    tasks.connect_child_warming()  # what the worker does as it starts (worker_init)
    worker_process_init.send(sender=None)  # what a prefork child sends as it starts


def _access_report_of(request: DataSubjectRequest) -> None:
    """The access report of `request`, made as fulfilment makes it (no records found)."""
    assert request.datamap_version is not None
    context = results.bundle_context(request, datamap_of(request.datamap_version), tasks=[])
    with translation.override(request.language):
        render_access_report(io.BytesIO(), context, [], generated_at=GENERATED, record_limit=10)


def test_a_child_lays_out_the_explanation_of_the_data_map_in_use_so_its_first_access_report_does_not(new_child):
    demo_datamap_for_tests()
    version = datamap_snapshot()  # the stored version requests are answered with

    _child_starts()

    assert new_child.font_config is not None
    assert len(new_child.stylesheets) == len(settings.LANGUAGES)
    assert len(new_child.explanations) == 1
    assert version.digest in datamap_versions._MAPS_BY_DIGEST  # the store tasks' map, read once

    request = DataSubjectRequestFactory.create(language=settings.LANGUAGE_CODE)
    request.datamap_version = version
    _access_report_of(request)
    assert len(new_child.explanations) == 1  # taken from the cache: nothing was laid out again


def test_a_request_in_another_language_lays_its_own_explanation_out(new_child):
    demo_datamap_for_tests()
    version = datamap_snapshot()
    _child_starts()

    request = DataSubjectRequestFactory.create(language="fr")
    request.datamap_version = version
    _access_report_of(request)
    assert len(new_child.explanations) == 2  # the company's language was warmed, not every one


def test_a_current_map_never_stored_yet_is_warmed_from_the_map_itself(new_child):
    demo_datamap_for_tests()
    _child_starts()  # no request has stored this version yet
    assert len(new_child.explanations) == 1

    request = DataSubjectRequestFactory.create(language=settings.LANGUAGE_CODE)
    request.datamap_version = datamap_snapshot()  # the first request stores it
    _access_report_of(request)
    assert len(new_child.explanations) == 1


def test_with_no_data_map_a_child_still_warms_the_renderer_with_a_sample_and_says_it_is_ready(new_child, caplog):
    with caplog.at_level(logging.INFO, logger="requests_app.fulfilment.warmup"):
        _child_starts()
    assert new_child.font_config is not None
    assert len(new_child.explanations) == 1
    ready = [r.getMessage() for r in caplog.records if r.name == "requests_app.fulfilment.warmup"]
    assert len(ready) == 1 and ready[0].startswith("Worker child ready: warmed in ")


def test_a_child_builds_the_url_table_of_every_language_and_compiles_the_email_templates(new_child):
    clear_url_caches()  # as in a new process: no table built, no template compiled
    _template_loader().reset()

    warmup.worker_warm()

    built = get_resolver()._reverse_dict
    assert {language for language, _name in settings.LANGUAGES} <= set(built)
    cache = _template_loader().get_template_cache
    for kind in KINDS:
        assert {f"emails/{kind}_subject.txt", f"emails/{kind}.txt", f"emails/{kind}.html"} <= set(cache)


def test_a_child_makes_each_systems_connector_without_connecting_to_any_store(new_child, monkeypatch, caplog):
    from requests_app.fulfilment.connectors import sql

    engines_made: dict[object, object] = {}
    monkeypatch.setattr(sql, "_ENGINES", engines_made)
    nothing_listens = "postgresql+psycopg://warm:secret@127.0.0.1:9/customers"  # the discard port
    monkeypatch.setenv("DSAR_DEMO_SQL_URL", nothing_listens)
    monkeypatch.delenv("DSAR_DEMO_AUTH_URL", raising=False)  # a system without its settings
    demo_datamap_for_tests()
    datamap_snapshot()

    with caplog.at_level(logging.INFO, logger="requests_app.fulfilment.warmup"):
        warmup.worker_warm()

    (engine,) = engines_made.values()  # the demo's SQL systems share one database, so one pool
    assert isinstance(engine, sa.Engine)
    assert engine.url.render_as_string(hide_password=False) == nothing_listens
    pool = engine.pool
    assert isinstance(pool, sa.QueuePool)
    assert pool.checkedin() == 0 and pool.checkedout() == 0  # never connected
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert failures == []  # the system without settings is left to its first task to report
