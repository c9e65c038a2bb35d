"""The "New request" page, for a request that came by phone, letter or in person, and the
download of the files that came with one (audited as a read of personal data)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from requests_app.errors import ApplicationError
from requests_app.laws.deadlines import jurisdiction_choices
from requests_app.models import Channel, ReceivedVia, RequestAttachment, RequestType
from requests_app.services import messages as messages_service
from requests_app.services import staff_entry
from requests_app.services.staff_entry import IdentityCheck
from requests_app.staff import message_views, selectors
from requests_app.staff.permissions import (
    ACT,
    PERSONAL_DATA,
    can_see_personal_data,
    record_personal_data_read,
    staff_actor,
    staff_required,
)
from requests_app.workflow.new_request import NewRequest

if TYPE_CHECKING:
    from datetime import date

    from django.core.files.uploadedfile import UploadedFile


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; each is checked as a single file would be."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        cleaned: list[UploadedFile] = []
        for upload in uploads:
            cleaned.append(super().clean(upload, initial))
            if problem := staff_entry.attachment_problem(upload):
                raise forms.ValidationError(problem, code="file")
        if len(cleaned) > staff_entry.MAX_ATTACHMENTS:
            raise forms.ValidationError(f"At most {staff_entry.MAX_ATTACHMENTS} files.", code="too_many")
        return cleaned


class StaffRequestForm(forms.Form):
    """Labels without Django's trailing colon; every field hostile until checked."""

    received_via = forms.ChoiceField(label="How it came in", choices=ReceivedVia.choices, widget=forms.RadioSelect)
    received_on = forms.DateField(
        label="Received on",
        help_text="The day it reached us (a letter's date of arrival): the deadline counts from it.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    request_type = forms.ChoiceField(label="Request type", choices=RequestType.choices)
    language = forms.ChoiceField(
        label="Language to answer in",
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
        required=False,
        help_text="Every email, the status page link and the PDFs to the requester use it.",
    )
    jurisdiction = forms.ChoiceField(label="Law", choices=jurisdiction_choices)
    subject_name = forms.CharField(label="The subject's name", max_length=200, required=False)
    subject_email = forms.EmailField(
        label="The subject's email address",
        max_length=254,
        help_text="Required: the subject collects the result through it.",
    )
    phone = forms.CharField(label="Phone number", max_length=40, required=False)
    account_id = forms.CharField(label="Account id", max_length=100, required=False)
    details = forms.CharField(
        label="What they asked for", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    identity = forms.ChoiceField(
        label="Was the identity checked?", choices=IdentityCheck.choices, widget=forms.RadioSelect
    )
    identity_note = forms.CharField(
        label="How the identity was checked",
        max_length=1000,
        required=False,
        help_text="For example: called back on the number on file. It goes on the audit trail.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    appeal_of = forms.CharField(
        label="The reference of the request appealed",
        max_length=40,
        required=False,
        help_text="For an appeal only: the decided request of the same subject, e.g. DSR-7KQ2-M9XD.",
    )
    attachments = MultipleFileField(
        label="Files (a scanned letter)",
        required=False,
        help_text=f"One or more files, each up to {settings.DSAR_MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_received_on(self) -> date:
        day: date = self.cleaned_data["received_on"]
        if problem := staff_entry.received_at_problem(staff_entry.received_on(day)):
            raise forms.ValidationError(problem, code="received_on")
        return day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("identity") == IdentityCheck.CHECKED_BY_STAFF and not cleaned.get("identity_note", "").strip():
            self.add_error(
                "identity_note", "Say how the identity was checked, e.g. 'called back on the number on file'."
            )
        if cleaned.get("request_type") == RequestType.APPEAL and not cleaned.get("appeal_of", "").strip():
            self.add_error("appeal_of", "Give the reference of the decided request this appeal is about.")
        return cleaned

    def new_request(self) -> NewRequest:
        data = self.cleaned_data
        identifiers = {name: data[name].strip() for name in ("phone", "account_id") if data[name].strip()}
        return NewRequest(
            channel=Channel.STAFF,
            request_type=data["request_type"],
            subject_email=data["subject_email"],
            subject_name=data["subject_name"],
            jurisdiction=data["jurisdiction"],
            details=data["details"],
            identifiers=identifiers or None,
            received_at=staff_entry.received_on(data["received_on"]),
            received_via=data["received_via"],
            appeal_of=data["appeal_of"].strip() if data["request_type"] == RequestType.APPEAL else "",
            language=data.get("language") or "",
        )


@require_http_methods(["GET", "POST"])
@staff_required(ACT)
def request_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        initial = {"received_on": timezone.localdate(), "jurisdiction": settings.DSAR_DEFAULT_JURISDICTION}
        if "again" in request.GET:
            initial.update(_again(request, request.GET["again"]))
        return _page(request, StaffRequestForm(initial=initial))
    form = StaffRequestForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        created = staff_entry.request_enter(
            form.new_request(),
            actor=staff_actor(request),
            identity=form.cleaned_data["identity"],
            identity_note=form.cleaned_data["identity_note"],
            attachments=form.cleaned_data["attachments"],
        )
    except ApplicationError as error:
        form.add_error(None, f"{error.message}. Nothing was recorded.")
        return _page(request, form, status=400)
    sent = "its status link" if created.verified_at else "the verification email"
    messages.success(request, f"Request {created.reference} recorded; the subject was sent {sent}.")
    return redirect("staff_request", reference=created.reference)


def _again(request: HttpRequest, reference: str) -> dict[str, Any]:
    """The fields of a request an appeal reversed, to enter it again (``?again=<the appeal>``).

    The link names the appeal, never the subject: an email address stays out of URLs and logs.
    """
    appeal = selectors.appeal_reversed(reference)
    if appeal is None or appeal.appeal_of is None:
        messages.error(request, "No appeal that reversed a request has that reference: nothing was filled in.")
        return {}
    original = appeal.appeal_of
    initial: dict[str, Any] = {
        "request_type": original.request_type,
        "jurisdiction": original.jurisdiction,
        "details": (
            f"Entered again: appeal {appeal.reference} of request {original.reference} was decided "
            f"({appeal.get_appeal_outcome_display().lower()})."
        ),
    }
    if can_see_personal_data(request):
        record_personal_data_read(request, what="new request from a reversed appeal", subject_request=original)
        identifiers = original.subject_identifiers or {}
        initial.update(
            subject_name=original.subject_name,
            subject_email=original.subject_email,
            phone=identifiers.get("phone", ""),
            account_id=identifiers.get("account_id", ""),
        )
    return initial


def _page(request: HttpRequest, form: StaffRequestForm, *, status: int = 200) -> HttpResponse:
    return render(request, "staff/request_new.html", {"nav": "queue", "form": form}, status=status)


@require_GET
@staff_required(PERSONAL_DATA)
def request_attachment_download(request: HttpRequest, reference: str, attachment_pk: int) -> HttpResponseBase:
    subject_request = selectors.request_for_staff(reference)
    try:
        attachment, plain = staff_entry.request_attachment_open(request=subject_request, attachment_pk=attachment_pk)
    except RequestAttachment.DoesNotExist:
        raise Http404("No such file on this request") from None
    record_personal_data_read(request, what=f"attachment {attachment.pk}", subject_request=subject_request)
    head = plain.read(messages_service.HEAD_BYTES)
    plain.seek(0)
    served = messages_service.served_content_type(attachment.content_type, head)
    return message_views.download_response(plain, filename=attachment.filename, content_type=served)
