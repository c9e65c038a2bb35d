"""The DRP v0.9.4 endpoints of a covered business, under /drp/v1/: read the HTTP request, call
one service, answer JSON.

DRP §2.0: signed POST and DELETE bodies are ``text/plain`` (base64), answers are
``application/json``. Errors are the §3.06 shape (``code``, ``message``, ``fatal``), except a
failed key set-up, which §2.05.1 answers with 403 and no body. These views have their own
authentication (the agent's signature and pairwise token), so they are exempt from CSRF, which
protects cookie sessions; they read no cookie.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from requests_app.drp import services
from requests_app.drp.messages import MessageRefused

if TYPE_CHECKING:
    from django.http import HttpRequest


def _enabled() -> None:
    """Until the business id is set the endpoints do not exist."""
    if not settings.DSAR_DRP_BUSINESS_ID:
        raise Http404


def _json(body: dict[str, Any], status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _error(error: MessageRefused) -> JsonResponse:
    response = _json(error.as_error(), status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="drp"'
    return response


def _body(request: HttpRequest) -> bytes:
    """The body, read no further than one byte past the limit: a larger one is refused unread."""
    return request.read(settings.DSAR_DRP_MAX_BODY_BYTES + 1)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def agent(request: HttpRequest, agent_id: str) -> HttpResponse:
    """§2.05 ``POST /v1/agent/{agent-id}`` (key set-up) and §2.06 ``GET`` (agent information)."""
    _enabled()
    if request.method == "GET":
        try:
            return _json(services.agent_information(agent_id=agent_id, authorization=_authorization(request)))
        except MessageRefused as error:
            return _error(error) if error.status == 401 else HttpResponse(status=403)
    try:
        return _json(services.agent_key_setup(agent_id=agent_id, body=_body(request)))
    except MessageRefused:
        return HttpResponse(status=403)


@csrf_exempt
@require_http_methods(["POST"])
def exercise(request: HttpRequest) -> HttpResponse:
    """§2.01 ``POST /v1/data-rights-request``: a signed data rights request."""
    _enabled()
    try:
        status = services.exercise_submit(authorization=_authorization(request), body=_body(request))
    except MessageRefused as error:
        return _error(error)
    return _json(status)


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
def exercise_detail(request: HttpRequest, request_id: str) -> HttpResponse:
    """§2.02 ``GET /v1/data-rights-request/{id}`` (status) and §2.04 ``DELETE`` (revoke)."""
    _enabled()
    try:
        if request.method == "GET":
            return _json(services.exercise_status(authorization=_authorization(request), request_id=request_id))
        return _json(
            services.exercise_revoke(authorization=_authorization(request), request_id=request_id, body=_body(request))
        )
    except MessageRefused as error:
        return _error(error)


def _authorization(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_AUTHORIZATION", ""))
