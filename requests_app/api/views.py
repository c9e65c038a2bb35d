"""The API's operations: thin views that parse, call one service or selector, and answer.

Every view needs a scope (``required_scope``, or ``scope_for_method``); every call made
with a key is on the audit trail, attributed to the key (``api.called``), beside whatever
the service itself records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from dsar.log_redaction import redact
from requests_app.api import actions as api_actions
from requests_app.api import idempotency
from requests_app.api.auth import (
    ApiKeyAuthentication,
    CallerThrottle,
    ScopeRequired,
    StaffSessionAuthentication,
    caller_actor,
    caller_key,
    caller_sees_personal_data,
    scope_demand,
)
from requests_app.api.errors import error_responses
from requests_app.api.serializers import (
    DataMapSerializer,
    RequestCreateSerializer,
    RequestSerializer,
    ResolveSerializer,
    StoreTaskSerializer,
    TimelineEventSerializer,
)
from requests_app.datamap import DataMapError
from requests_app.errors import ActionNotAvailable, GuardFailed
from requests_app.fulfilment import fanout
from requests_app.fulfilment.datamap_versions import datamap_current, datamap_document
from requests_app.infra import ratelimit
from requests_app.models import (
    NEEDS_PERSON_STATES,
    ApiScope,
    Channel,
    DataSubjectRequest,
    RequestType,
    State,
    StoreTask,
    StoreTaskState,
)
from requests_app.reports.queries import metrics_for_year, year_checked
from requests_app.services import requests as services
from requests_app.services.staff_entry import received_at_problem
from requests_app.staff.selectors import QueueQuery, queue_requests, request_timeline
from requests_app.workflow.audit import audit_append
from requests_app.workflow.new_request import NewRequest

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.request import Request

ID_PARAMETER = OpenApiParameter(
    "reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="The request's reference, e.g. DSR-7KQ2-M9XD."
)


class ApiView(APIView):
    authentication_classes = (ApiKeyAuthentication, StaffSessionAuthentication)
    permission_classes = (ScopeRequired,)
    throttle_classes = (CallerThrottle,)
    required_scope: ClassVar[str | None] = None
    subject_request: DataSubjectRequest | None = None

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        key = caller_key(request) if hasattr(request, "_user") else None
        if key is not None:
            audit_append(
                request=self.subject_request,
                actor=caller_actor(request),
                action="api.called",
                data={"method": request.method, "path": redact(request.path)[:300], "status": response.status_code},
            )
        return response

    def request_for_caller(self, reference: str) -> DataSubjectRequest:
        self.subject_request = get_object_or_404(
            DataSubjectRequest.objects.select_related("assignee", "appeal_of"), reference=reference
        )
        return self.subject_request

    def context(self, request: Request) -> dict[str, Any]:
        return {"personal": caller_sees_personal_data(request)}


# --- Requests --------------------------------------------------------------------------------


class RequestCursor(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-id")

    def decode_cursor(self, request: Any) -> Any:
        """A cursor that is not one of ours is the caller's mistake (400), not a missing page."""
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": ["Not a cursor from this API: use the next or previous link"]}) from None


