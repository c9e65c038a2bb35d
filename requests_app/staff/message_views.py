"""A request's inbound messages and files: marking a message read, downloading a file.

Only staff who may see personal data: the auditor sees that a message came and whether it
was read, never its text or files. The record of each read and download is written by
``services.messages``; these views parse the address, call it, and answer.
"""

from __future__ import annotations

from typing import IO

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from requests_app.intake.email_parse import safe_filename
from requests_app.models import EmailMessage
from requests_app.services import messages as services
from requests_app.staff import selectors
from requests_app.staff.permissions import PERSONAL_DATA, staff_required


@require_POST
@staff_required(PERSONAL_DATA)
def message_read(request: HttpRequest, reference: str, email_pk: int) -> HttpResponse:
    subject_request = selectors.request_for_staff(reference)
    try:
        marked = services.email_mark_read(request=subject_request, email_pk=email_pk, user=request.user)  # type: ignore[arg-type]
    except EmailMessage.DoesNotExist:
        raise Http404("No such message on this request") from None
    if marked:
        messages.success(request, "Message marked read.")
    else:
        messages.info(request, "Someone had already marked this message read.")
    return redirect(f"{reverse('staff_request', args=[subject_request.reference])}#message-{email_pk}")


def download_response(file: IO[bytes], *, filename: str, content_type: str) -> FileResponse:
    """Always a download, never shown in the page, under a name that is safe in a header.

    ``content_type`` is one ``services.messages.served_content_type`` checked.
    """
    response = FileResponse(
        file, as_attachment=True, filename=safe_filename(filename, fallback="file"), content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _download(opened: services.OpenedFile) -> FileResponse:
    return download_response(opened.file, filename=opened.filename, content_type=opened.content_type)


@require_GET
@staff_required(PERSONAL_DATA)
def email_attachment_download(request: HttpRequest, reference: str, email_pk: int, attachment_pk: int) -> FileResponse:
    subject_request = selectors.request_for_staff(reference)
    try:
        opened = services.email_attachment_open(
            request=subject_request,
            email_pk=email_pk,
            attachment_pk=attachment_pk,
            user=request.user,  # type: ignore[arg-type]
        )
    except services.FileNotOnRequest:
        raise Http404("No such file on this request") from None
    return _download(opened)


@require_GET
@staff_required(PERSONAL_DATA)
def agent_authorisation_download(request: HttpRequest, reference: str) -> FileResponse:
    subject_request = selectors.request_for_staff(reference)
    try:
        opened = services.agent_authorisation_open(request=subject_request, user=request.user)  # type: ignore[arg-type]
    except services.FileNotOnRequest:
        raise Http404("No authorisation on this request") from None
    return _download(opened)
