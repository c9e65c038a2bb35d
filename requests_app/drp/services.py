"""What an authorised agent does through the DRP endpoints, and what staff do to agents.

Data Rights Protocol v0.9.4, acting as the covered business (and its own privacy
infrastructure provider). Each function is one use case; the views only read the HTTP request
and write the answer. A refusal is a ``MessageRefused``: it is put on the audit trail here (the
step that failed, the agent the caller claimed to be, the size and SHA-256 of the body, never
the body itself) and answered in the §3.06 error shape by the view.

An agent's request is an agent request in this product's sense: it goes through
``services.requests.request_submit`` like one made on the form, so the subject confirms it at
their own address and the privacy team reviews the agent's authorisation before any data is
touched (CCPA regulations § 7063). Nothing the agent attests skips that.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from requests_app.drp import messages
from requests_app.drp.messages import MessageRefused
from requests_app.drp.status import status_object
from requests_app.errors import ApplicationError, GuardFailed
from requests_app.infra import outbound_http
from requests_app.laws import deadlines
from requests_app.models import (
    OPEN_STATES,
    Channel,
    DrpAction,
    DrpAgent,
    DrpAgentToken,
    DrpRequest,
    RequestType,
    verify_key_bytes,
)
from requests_app.services import requests as request_services
from requests_app.workflow.audit import Actor, audit_append
from requests_app.workflow.new_request import NewRequest

if TYPE_CHECKING:
    from datetime import datetime

# DRP §3.01 actions as this product's request types.
REQUEST_TYPES: dict[str, str] = {DrpAction.ACCESS: RequestType.ACCESS, DrpAction.DELETION: RequestType.DELETION}
# DRP §3.01: requests are made under "ccpa" or, with no regime, on a voluntary basis (this
# product's default rule then). Other regimes "shall be encoded in future iterations": one
# whose name is a law this product has a rule for is taken under that rule.
VOLUNTARY = ""


def agent_actor(agent: DrpAgent) -> Actor:
    return Actor(label=f"drp-agent:{agent.agent_id}")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def message_digest(buffer: bytes) -> str:
    return hashlib.sha256(buffer).hexdigest()


@dataclass(frozen=True)
class Refusal:
    """What the audit trail keeps of a refused call: never the body, only its size and hash."""

    endpoint: str
    body: bytes = b""
    claimed_agent: str = ""


def refusal_record(refusal: Refusal, error: MessageRefused, *, agent: DrpAgent | None = None) -> None:
    """Put a refused DRP call on the audit trail, in its own transaction (the work rolled back)."""
    data: dict[str, Any] = {
        "endpoint": refusal.endpoint,
        "step": error.step,
        "status": error.status,
        "body_bytes": len(refusal.body),
        "body_sha256": hashlib.sha256(refusal.body).hexdigest(),
    }
    if refusal.claimed_agent:
        data["claimed_agent"] = refusal.claimed_agent[:100]
    with transaction.atomic():
        audit_append(
            actor=agent_actor(agent) if agent is not None else Actor(label="anonymous"),
            action="drp.refused",
            reason=error.message,
            data=data,
        )


def _now() -> datetime:
    return timezone.now()


def _skew() -> timedelta:
    return timedelta(seconds=settings.DSAR_DRP_CLOCK_SKEW_SECONDS)


def _verify_key(agent: DrpAgent) -> bytes:
    return verify_key_bytes(agent.verify_key)


# --- Bearer tokens (§2.05) -----------------------------------------------------------------


def agent_for_bearer(authorization: str) -> tuple[DrpAgent, DrpAgentToken]:
    """The active agent whose current pairwise token ``Authorization: Bearer <token>`` presents.

    Only the token's hash is stored; the row is found by hash and the hashes are compared in
    constant time, so a near miss takes as long as a far one.
    """
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        raise MessageRefused("A bearer token from POST /drp/v1/agent/{agent-id} is required", step="token", status=401)
    presented = token_hash(token)
    row = (
        DrpAgentToken.objects.select_related("agent")
        .filter(token_hash=presented, revoked_at__isnull=True, agent__active=True)
        .first()
    )
    if row is None or not hmac.compare_digest(row.token_hash, presented):
        raise MessageRefused("The bearer token is not valid", step="token", status=401)
    DrpAgentToken.objects.filter(pk=row.pk).update(last_used_at=_now())
    return row.agent, row


def agent_key_setup(*, agent_id: str, body: bytes) -> dict[str, str]:
    """Validate a signed key set-up message and issue a new pairwise token (§2.05).

    The agent is the one the URL names; the message must verify with its registered key and
    pass §3.07's checks; the same signed message is never accepted twice (a replay within its
    validity would otherwise mint a token for whoever captured it). The new token replaces
    the agent's earlier ones. On any failure the view answers 403 with no body (§2.05.1).
    """
    refusal = Refusal(endpoint="agent", body=body, claimed_agent=agent_id)
    agent = DrpAgent.objects.filter(agent_id=agent_id, active=True).first()
    try:
        if agent is None or not settings.DSAR_DRP_BUSINESS_ID:
            raise MessageRefused("No active agent is registered with this id", step="agent", status=403)
        buffer = messages.body_decode(body, max_bytes=settings.DSAR_DRP_MAX_BODY_BYTES)
        claims = messages.claims_read(messages.signature_open(buffer, _verify_key(agent)))
        messages.envelope_check(
            claims, agent_id=agent.agent_id, business_id=settings.DSAR_DRP_BUSINESS_ID, now=_now(), clock_skew=_skew()
        )
        version = messages.version_check(claims)
        token = secrets.token_urlsafe(32)
        with transaction.atomic():
            # One set-up at a time per agent, so two at once cannot leave two live tokens.
            DrpAgent.objects.select_for_update().filter(pk=agent.pk).values_list("pk").first()
            DrpAgentToken.objects.filter(agent=agent, revoked_at__isnull=True).update(revoked_at=_now())
            try:
                with transaction.atomic():
                    DrpAgentToken.objects.create(
                        agent=agent, token_hash=token_hash(token), message_digest=message_digest(buffer)
                    )
            except IntegrityError:
                raise MessageRefused(
                    "This signed message was already used to set up a token", step="replay", status=403
                ) from None
            audit_append(
                actor=agent_actor(agent),
                action="drp.token_issued",
                data={"agent_id": agent.agent_id, "version": version},
            )
    except MessageRefused as error:
        refusal_record(refusal, error, agent=agent)
        raise
    return {"agent-id": agent.agent_id, "token": token}


def agent_information(*, agent_id: str, authorization: str) -> dict[str, Any]:
    """§2.06: an empty document when the token is the agent's in the URL; 403 otherwise."""
    refusal = Refusal(endpoint="agent-information", claimed_agent=agent_id)
    agent: DrpAgent | None = None
    try:
        agent, _token = agent_for_bearer(authorization)
        if agent.agent_id != agent_id:
            raise MessageRefused("The bearer token is not this agent's", step="agent-id", status=403)
    except MessageRefused as error:
        refusal_record(refusal, error, agent=agent)
        raise
    return {}


