"""``python manage.py api_key create --name NAME --scopes SCOPE,... [--days N]``, ``list``, ``revoke PREFIX``.

``create`` prints the key once: only its hash is kept.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app.errors import ApplicationError
from requests_app.models import ApiKey, ApiScope
from requests_app.services.api_keys import api_key_create, api_key_revoke
from requests_app.workflow.audit import Actor

ACTOR = Actor.system("command:api_key")


class Command(BaseCommand):
    help = "Make, list and revoke the API keys integrations call /api/v1/ with."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="Make a key and print it once.")
        create.add_argument("--name", required=True, help="What the key is for, e.g. 'account page'.")
        create.add_argument("--scopes", required=True, help=f"Comma-separated, from: {', '.join(ApiScope.values)}.")
        create.add_argument("--days", type=int, default=365, help="How long it is valid (default 365).")
        commands.add_parser("list", help="The keys, with their scopes, expiry and last use (never the key).")
        revoke = commands.add_parser("revoke", help="Revoke a key at once.")
        revoke.add_argument("prefix", help="The key's prefix, as `list` shows it.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['command']}")(options)
        except ApplicationError as error:
            raise CommandError(error.message) from None

    def _create(self, options: dict[str, Any]) -> None:
        key, raw = api_key_create(
            name=options["name"], scopes=options["scopes"].split(","), days=options["days"], actor=ACTOR
        )
        self.stderr.write(
            f"Key {key.prefix} ({key.name}) with {', '.join(key.scopes)}, valid until {key.expires_at:%Y-%m-%d}. "
            "It is shown only now: keep it in your secret store."
        )
        self.stdout.write(raw)

    def _list(self, options: dict[str, Any]) -> None:
        for key in ApiKey.objects.all():
            state = "revoked" if key.revoked_at else f"expires {key.expires_at:%Y-%m-%d}"
            used = f"last used {key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never used"
            self.stdout.write(f"{key.prefix}  {key.name}  {','.join(key.scopes)}  {state}  {used}")

    def _revoke(self, options: dict[str, Any]) -> None:
        key = ApiKey.objects.filter(prefix=options["prefix"]).first()
        if key is None:
            raise CommandError(f"No key has the prefix {options['prefix']!r}")
        api_key_revoke(key=key, actor=ACTOR)
        self.stdout.write(f"Key {key.prefix} ({key.name}) is revoked.")
