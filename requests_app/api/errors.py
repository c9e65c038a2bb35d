"""One error shape for every API answer that is not a success.

    {"error": {"code": "transition_not_allowed", "message": "...", "details": {...}}}

``code`` is stable (clients branch on it), ``message`` is for a person. Domain errors
(``ApplicationError``) say what the workflow refused; DRF's own errors keep their codes; an
unexpected exception is logged and answered with a 500 in the same shape, never a trace.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from requests_app.errors import ActionNotAvailable, ApplicationError, ExtensionNotAllowed, TransitionNotAllowed

logger = logging.getLogger(__name__)


class ErrorBodySerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="A stable code, such as `not_found` or `transition_not_allowed`.")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    details = serializers.DictField(required=False, help_text="Per-field problems, or facts about the refusal.")


class ErrorSerializer(serializers.Serializer[Any]):
    error = ErrorBodySerializer()


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# Workflow refusals that are about the request's state, not the caller's input.
_CONFLICTS = (TransitionNotAllowed, ExtensionNotAllowed, ActionNotAvailable)


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for field, value in detail.items():
            return f"{field}: {_first_message(value)}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def _drf_error(exc: exceptions.APIException) -> tuple[str, str, dict[str, Any] | None]:
    if isinstance(exc, exceptions.ValidationError):
        return "invalid", "The request body is not valid: " + _first_message(exc.detail), {"fields": exc.detail}
    if isinstance(exc, exceptions.ParseError):
        return "malformed_body", f"The request body could not be read: {exc.detail}", None
    if isinstance(exc, exceptions.Throttled):
        return "rate_limited", "Too many calls: wait before trying again", {"retry_after": getattr(exc, "wait", None)}
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    return str(code), str(exc.detail), None


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, ApplicationError):
        conflict = isinstance(exc, _CONFLICTS)
        return Response(
            error_body(_snake(type(exc).__name__), exc.message, exc.extra or None),
            status=status.HTTP_409_CONFLICT if conflict else status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("API error in %s", type(context.get("view")).__name__, exc_info=exc)
        return Response(
            error_body("server_error", "Something went wrong on our side; nothing more was changed"),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    assert isinstance(exc, exceptions.APIException)  # noqa: S101 - DRF answers only its own exceptions
    code, message, details = _drf_error(exc)
    response.data = error_body(code, message, details)
    return response


def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """Any /api/ path that names nothing: a 404 in the API's shape, not the HTML page."""
    return JsonResponse(error_body("not_found", "There is nothing at this address"), status=404)


ERROR_DESCRIPTIONS = {
    400: "The body or a parameter is not valid, or the workflow's rules refuse it (`code` says which).",
    401: "No credentials, or an unknown, revoked or expired API key.",
    403: "The key lacks the scope (or the staff member the permission) this needs.",
    404: "No such request, store task or page.",
    409: "The request's state does not allow this now.",
    415: "The body is not JSON.",
    429: "Too many calls; `Retry-After` says when to try again.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of an operation, all in the one error shape."""
    wanted = sorted({400, 401, 403, 429, *statuses})
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in wanted}