# --- Exercise, status, revoke (§2.01, §2.02, §2.04) ------------------------------------------


def _signed_claims(*, agent: DrpAgent, body: bytes, envelope: str) -> tuple[bytes, dict[str, Any]]:
    """Steps 1 to 6 of §3.07 for a message from ``agent``; the buffer and the claims.

    ``envelope`` is "required" for an exercise request. A revoke message (§2.04) is specified
    with only a ``reason``: its envelope is checked when it is there ("if_present").
    """
    buffer = messages.body_decode(body, max_bytes=settings.DSAR_DRP_MAX_BODY_BYTES)
    claims = messages.claims_read(messages.signature_open(buffer, _verify_key(agent)))
    if envelope == "required" or any(name in claims for name in ("agent-id", "business-id", "issued-at", "expires-at")):
        messages.envelope_check(
            claims, agent_id=agent.agent_id, business_id=settings.DSAR_DRP_BUSINESS_ID, now=_now(), clock_skew=_skew()
        )
    return buffer, claims


def _jurisdiction(regime: str) -> str | None:
    if regime == VOLUNTARY:
        return None
    try:
        return deadlines.get_rule(regime).code
    except ApplicationError:
        raise MessageRefused(
            f"The regime {regime[:32]!r} is not one this business answers under", step="content"
        ) from None


def _details(agent: DrpAgent, drp_id: str, exercise: messages.Exercise) -> str:
    """What staff read on the request page about where it came from and what the agent attests."""
    lines = [
        f"Sent by the authorised agent {agent.name} ({agent.agent_id}) through the Data Rights Protocol "
        f"(version {exercise.drp_version}), request {drp_id}.",
    ]
    if exercise.identity.verified:
        lines.append(f"The agent says it verified: {', '.join(exercise.identity.verified)}.")
    if exercise.relationships:
        lines.append(f"Relationships the subject asks us to consider: {', '.join(exercise.relationships)}.")
    if exercise.identity.power_of_attorney:
        lines.append(f"Power of attorney (as the agent referred to it): {exercise.identity.power_of_attorney}")
    else:
        lines.append("No power of attorney was referred to: ask the agent for the subject's signed authorisation.")
    return "\n".join(lines)


def exercise_submit(*, authorization: str, body: bytes) -> dict[str, Any]:
    """Take in a signed data rights request from an agent (§2.01) and answer its status (§2.01.1).

    Validated in §3.07's order, then the request itself: a version this product speaks, an
    action it carries out and the agent may send, a regime it answers under, an email address
    for the subject, a callback URL it may call. The message's SHA-256 is unique: the same
    signed request presented again creates nothing. The connection's address is the agent's
    server, not the subject's: it is not kept, nor counted as a fraud signal.
    """
    refusal = Refusal(endpoint="data-rights-request", body=body)
    agent: DrpAgent | None = None
    try:
        agent, _token = agent_for_bearer(authorization)
        buffer, claims = _signed_claims(agent=agent, body=body, envelope="required")
        digest = message_digest(buffer)
        if DrpRequest.objects.filter(message_digest=digest).exists():
            raise MessageRefused("This signed request was already received", step="replay", status=403)
        exercise = messages.exercise_read(claims)
        if exercise.action not in agent.allowed_actions:
            raise MessageRefused(
                f"This agent is not registered to send {exercise.action} requests",
                step="content",
                status=403,
                fatal=True,
            )
        jurisdiction = _jurisdiction(exercise.regime)
        if exercise.status_callback and (problem := outbound_http.url_problem(exercise.status_callback)):
            raise MessageRefused(f"The status_callback URL is not accepted: {problem}", step="content")
        drp = _exercise_record(agent=agent, exercise=exercise, digest=digest, jurisdiction=jurisdiction)
    except MessageRefused as error:
        refusal_record(refusal, error, agent=agent)
        raise
    return status_object(drp)


