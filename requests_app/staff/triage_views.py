"""Staff pages for email waiting for triage, and a read-only view of the data map."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from requests_app.datamap import DataMapError
from requests_app.errors import ApplicationError
from requests_app.fulfilment.datamap_versions import datamap_current
from requests_app.intake import triage
from requests_app.laws.deadlines import jurisdiction_choices
from requests_app.models import DataSubjectRequest, Direction, EmailMessage, EmailStatus, RequestType
from requests_app.staff.permissions import (
    ACT,
    PERSONAL_DATA,
    VIEW,
    record_personal_data_read,
    staff_actor,
    staff_required,
)
from requests_app.workflow.references import reference_normalize


class NewRequestForm(forms.Form):
    request_type = forms.ChoiceField(label="Request type", choices=RequestType.choices)
    jurisdiction = forms.ChoiceField(label="Law", choices=jurisdiction_choices)


class AttachForm(forms.Form):
    reference = forms.CharField(label="Request reference", max_length=40)


class DismissForm(forms.Form):
    reason = forms.CharField(label="Why this is not a request", max_length=500)


def _waiting(pk: int) -> EmailMessage:
    message = EmailMessage.objects.filter(pk=pk, direction=Direction.INBOUND, status=EmailStatus.TRIAGE).first()
    if message is None:
        raise Http404("No such email waiting for triage")
    return message


@require_GET
@staff_required(PERSONAL_DATA)
def triage_list(request: HttpRequest) -> HttpResponse:
    waiting = EmailMessage.objects.filter(direction=Direction.INBOUND, status=EmailStatus.TRIAGE).order_by("created_at")
    return render(request, "staff/triage_list.html", {"nav": "triage", "emails": waiting[:200]})


@require_GET
@staff_required(PERSONAL_DATA)
def triage_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = _waiting(pk)
    record_personal_data_read(request, what=f"email {message.pk} in triage")
    return _detail(request, message)


def _detail(
    request: HttpRequest, message: EmailMessage, *, status: int = 200, **form_overrides: forms.Form
) -> HttpResponse:
    context = {
        "nav": "triage",
        "email": message,
        "new_form": form_overrides.get("new_form", NewRequestForm()),
        "attach_form": form_overrides.get("attach_form", AttachForm()),
        "dismiss_form": form_overrides.get("dismiss_form", DismissForm()),
        "can_act": request.user.has_perm(ACT),
    }
    return render(request, "staff/triage_detail.html", context, status=status)


@require_POST
@staff_required(ACT)
def triage_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    message = _waiting(pk)
    try:
        if action == "new":
            new_form = NewRequestForm(request.POST)
            if not new_form.is_valid():
                return _detail(request, message, status=400, new_form=new_form)
            created = triage.triage_new_request(
                message=message, actor=staff_actor(request), request_type=new_form.cleaned_data["request_type"],
                jurisdiction=new_form.cleaned_data["jurisdiction"],
            )  # fmt: skip
            messages.success(request, f"Request {created.reference} made from the email; verification was sent.")
            return redirect("staff_request", reference=created.reference)
        if action == "attach":
            attach_form = AttachForm(request.POST)
            target = None
            if attach_form.is_valid():
                reference = reference_normalize(attach_form.cleaned_data["reference"])
                target = DataSubjectRequest.objects.filter(reference=reference).first() if reference else None
                if target is None:
                    attach_form.add_error("reference", "No request has this reference.")
            if target is None:
                return _detail(request, message, status=400, attach_form=attach_form)
            triage.triage_attach(message=message, actor=staff_actor(request), request=target)
            messages.success(request, f"The email is now on the timeline of {target.reference}.")
            return redirect("staff_request", reference=target.reference)
        if action == "dismiss":
            dismiss_form = DismissForm(request.POST)
            if not dismiss_form.is_valid():
                return _detail(request, message, status=400, dismiss_form=dismiss_form)
            triage.triage_dismiss(
                message=message, actor=staff_actor(request), reason=dismiss_form.cleaned_data["reason"]
            )
            messages.success(request, "Marked as not a request.")
            return redirect("staff_triage")
    except ApplicationError as error:
        messages.error(request, f"{error.message}; nothing was changed.")
        return redirect("staff_triage")
    raise Http404("No such triage action")


@require_GET
@staff_required(VIEW)
def datamap_view(request: HttpRequest) -> HttpResponse:
    try:
        datamap, problem = datamap_current(), ""
    except DataMapError as error:
        datamap, problem = None, str(error)
    return render(request, "staff/datamap.html", {"nav": "datamap", "datamap": datamap, "problem": problem})
