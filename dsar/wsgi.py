"""WSGI entry point (gunicorn dsar.wsgi)."""

import os
import sys

from django.core.wsgi import get_wsgi_application

from dsar.env import SettingsProblems

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsar.settings")

try:
    application = get_wsgi_application()
except SettingsProblems as problems:
    # Every problem of the configuration, one line each, instead of a traceback per worker.
    sys.stderr.write(f"{problems}\n")
    sys.exit(2)

# Load what the first page would (the URL configuration, the templates) before serving it.
from requests_app.infra.warmup import web_warm

web_warm()
