"""Staff actions on a request's stores and results: retry a failed store, record the outcome
of a store that waits for a person or failed, and download the result (audited)."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from requests_app.errors import ApplicationError
from requests_app.fulfilment import fanout
from requests_app.models import NEEDS_PERSON_STATES, StoreOutcome, StoreTask, StoreTaskState
from requests_app.services.downloads import DownloadRefused, bundle_open_for_staff
from requests_app.staff import selectors
from requests_app.staff.actions import action_refusal_record
from requests_app.staff.permissions import ACT, PERSONAL_DATA, staff_actor, staff_required


def _task(reference: str, task_pk: int, states: tuple[str, ...]) -> StoreTask:
    subject_request = selectors.request_for_staff(reference)
    task = StoreTask.objects.filter(pk=task_pk, request=subject_request, state__in=states).first()
    if task is None:
        raise Http404("No such store task in that state")
    return task


@require_POST
@staff_required(ACT)
def store_task_retry(request: HttpRequest, reference: str, task_pk: int) -> HttpResponse:
    task = _task(reference, task_pk, (StoreTaskState.FAILED,))
    try:
        fanout.store_task_retry(task=task, actor=staff_actor(request))
    except ApplicationError as error:
        action_refusal_record(request=task.request, actor=staff_actor(request), action="retry", reason=error.message)
        messages.error(request, f"{error.message}; nothing was changed.")
    else:
        messages.success(request, f"{task.target}: tried again.")
    return redirect("staff_request", reference=task.request.reference)


@require_POST
@staff_required(ACT)
def store_task_resolve(request: HttpRequest, reference: str, task_pk: int) -> HttpResponse:
    """Record what happened in a store that waits for a person or failed (with why, and evidence).

    Without an outcome in the form (the older "mark as done" form), the step was done by hand.
    """
    task = _task(reference, task_pk, NEEDS_PERSON_STATES)
    try:
        fanout.store_task_resolve(
            task=task,
            actor=staff_actor(request),
            outcome=request.POST.get("outcome", StoreOutcome.DONE_BY_HAND)[:20],
            note=request.POST.get("note", "")[:2000],
            attachment=request.FILES.get("attachment"),
        )
    except ApplicationError as error:
        action_refusal_record(request=task.request, actor=staff_actor(request), action="outcome", reason=error.message)
        messages.error(request, f"{error.message}; nothing was changed.")
    else:
        messages.success(request, f"{task.target}: the outcome is on the record.")
    return redirect("staff_request", reference=task.request.reference)


@require_GET
@staff_required(PERSONAL_DATA)
def bundle_download(request: HttpRequest, reference: str, bundle_pk: int) -> HttpResponseBase:
    subject_request = selectors.request_for_staff(reference)
    try:
        bundle, plain = bundle_open_for_staff(request=subject_request, bundle_pk=bundle_pk, actor=staff_actor(request))
    except DownloadRefused as refusal:
        raise Http404(refusal.message) from None
    return FileResponse(plain, as_attachment=True, filename=bundle.filename)
