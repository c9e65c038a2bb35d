"""A process that serves requests loads the URL configuration and templates before its first."""

from __future__ import annotations

import importlib
from typing import Any

from django.conf import settings
from django.template import engines
from django.template.backends.django import DjangoTemplates
from django.urls import clear_url_caches, get_resolver

from requests_app.infra import warmup


def _template_loader() -> Any:
    engine = engines["django"]
    assert isinstance(engine, DjangoTemplates)
    return engine.engine.template_loaders[0]  # the cached loader, in front of the others


def _compiled() -> set[str]:
    return set(_template_loader().get_template_cache)


def test_every_template_of_the_project_is_found_by_the_name_views_render_it_by():
    names = warmup.project_templates()
    assert {"public/request_form.html", "staff/base.html", "emails/completion.txt"} <= set(names)
    assert not any(name.startswith("/") for name in names)


def test_the_web_application_builds_its_url_tables_and_compiles_its_templates_as_it_loads():
    clear_url_caches()  # as in a new process: no table built, no template compiled
    _template_loader().reset()

    importlib.reload(importlib.import_module("dsar.wsgi"))  # what gunicorn does in each worker

    assert {language for language, _name in settings.LANGUAGES} <= set(get_resolver()._reverse_dict)
    assert set(warmup.project_templates()) <= _compiled()
