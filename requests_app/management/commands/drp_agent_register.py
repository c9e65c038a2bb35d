"""``python manage.py drp_agent_register --id ID --name NAME --email ADDRESS --verify-key BASE64
--actions access,deletion``: register an authorised agent for the Data Rights Protocol, as the
staff page "DRP agents" does."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app.errors import ApplicationError
from requests_app.models import DrpAction
from requests_app.services import drp_agents
from requests_app.staff.drp_views import MANAGE_AGENTS
from requests_app.workflow.audit import Actor


class Command(BaseCommand):
    help = "Register an authorised agent that may send Data Rights Protocol (v0.9.4) requests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--id", required=True, help="The agent's id in the DRP service directory.")
        parser.add_argument("--name", required=True, help="The agent's name, as staff and the subject see it.")
        parser.add_argument("--email", required=True, help="Where our emails to the agent go.")
        parser.add_argument("--verify-key", required=True, help="Base64 of the agent's Ed25519 public key.")
        parser.add_argument(
            "--actions", required=True, help=f"What it may send, comma-separated: {', '.join(DrpAction.values)}."
        )
        parser.add_argument("--actor", default="", help="Username of the Privacy admin registering it (audited).")

    def handle(self, *args: Any, **options: Any) -> None:
        actor, user = Actor.system("drp_agent_register"), None
        if options["actor"]:
            user = get_user_model().objects.filter(username=options["actor"], is_active=True).first()
            if user is None or not user.has_perm(MANAGE_AGENTS):
                raise CommandError(f"{options['actor']!r} is not an active Privacy admin")
            actor = Actor.staff(user)
        actions = [action.strip() for action in options["actions"].split(",") if action.strip()]
        try:
            agent = drp_agents.agent_register(
                agent_id=options["id"],
                name=options["name"],
                email=options["email"],
                verify_key=options["verify_key"],
                allowed_actions=actions,
                actor=actor,
                registered_by=user,
            )
        except ApplicationError as error:
            raise CommandError(f"{error.message}; nothing was registered") from None
        self.stdout.write(f"Registered {agent.agent_id} ({agent.name}): {', '.join(agent.allowed_actions)}")
