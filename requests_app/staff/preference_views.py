"""A staff member's own choices: which reminder emails they receive."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from requests_app.models import StaffPreference
from requests_app.staff.permissions import VIEW, staff_required

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


class PreferenceForm(forms.ModelForm[StaffPreference]):
    class Meta:
        model = StaffPreference
        fields = ["daily_digest"]
        labels = {"daily_digest": "Send me the daily digest"}


@require_http_methods(["GET", "POST"])
@staff_required(VIEW)
def preferences(request: HttpRequest) -> HttpResponse:
    """Reminders of a request's deadline always go to its assignee; the digest is optional."""
    preference, _ = StaffPreference.objects.get_or_create(user_id=request.user.pk)
    form = PreferenceForm(request.POST if request.method == "POST" else None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your email preferences are saved.")
        return redirect("staff_preferences")
    context = {"nav": "preferences", "form": form, "digest_hour": f"{settings.DSAR_DIGEST_HOUR:02d}:00"}
    return render(request, "staff/preferences.html", context)
