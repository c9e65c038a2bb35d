"""API keys in the staff UI (Privacy admin role): list, make (the key shown once), revoke."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from requests_app.errors import ApplicationError
from requests_app.models import ApiKey, ApiScope
from requests_app.services.api_keys import MAX_DAYS, api_key_create, api_key_revoke
from requests_app.staff.permissions import staff_actor, staff_required

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

# The admin role holds every requests_app permission; analysts and auditors do not hold this one.
MANAGE_KEYS = "requests_app.change_apikey"


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the key is for, e.g. “account page” or “help desk”.")
    scopes = forms.MultipleChoiceField(
        choices=[(scope.value, f"{scope.label} ({scope.value})") for scope in ApiScope],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one scope."},
    )
    days = forms.IntegerField(
        label="Valid for (days)", min_value=1, max_value=MAX_DAYS, initial=365, help_text="The key stops working after."
    )


@require_http_methods(["GET", "POST"])
@staff_required(MANAGE_KEYS)
def api_keys(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST if request.method == "POST" else None)
    new_key = ""
    if request.method == "POST" and form.is_valid():
        try:
            key, new_key = api_key_create(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                days=form.cleaned_data["days"],
                actor=staff_actor(request),
                created_by=request.user,
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"The key {key.prefix} is made. Copy it now: it is not shown again.")
            form = ApiKeyForm()
    context = {
        "nav": "api_keys",
        "form": form,
        "keys": ApiKey.objects.select_related("created_by"),
        "new_key": new_key,
        "now": timezone.now(),
    }
    return render(request, "staff/api_keys.html", context)


@require_POST
@staff_required(MANAGE_KEYS)
def api_key_revoke_view(request: HttpRequest, prefix: str) -> HttpResponse:
    key = get_object_or_404(ApiKey, prefix=prefix)
    if request.POST.get("confirm") != "on":
        messages.error(request, "Tick the box to confirm; a revoked key cannot be used again.")
        return redirect("staff_api_keys")
    try:
        api_key_revoke(key=key, actor=staff_actor(request), revoked_by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The key {key.prefix} ({key.name}) is revoked.")
    return redirect("staff_api_keys")
