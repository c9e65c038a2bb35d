"""Registering the authorised agents that may send Data Rights Protocol requests.

Used by the staff pages and the ``drp_agent_register`` command; every change is on the audit
trail. An agent is who the privacy team trusts: its DRP id, the Ed25519 key its messages must
verify with (DRP v0.9.4 §3.05.1, §3.07), the actions it may send, and whether it is active.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from requests_app.errors import GuardFailed
from requests_app.models import DrpAction, DrpAgent, verify_key_bytes
from requests_app.workflow.audit import audit_append

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from requests_app.workflow.audit import Actor


def _check_agent_fields(*, verify_key: str, allowed_actions: list[str]) -> None:
    try:
        verify_key_bytes(verify_key)
    except ValueError as error:
        raise GuardFailed(str(error)) from None
    unknown = sorted(set(allowed_actions) - set(DrpAction.values))
    if unknown:
        raise GuardFailed(
            f"Unknown actions {', '.join(unknown)}; this product carries out {', '.join(DrpAction.values)}"
        )
    if not allowed_actions:
        raise GuardFailed("Allow the agent at least one action")


def agent_register(
    *,
    agent_id: str,
    name: str,
    email: str,
    verify_key: str,
    allowed_actions: list[str],
    actor: Actor,
    registered_by: AbstractBaseUser | None = None,
) -> DrpAgent:
    """Register an authorised agent with its DRP id, its Ed25519 verify key and what it may ask."""
    agent_id = agent_id.strip()
    if not agent_id or len(agent_id) > 100:
        raise GuardFailed("The agent id must be 1 to 100 characters")
    _check_agent_fields(verify_key=verify_key, allowed_actions=allowed_actions)
    try:
        with transaction.atomic():
            agent = DrpAgent.objects.create(
                agent_id=agent_id,
                name=name.strip(),
                email=email.strip(),
                verify_key=verify_key.strip(),
                allowed_actions=sorted(set(allowed_actions)),
                registered_by=registered_by,  # type: ignore[misc]
            )
            audit_append(
                actor=actor,
                action="drp.agent_registered",
                data={"agent_id": agent.agent_id, "actions": agent.allowed_actions},
            )
    except IntegrityError:
        raise GuardFailed(f"An agent with the id {agent_id!r} is already registered") from None
    return agent


def agent_update(
    *, agent: DrpAgent, name: str, email: str, verify_key: str, allowed_actions: list[str], actor: Actor
) -> DrpAgent:
    """Change an agent's name, address, key or actions. A new key ends its tokens: the agent
    sets up a new one, signed with the new key."""
    _check_agent_fields(verify_key=verify_key, allowed_actions=allowed_actions)
    with transaction.atomic():
        locked = DrpAgent.objects.select_for_update().get(pk=agent.pk)
        key_changed = locked.verify_key != verify_key.strip()
        locked.name, locked.email = name.strip(), email.strip()
        locked.verify_key, locked.allowed_actions = verify_key.strip(), sorted(set(allowed_actions))
        locked.save()
        if key_changed:
            locked.tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit_append(
            actor=actor,
            action="drp.agent_changed",
            data={"agent_id": locked.agent_id, "actions": locked.allowed_actions, "key_changed": key_changed},
        )
    return locked


def agent_set_active(*, agent: DrpAgent, active: bool, actor: Actor) -> DrpAgent:
    """Deactivate an agent (its tokens stop working at once) or let it back in."""
    with transaction.atomic():
        locked = DrpAgent.objects.select_for_update().get(pk=agent.pk)
        locked.active = active
        locked.save(update_fields=["active", "updated_at"])
        if not active:
            locked.tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit_append(
            actor=actor,
            action="drp.agent_activated" if active else "drp.agent_deactivated",
            data={"agent_id": locked.agent_id},
        )
    return locked