def _exercise_record(
    *, agent: DrpAgent, exercise: messages.Exercise, digest: str, jurisdiction: str | None
) -> DrpRequest:
    identity = exercise.identity
    identifiers = {
        name: value for name, value in (("phone", identity.phone_number), ("address", identity.address)) if value
    }
    drp = DrpRequest(
        agent=agent,
        agent_request_id=exercise.agent_request_id,
        drp_version=exercise.drp_version,
        exercise=exercise.action,
        regime=exercise.regime,
        relationships=list(exercise.relationships),
        claims_received=list(identity.received),
        claims_verified=list(identity.verified),
        status_callback=exercise.status_callback,
        message_digest=digest,
    )
    new = NewRequest(
        channel=Channel.DRP,
        request_type=REQUEST_TYPES[exercise.action],
        subject_email=identity.email,
        subject_name=identity.name,
        jurisdiction=jurisdiction,
        details=_details(agent, str(drp.drp_id), exercise),
        identifiers=identifiers,
        agent_name=agent.name,
        agent_email=agent.email,
    )
    try:
        with transaction.atomic():
            request = request_services.request_submit(new, actor=agent_actor(agent))
            drp.request = request
            drp.save()
    except GuardFailed as error:
        # request_create's own checks (the subject's address is not an address).
        raise MessageRefused(error.message, step="content") from None
    except IntegrityError:
        # The same message at the same moment from two connections: one wins, by the constraint.
        raise MessageRefused("This signed request was already received", step="replay", status=403) from None
    return drp


def _drp_of_agent(*, agent: DrpAgent, request_id: str) -> DrpRequest:
    drp_id = _uuid_or_none(request_id)
    drp = (
        None if drp_id is None else DrpRequest.objects.select_related("request", "agent").filter(drp_id=drp_id).first()
    )
    if drp is None:
        raise MessageRefused("No such request", step="request", status=404)
    if drp.agent_id != agent.pk:
        # §2.02.1: an agent that does not manage the request gets 403.
        raise MessageRefused("This request is managed by another agent", step="request", status=403)
    return drp


def _uuid_or_none(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def exercise_status(*, authorization: str, request_id: str) -> dict[str, Any]:
    """§2.02: the status of one of the agent's own requests."""
    refusal = Refusal(endpoint="data-rights-request/status")
    agent: DrpAgent | None = None
    try:
        agent, _token = agent_for_bearer(authorization)
        drp = _drp_of_agent(agent=agent, request_id=request_id)
    except MessageRefused as error:
        if error.status != 404:
            refusal_record(refusal, error, agent=agent)
        raise
    return status_object(drp)


def exercise_revoke(*, authorization: str, request_id: str, body: bytes) -> dict[str, Any]:
    """§2.04: the agent revokes one of its open requests; the request is cancelled.

    Through the workflow's cancel path (the unfinished store work stops, on the record); the
    answer holds the new ``revoked`` status. Revoking a request already revoked answers the
    same again; one closed otherwise (done, refused) cannot be revoked.
    """
    refusal = Refusal(endpoint="data-rights-request/revoke", body=body)
    agent: DrpAgent | None = None
    try:
        agent, _token = agent_for_bearer(authorization)
        drp = _drp_of_agent(agent=agent, request_id=request_id)
        _buffer, claims = _signed_claims(agent=agent, body=body, envelope="if_present")
        reason = messages.revoke_reason_read(claims)
        with transaction.atomic():
            locked = DrpRequest.objects.select_for_update().select_related("request").get(pk=drp.pk)
            if locked.revoked_at is None:
                if locked.request.state not in OPEN_STATES:
                    raise MessageRefused(
                        f"The request is {locked.request.get_state_display().lower()} and can no longer be revoked",
                        step="content",
                        status=409,
                    )
                locked.revoked_at = _now()
                locked.save(update_fields=["revoked_at"])
                request_services.request_cancel(
                    request=locked.request,
                    actor=agent_actor(agent),
                    reason="Revoked by the authorised agent through the Data Rights Protocol"
                    + (f": {reason}" if reason else ""),
                )
    except MessageRefused as error:
        if error.status != 404:
            refusal_record(refusal, error, agent=agent)
        raise
    drp.refresh_from_db()
    drp.request.refresh_from_db()
    return status_object(drp)
