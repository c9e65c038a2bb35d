#!/usr/bin/env bash
# The whole check, as `make test` and CI run it, with the servers of scripts/services.sh
# already started and named in the environment (DATABASE_URL, CELERY_BROKER_URL).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=.venv/bin

step() { echo; echo "== $*"; }

step "translations (compiled from locale/*/LC_MESSAGES/django.po; the .mo files are not committed)"
$bin/python scripts/compile_messages.py

step "ruff"
$bin/ruff check .
$bin/ruff format --check .

step "mypy"
$bin/mypy .

step "import contracts (pyproject.toml [tool.importlinter])"
$bin/lint-imports

step "migrations are committed"
$bin/python manage.py makemigrations --check --dry-run

step "check --deploy under production settings"
# Throwaway values that satisfy production mode; the key is made afresh for each run.
DSAR_ENV=production \
  SECRET_KEY="$($bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
  DSAR_ALLOWED_HOSTS=privacy.example.com \
  DSAR_PUBLIC_BASE_URL=https://privacy.example.com \
  DSAR_EMAIL_HOST=smtp.example.com \
  DSAR_BUNDLE_SIGNING_KEY_FILE=/run/secrets/bundle-signing-key.pem \
  DSAR_BUNDLE_ENCRYPTION_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
  $bin/python manage.py check --deploy --fail-level WARNING

if docker compose version >/dev/null 2>&1; then
  step "docker compose config"
  SECRET_KEY=compose-config-check POSTGRES_PASSWORD=compose-config-check DSAR_BUNDLE_ENCRYPTION_KEY=compose-config-check \
    docker compose -f docker/compose.yaml config --quiet
fi

step "pytest"
# Files the tests write (media, mail, the development key) stay out of the demo's var/.
export DSAR_VAR_DIR="$PWD/var/test"
$bin/python -m pytest -n "${DSAR_TEST_WORKERS:-auto}" --dist loadfile "$@"