class ListFilters(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=[("open", "any open state"), *State.choices], required=False)
    type = serializers.ChoiceField(choices=RequestType.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    jurisdiction = serializers.CharField(max_length=16, required=False)
    assignee = serializers.CharField(max_length=150, required=False, help_text='A username, or "none".')
    due = serializers.ChoiceField(choices=["overdue", "soon", "later"], required=False)
    due_before = serializers.DateField(required=False, help_text="Due on or before this day.")
    due_after = serializers.DateField(required=False, help_text="Due on or after this day.")
    search = serializers.CharField(max_length=254, required=False, help_text="Reference, email or name.")


LIST_PARAMETERS = [
    OpenApiParameter("state", OpenApiTypes.STR, enum=["open", *State.values]),
    OpenApiParameter("type", OpenApiTypes.STR, enum=RequestType.values),
    OpenApiParameter("channel", OpenApiTypes.STR, enum=Channel.values),
    OpenApiParameter("jurisdiction", OpenApiTypes.STR),
    OpenApiParameter("assignee", OpenApiTypes.STR, description='A username, or "none".'),
    OpenApiParameter("due", OpenApiTypes.STR, enum=["overdue", "soon", "later"]),
    OpenApiParameter("due_before", OpenApiTypes.DATE),
    OpenApiParameter("due_after", OpenApiTypes.DATE),
    OpenApiParameter(
        "search", OpenApiTypes.STR, description="Reference, email or name (name and email need personal-data rights)."
    ),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="From the previous page's next or previous link."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 200 (default 50)."),
]


class RequestPage(serializers.Serializer[Any]):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RequestSerializer(many=True)


class RequestsView(ApiView):
    scope_for_method: ClassVar[dict[str, str]] = {"GET": ApiScope.REQUESTS_READ, "POST": ApiScope.REQUESTS_CREATE}

    @extend_schema(
        operation_id="requests_list",
        summary="List requests",
        description="Every state by default; filter, search, and page with the cursor links.",
        parameters=LIST_PARAMETERS,
        responses={200: RequestPage, **error_responses()},
    )
    def get(self, request: Request) -> Response:
        filters = ListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        requests = self._filtered(request, filters.validated_data)
        paginator = RequestCursor()
        page = paginator.paginate_queryset(requests, request, view=self)
        data = RequestSerializer(page, many=True, context=self.context(request)).data
        return Response({"next": paginator.get_next_link(), "previous": paginator.get_previous_link(), "results": data})

    def _filtered(self, request: Request, given: dict[str, Any]) -> QuerySet[DataSubjectRequest]:
        assignee = given.get("assignee", "")
        query = QueueQuery(
            state=given.get("state", ""),
            request_type=given.get("type", ""),
            channel=given.get("channel", ""),
            jurisdiction=given.get("jurisdiction", ""),
            assignee="none" if assignee == "none" else "",
            due=given.get("due", ""),
            search=given.get("search", ""),
            search_by_reference_only=not caller_sees_personal_data(request),
        )
        requests = queue_requests(query, user=None, today=timezone.localdate())
        if assignee and assignee != "none":
            requests = requests.filter(assignee__username=assignee)
        if "due_before" in given:
            requests = requests.filter(due_at__lte=given["due_before"])
        if "due_after" in given:
            requests = requests.filter(due_at__gte=given["due_after"])
        return requests.order_by()

    @extend_schema(
        operation_id="requests_create",
        summary="Create a request",
        description=(
            "Records a request from the API channel. Without `verified_by` the subject is sent "
            "a verification email, as from the web form. With `verified_by` (and the "
            "requests:create_verified scope) the request is recorded as verified by the caller. "
            "Send an `Idempotency-Key` header to make a retry safe: the same key and body give "
            "the first answer (200) and create nothing new."
        ),
        request=RequestCreateSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        responses={201: RequestSerializer, 200: RequestSerializer, **error_responses(415)},
    )
    def post(self, request: Request) -> Response:
        body = RequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data["verified_by"]:
            scope_demand(request, ApiScope.REQUESTS_CREATE_VERIFIED)
        if data["received_at"] is not None and (problem := received_at_problem(data["received_at"])):
            raise GuardFailed(problem)
        key = request.headers.get("Idempotency-Key")

        def create() -> DataSubjectRequest:
            return self._create(request, data)

        if key is None:
            created, made = create(), True
        else:
            created, made = idempotency.create_once(
                key=idempotency.key_checked(key),
                body=request.data,
                api_key=caller_key(request),
                user=None if caller_key(request) else request.user,
                create=create,
            )
        self.subject_request = created
        answer = RequestSerializer(created, context=self.context(request)).data
        return Response(answer, status=status.HTTP_201_CREATED if made else status.HTTP_200_OK)

    def _create(self, request: Request, data: dict[str, Any]) -> DataSubjectRequest:
        new = NewRequest(
            channel=Channel.API,
            request_type=data["type"],
            subject_email=data["email"],
            subject_name=data["name"],
            jurisdiction=data["jurisdiction"] or None,
            details=data["details"],
            identifiers=data["identifiers"] or None,
            portability=data["portability"],
            received_at=data["received_at"],
            appeal_of=data["appeal_of"].strip(),
            language=data["language"],
        )
        actor = caller_actor(request)
        source_ip = ratelimit.client_ip(request._request)
        if data["verified_by"]:
            return services.request_submit_verified(
                new, actor=actor, verified_by=data["verified_by"], note=data["verification_note"], source_ip=source_ip
            )
        return services.request_submit(new, actor=actor, source_ip=source_ip)


class RequestView(ApiView):
    required_scope = ApiScope.REQUESTS_READ

    @extend_schema(
        operation_id="requests_retrieve",
        summary="Get one request",
        parameters=[ID_PARAMETER],
        responses={200: RequestSerializer, **error_responses(404)},
    )
    def get(self, request: Request, reference: str) -> Response:
        subject_request = self.request_for_caller(reference)
        return Response(RequestSerializer(subject_request, context=self.context(request)).data)


class TimelineView(ApiView):
    required_scope = ApiScope.REQUESTS_READ

    @extend_schema(
        operation_id="requests_timeline",
        summary="A request's audit trail, oldest first",
        parameters=[ID_PARAMETER],
        responses={200: TimelineEventSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, reference: str) -> Response:
        subject_request = self.request_for_caller(reference)
        personal = caller_sees_personal_data(request)
        events = []
        for entry in request_timeline(subject_request):
            if entry.event is None:
                continue
            event = entry.event
            events.append(
                {
                    "seq": event.seq,
                    "at": event.created_at,
                    "actor": event.actor,
                    "action": event.action,
                    "title": entry.title,
                    "from_state": event.from_state,
                    "to_state": event.to_state,
                    "text": entry.reason if personal else None,
                    "details": event.data,
                }
            )
        return Response(TimelineEventSerializer(events, many=True).data)


class StoreTasksView(ApiView):
    required_scope = ApiScope.REQUESTS_READ

    @extend_schema(
        operation_id="requests_store_tasks",
        summary="A request's work in each data store",
        parameters=[ID_PARAMETER],
        responses={200: StoreTaskSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, reference: str) -> Response:
        subject_request = self.request_for_caller(reference)
        tasks = subject_request.store_tasks.order_by("step", "id")
        return Response(StoreTaskSerializer(tasks, many=True, context=self.context(request)).data)


def _store_task(subject_request: DataSubjectRequest, task_pk: int, states: tuple[str, ...]) -> StoreTask:
    task = StoreTask.objects.filter(pk=task_pk, request=subject_request).first()
    if task is None:
        raise Http404("No such store task")
    if task.state not in states:
        raise ActionNotAvailable(f"The store task is {task.get_state_display().lower()}", extra={"state": task.state})
    return task


TASK_PARAMETER = OpenApiParameter("task_id", OpenApiTypes.INT, OpenApiParameter.PATH)


class StoreTaskRetryView(ApiView):
    required_scope = ApiScope.REQUESTS_ACT

    @extend_schema(
        operation_id="store_tasks_retry",
        summary="Try a failed store task again",
        request=None,
        parameters=[ID_PARAMETER, TASK_PARAMETER],
        responses={200: StoreTaskSerializer, **error_responses(404, 409)},
    )
    def post(self, request: Request, reference: str, task_id: int) -> Response:
        subject_request = self.request_for_caller(reference)
        task = _store_task(subject_request, task_id, (StoreTaskState.FAILED,))
        fanout.store_task_retry(task=task, actor=caller_actor(request))
        task.refresh_from_db()
        return Response(StoreTaskSerializer(task, context=self.context(request)).data)


class StoreTaskResolveView(ApiView):
    required_scope = ApiScope.REQUESTS_ACT

    @extend_schema(
        operation_id="store_tasks_resolve",
        summary="Record what happened in a store that failed or waits for a person",
        request=ResolveSerializer,
        parameters=[ID_PARAMETER, TASK_PARAMETER],
        responses={200: StoreTaskSerializer(many=True), **error_responses(404, 409, 415)},
    )
    def post(self, request: Request, reference: str, task_id: int) -> Response:
        subject_request = self.request_for_caller(reference)
        task = _store_task(subject_request, task_id, tuple(NEEDS_PERSON_STATES))
        body = ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        resolved = fanout.store_task_resolve(
            task=task,
            actor=caller_actor(request),
            outcome=body.validated_data["outcome"],
            note=body.validated_data["note"],
        )
        return Response(StoreTaskSerializer(resolved, many=True, context=self.context(request)).data)


def action_view(action: api_actions.ApiAction) -> type[ApiView]:
    """The view of one workflow verb: POST its body, get the request as it is afterwards."""

    @extend_schema(
        operation_id=f"requests_{action.path.replace('-', '_')}",
        summary=action.summary,
        request=action.serializer,
        parameters=[ID_PARAMETER],
        responses={200: RequestSerializer, **error_responses(404, 409, 415)},
    )
    def post(self: ApiView, request: Request, reference: str) -> Response:
        subject_request = self.request_for_caller(reference)
        body = action.serializer(data=request.data)
        body.is_valid(raise_exception=True)
        api_actions.action_run(
            action=action, request=subject_request, actor=caller_actor(request), data=dict(body.validated_data)
        )
        subject_request.refresh_from_db()
        return Response(RequestSerializer(subject_request, context=self.context(request)).data)

    name = "".join(part.title() for part in action.path.split("-")) + "ActionView"
    return type(name, (ApiView,), {"required_scope": ApiScope.REQUESTS_ACT, "post": post})


# --- Data map and metrics --------------------------------------------------------------------


class DataMapView(ApiView):
    required_scope = ApiScope.DATAMAP_READ

    @extend_schema(
        operation_id="datamap_retrieve",
        summary="The data map: systems, datasets and fields (connections left out)",
        responses={200: DataMapSerializer, **error_responses()},
    )
    def get(self, request: Request) -> Response:
        document = datamap_document()
        for system in document["systems"]:
            system.pop("connection", None)
        try:
            digest: str | None = datamap_current().digest
        except DataMapError:
            digest = None
        return Response(
            DataMapSerializer({"version": document["version"], "digest": digest, "document": document}).data
        )


class MetricsView(ApiView):
    required_scope = ApiScope.METRICS_READ

    @extend_schema(
        operation_id="metrics_retrieve",
        summary="The year's compliance metrics (11 CCR § 7102 and more)",
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, required=True)],
        responses={200: OpenApiTypes.OBJECT, **error_responses()},
    )
    def get(self, request: Request) -> Response:
        year = year_checked(request.query_params.get("year", ""))
        return Response(metrics_for_year(year).as_dict())
