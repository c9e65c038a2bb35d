"""The container image and the compose stack, checked by reading their files.

No Docker engine is needed: these tests parse docker/compose.yaml (anchors and merge keys
resolved, as compose resolves them) and read docker/Dockerfile, and fail when a change would
leave a process without its dependencies, a service without a health check, or a secret
written into a file.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKER_DIR = ROOT / "docker"
COMPOSE_FILE = DOCKER_DIR / "compose.yaml"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
ENTRYPOINT = DOCKER_DIR / "entrypoint.sh"
DOCKERIGNORE = ROOT / ".dockerignore"

APP_SERVICES = ("web", "worker", "beat")
LONG_RUNNING = ("postgres", "redis", "mailpit", "web", "worker", "beat")
MAIL_SINK = "mailpit"


def _required_variable(name: str) -> str:
    """A pattern for `${NAME:?message}`: compose stops with the message when NAME is unset or empty."""
    return rf"\$\{{{name}:\?[^}}]+\}}"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def _environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    depends_on = service.get("depends_on", {})
    if isinstance(depends_on, list):
        return dict.fromkeys(depends_on, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in depends_on.items()}


def _named_volume(service: dict[str, Any], target: str) -> str | None:
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, _, rest = volume.partition(":")
            mount = rest.split(":")[0]
        else:
            source, mount = volume.get("source", ""), volume.get("target", "")
        if mount == target:
            return source
    return None


def _instructions(dockerfile: list[tuple[str, str]], keyword: str) -> list[str]:
    return [arguments for kw, arguments in dockerfile if kw == keyword]


# --- compose.yaml ---------------------------------------------------------------------------


def test_compose_file_defines_every_service_the_application_needs(services):
    for name in ("postgres", "redis", "migrate", "web", "worker", "beat", MAIL_SINK):
        assert name in services, f"compose.yaml has no {name!r} service"
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert services[MAIL_SINK]["image"].startswith("axllent/mailpit")


def test_every_long_running_service_has_a_health_check(services):
    for name in LONG_RUNNING:
        healthcheck = services[name].get("healthcheck")
        assert healthcheck, f"{name} has no healthcheck"
        assert not healthcheck.get("disable"), f"{name} disables its healthcheck"
        test = healthcheck.get("test")
        assert isinstance(test, list), f"{name}'s healthcheck test should be an exec list"
        assert test[0] in ("CMD", "CMD-SHELL"), f"{name}'s healthcheck test should start with CMD or CMD-SHELL"
        assert len(test) > 1, f"{name}'s healthcheck runs nothing"


def test_long_running_services_restart_unless_stopped_and_the_migration_runs_once(services):
    for name in LONG_RUNNING:
        assert services[name].get("restart") == "unless-stopped", f"{name} does not restart unless stopped"
    assert services["migrate"].get("restart", "no") == "no"
    assert _command(services["migrate"])[:3] == ["python", "manage.py", "migrate"]
    assert "--noinput" in _command(services["migrate"])


def test_application_services_are_built_from_the_project_dockerfile(services):
    for name in (*APP_SERVICES, "migrate"):
        build = services[name].get("build")
        assert isinstance(build, dict), f"{name} is not built from the Dockerfile"
        assert build.get("dockerfile") == "docker/Dockerfile", f"{name} builds another Dockerfile"
        context = (COMPOSE_FILE.parent / build.get("context", ".")).resolve()
        assert context == ROOT, f"{name}'s build context is {context}, not the project root"
        assert (context / build["dockerfile"]).is_file()


def test_application_services_wait_for_healthy_postgres_and_redis_and_a_finished_migration(services):
    for name in APP_SERVICES:
        depends_on = _depends_on(services[name])
        assert depends_on.get("postgres") == "service_healthy", f"{name} does not wait for a healthy postgres"
        assert depends_on.get("redis") == "service_healthy", f"{name} does not wait for a healthy redis"
        assert depends_on.get("migrate") == "service_completed_successfully", f"{name} starts before migrating"
    assert _depends_on(services["migrate"]).get("postgres") == "service_healthy"


def test_application_services_share_one_production_environment(services):
    environments = [_environment(services[name]) for name in (*APP_SERVICES, "migrate")]
    # The worker adds only how it stops: SIGTERM gives running tasks a grace period.
    worker = _environment(services["worker"])
    assert worker.pop("REMAP_SIGTERM") == "SIGQUIT"
    environments = [
        worker if name == "worker" else env for name, env in zip((*APP_SERVICES, "migrate"), environments, strict=True)
    ]
    assert all(environment == environments[0] for environment in environments)
    environment = environments[0]
    assert environment["DSAR_ENV"] == "production"
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:" in environment["DATABASE_URL"]
    assert environment["CELERY_BROKER_URL"].startswith("redis://redis:")
    assert environment["DSAR_VAR_DIR"] == "/var/lib/dsar"
    assert environment["DSAR_ALLOWED_HOSTS"]


def test_database_broker_and_application_data_live_in_declared_named_volumes(compose, services):
    declared = set(compose.get("volumes") or {})
    mounts = {
        "postgres": _named_volume(services["postgres"], "/var/lib/postgresql/data"),
        "redis": _named_volume(services["redis"], "/data"),
        "web": _named_volume(services["web"], "/var/lib/dsar"),
        "worker": _named_volume(services["worker"], "/var/lib/dsar"),
        "beat": _named_volume(services["beat"], "/var/lib/dsar"),
    }
    for name, volume in mounts.items():
        assert volume, f"{name} keeps its data in no volume"
        assert volume in declared, f"{name}'s volume {volume!r} is not a declared named volume"
    assert mounts["web"] == mounts["worker"] == mounts["beat"], "web, worker and beat must share the data volume"
    assert len({mounts["postgres"], mounts["redis"], mounts["web"]}) == 3


def test_redis_keeps_queued_messages_across_a_restart(services):
    command = _command(services["redis"])
    assert command[0] == "redis-server"
    assert "--appendonly" in command
    assert command[command.index("--appendonly") + 1] == "yes"


def test_no_secret_is_written_into_the_compose_file(services):
    secret_key = _environment(services["web"])["SECRET_KEY"]
    assert re.fullmatch(_required_variable("SECRET_KEY"), secret_key), secret_key
    postgres_password = _environment(services["postgres"])["POSTGRES_PASSWORD"]
    assert re.fullmatch(_required_variable("POSTGRES_PASSWORD"), postgres_password), postgres_password
    database_url = _environment(services["web"])["DATABASE_URL"]
    assert re.fullmatch(rf"postgres://dsar:{_required_variable('POSTGRES_PASSWORD')}@postgres:5432/dsar", database_url)
    # Anything else that looks like a secret is a variable reference or empty too.
    for name, service in services.items():
        for key, value in _environment(service).items():
            if re.search(r"SECRET|PASSWORD|TOKEN|_KEY$", key):
                assert value == "" or re.fullmatch(r"\$\{[^}]+\}", value), f"{name}: {key} is a literal value"


def test_worker_runs_the_celery_worker_and_beat_runs_celery_beat(services):
    worker = _command(services["worker"])
    assert worker[:4] == ["celery", "-A", "dsar", "worker"]
    beat = _command(services["beat"])
    assert beat[:4] == ["celery", "-A", "dsar", "beat"]
    assert "--schedule" not in beat, "the schedule is in the database (django-celery-beat)"


def test_worker_and_beat_check_their_own_health_not_the_web_servers(services):
    worker_test = " ".join(services["worker"]["healthcheck"]["test"][1:])
    assert "inspect ping" in worker_test
    assert "healthz" not in worker_test
    beat_test = " ".join(services["beat"]["healthcheck"]["test"][1:])
    assert "/var/lib/dsar/beat-heartbeat" in beat_test
    assert "healthz" not in beat_test


def test_web_serves_port_8000_with_gunicorn_and_checks_healthz(services):
    web = services["web"]
    assert _command(web)[:2] == ["gunicorn", "dsar.wsgi:application"]
    assert any(str(port).endswith("8000:8000") for port in web.get("ports", []))
    test = " ".join(web["healthcheck"]["test"][1:])
    assert "http://127.0.0.1:8000/healthz" in test
    # Django answers 400 to a host it does not allow: the check sends an allowed one.
    assert "DSAR_ALLOWED_HOSTS" in test
    assert "Host" in test


def test_application_sends_its_mail_to_the_mail_sink_by_default_and_to_a_configured_server_otherwise(services):
    environment = _environment(services["worker"])
    assert environment["DSAR_EMAIL_BACKEND"] == "smtp"
    assert environment["DSAR_EMAIL_HOST"] == f"${{DSAR_EMAIL_HOST:-{MAIL_SINK}}}"
    assert environment["DSAR_EMAIL_PORT"] == "${DSAR_EMAIL_PORT:-1025}"
    assert environment["DSAR_EMAIL_USE_TLS"] == "${DSAR_EMAIL_USE_TLS:-false}"
    for name in ("DSAR_EMAIL_USE_SSL", "DSAR_EMAIL_USER", "DSAR_EMAIL_PASSWORD"):
        assert environment[name].startswith(f"${{{name}:-")


def test_https_redirect_is_a_variable_that_defaults_to_off_for_plain_http(services):
    assert _environment(services["web"])["DSAR_SECURE_SSL_REDIRECT"] == "${DSAR_SECURE_SSL_REDIRECT:-false}"


def test_only_the_web_server_and_the_mail_viewer_publish_ports(services):
    publishing = {name for name, service in services.items() if service.get("ports")}
    assert publishing == {"web", MAIL_SINK}


# --- Dockerfile -----------------------------------------------------------------------------


def test_dockerfile_builds_on_python_3_11_slim(dockerfile):
    bases = [arguments.split()[0] for arguments in _instructions(dockerfile, "FROM")]
    assert bases, "the Dockerfile has no FROM"
    assert all(base == "python:3.11-slim" for base in bases), bases


def test_dockerfile_runs_the_application_as_a_non_root_user(dockerfile):
    keywords = [keyword for keyword, _ in dockerfile]
    users = _instructions(dockerfile, "USER")
    assert users, "the Dockerfile never leaves root"
    last_user = users[-1].split(":")[0]
    assert last_user not in ("root", "0")
    last_user_at = len(keywords) - 1 - keywords[::-1].index("USER")
    assert last_user_at < keywords.index("CMD"), "USER must come before the command"
    assert any(
        "useradd" in run and "--uid 10001" in run and last_user in run for run in _instructions(dockerfile, "RUN")
    )


def test_dockerfile_installs_weasyprints_system_libraries_and_fonts(dockerfile):
    apt = " ".join(run for run in _instructions(dockerfile, "RUN") if "apt-get install" in run)
    for package in (
        "libpango-1.0-0",
        "libpangoft2-1.0-0",
        "libharfbuzz-subset0",
        "fonts-dejavu-core",
        "fonts-noto-core",
    ):
        assert re.search(rf"(?<![\w.-]){re.escape(package)}(?![\w.-])", apt), f"{package} is not installed"
    assert "--no-install-recommends" in apt
    assert "rm -rf /var/lib/apt/lists" in apt


def test_dockerfile_installs_the_pinned_requirements_without_a_pip_cache(dockerfile):
    pip = [run for run in _instructions(dockerfile, "RUN") if "pip install" in run]
    assert pip, "the Dockerfile installs no requirements"
    assert all("--no-cache-dir" in run for run in pip)
    assert any("-r /tmp/requirements.txt" in run for run in pip)


def test_dockerfile_collects_static_files_at_build_time_with_placeholder_settings_only(dockerfile):
    collect = [run for run in _instructions(dockerfile, "RUN") if "collectstatic" in run]
    assert len(collect) == 1
    assert "--noinput" in collect[0]
    placeholder = re.search(r"SECRET_KEY=(\S+)", collect[0])
    assert placeholder, "collectstatic needs a SECRET_KEY for the production settings"
    assert "placeholder" in placeholder.group(1)
    assert len(placeholder.group(1)) >= 50
    # Nothing secret (nor a placeholder for one) is kept in the image's environment.
    for keyword in ("ENV", "ARG"):
        for arguments in _instructions(dockerfile, keyword):
            assert not re.search(r"\b(SECRET_KEY|DATABASE_URL|CELERY_BROKER_URL|PASSWORD)\w*=", arguments), arguments


def test_dockerfile_keeps_static_files_outside_the_data_volume(dockerfile):
    env = " ".join(_instructions(dockerfile, "ENV"))
    assert "DSAR_VAR_DIR=/var/lib/dsar" in env
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "PYTHONUNBUFFERED=1" in env
    volumes = " ".join(_instructions(dockerfile, "VOLUME"))
    assert "/var/lib/dsar" in volumes
    collect = next(run for run in _instructions(dockerfile, "RUN") if "collectstatic" in run)
    assert "DSAR_VAR_DIR=/opt/dsar " in collect
    assert "ln -s /opt/dsar/static /var/lib/dsar/static" in collect
    script = ENTRYPOINT.read_text(encoding="utf-8")
    assert "static_src=/opt/dsar/static" in script
    assert script.rstrip().endswith('exec "$@"')


def test_dockerfile_checks_health_on_healthz_and_starts_gunicorn_on_port_8000(dockerfile):
    healthchecks = _instructions(dockerfile, "HEALTHCHECK")
    assert len(healthchecks) == 1
    assert "urllib.request" in healthchecks[0]
    assert "http://127.0.0.1:8000/healthz" in healthchecks[0]
    assert "8000" in _instructions(dockerfile, "EXPOSE")
    cmd = json.loads(_instructions(dockerfile, "CMD")[-1])
    assert cmd[:2] == ["gunicorn", "dsar.wsgi:application"]
    assert cmd[cmd.index("--bind") + 1] == "0.0.0.0:8000"
    assert cmd[cmd.index("--workers") + 1] == "3"
    assert cmd[cmd.index("--access-logfile") + 1] == "-"
    assert json.loads(_instructions(dockerfile, "ENTRYPOINT")[-1]) == ["/usr/local/bin/dsar-entrypoint"]


def test_build_context_leaves_out_local_environments_data_and_secrets():
    patterns = {line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines() if line.strip()}
    for pattern in (".git", ".venv", "var", ".env", "**/.env", "**/__pycache__", ".pytest_cache"):
        assert pattern in patterns, f".dockerignore does not exclude {pattern}"
    # The entrypoint is copied into the image, so it must stay in the context.
    assert "!docker/entrypoint.sh" in patterns


def test_the_worker_survives_a_broker_restart_and_stops_within_its_grace(services):
    worker = services["worker"]
    assert "--without-gossip" in worker["command"] and "--without-mingle" in worker["command"]
    assert worker["restart"] == "unless-stopped"
    grace = 20  # DSAR_WORKER_SHUTDOWN_GRACE_SECONDS by default
    assert int(str(worker["stop_grace_period"]).rstrip("s")) > grace


def test_the_web_server_logs_through_the_redacting_logger(services):
    assert "python:dsar.gunicorn_conf" in services["web"]["command"]
    assert "python:dsar.gunicorn_conf" in (DOCKER_DIR / "Dockerfile").read_text()
