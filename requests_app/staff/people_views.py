"""The privacy team's accounts, for a Privacy admin (analysts and auditors get 403): the list,
inviting someone, one person's page and the changes made there. Each change is one call to
``staff.people``, which audits it; an invited person accepts at a link of their own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.forms import SetPasswordForm
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

# django-otp ships no type information.
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]

from requests_app.errors import ApplicationError
from requests_app.models import ApiKey, StaffInvitation
from requests_app.staff import people
from requests_app.staff.permissions import staff_actor, staff_required
from requests_app.staff.roles import ROLES

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

MANAGE_PEOPLE = "auth.change_user"
ROLE_CHOICES = [(role, role) for role in ROLES]
ROLE_WORDS = {
    "Privacy admin": "everything, including this page, the templates, API keys and webhooks",
    "Privacy analyst": "works requests: sees them and their subjects, and acts on them",
    "Auditor": "sees what was done and when, changes nothing, never sees a subject's personal data",
}


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=people.EMAIL_MAX,
        help_text="The invitation goes here, and it is the person's username.",
    )
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES, widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES, widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class AcceptForm(SetPasswordForm):  # type: ignore[type-arg]
    """Choosing a password: Django's password validators apply (AUTH_PASSWORD_VALIDATORS)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Password"
        self.fields["new_password2"].label = "The same password again"


def _person_rows() -> list[dict[str, Any]]:
    users = get_user_model().objects.prefetch_related("groups").order_by("-is_active", "username")
    invitations = {i.user_id: i for i in StaffInvitation.objects.all()}
    with_device = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    return [
        {
            "user": user,
            "role": people.role_of(user),
            "invitation": invitations.get(user.pk),
            "second_factor": user.pk in with_device,
            "pending": not user.has_usable_password(),
        }
        for user in users
    ]


@require_GET
@staff_required(MANAGE_PEOPLE)
def people_list(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/people.html", {"nav": "people", "rows": _person_rows(), "now": timezone.now()})


@require_http_methods(["GET", "POST"])
@staff_required(MANAGE_PEOPLE)
def person_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None, initial={"email": request.GET.get("email", "")[:150]})
    if request.method == "POST" and form.is_valid():
        try:
            invitation = people.staff_invite(
                email=form.cleaned_data["email"], role=form.cleaned_data["role"], actor=staff_actor(request)
            )
        except ApplicationError as error:
            form.add_error(None, f"{error.message}. Nobody was invited.")
        else:
            user = invitation.user
            messages.success(
                request,
                f"{user.get_username()} is invited as {invitation.role}. The link in the email works once, "
                f"until {invitation.expires_at:%d %b %Y %H:%M} UTC.",
            )
            return redirect("staff_person", pk=user.pk)
    status = 400 if request.method == "POST" else 200
    context = {"nav": "people", "form": form, "role_words": ROLE_WORDS, "days": settings.DSAR_STAFF_INVITE_DAYS}
    return render(request, "staff/person_invite.html", context, status=status)


def _person(request: HttpRequest, user: Any, *, role_form: RoleForm | None = None, status: int = 200) -> HttpResponse:
    role = people.role_of(user)
    context = {
        "nav": "people",
        "person": user,
        "role": role,
        "role_form": role_form or RoleForm(initial={"role": role}),
        "role_words": ROLE_WORDS,
        "invitation": StaffInvitation.objects.filter(user=user).first(),
        "pending": not user.has_usable_password(),
        "second_factor": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        "keys": ApiKey.objects.filter(created_by=user, revoked_at__isnull=True),
        "is_self": user.pk == request.user.pk,
        "now": timezone.now(),
    }
    return render(request, "staff/person.html", context, status=status)


@require_GET
@staff_required(MANAGE_PEOPLE)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _person(request, get_object_or_404(get_user_model(), pk=pk))


@require_POST
@staff_required(MANAGE_PEOPLE)
def person_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=pk)
    actor = staff_actor(request)
    name = user.get_username()
    try:
        if action == "role":
            form = RoleForm(request.POST)
            if not form.is_valid():
                return _person(request, user, role_form=form, status=400)
            people.staff_role_change(user=user, role=form.cleaned_data["role"], actor=actor)
            done = f"{name} now has the role {form.cleaned_data['role']}."
        elif action == "reset-second-factor":
            people.staff_second_factor_reset(user=user, actor=actor)
            done = (
                f"{name}'s authenticator app is removed and they are signed out; they set one up at "
                "their next sign-in. They are told by email."
            )
        elif action == "deactivate":
            revoked = people.staff_deactivate(user=user, actor=actor)
            keys = f" Their API keys are revoked: {', '.join(revoked)}." if revoked else ""
            done = f"{name} is deactivated and signed out everywhere.{keys}"
        elif action == "reactivate":
            people.staff_reactivate(user=user, actor=actor)
            done = f"{name} can sign in again."
        else:
            raise Http404("No such action")
    except ApplicationError as error:
        messages.error(request, f"{error.message}. Nothing was changed.")
        return redirect("staff_person", pk=user.pk)
    messages.success(request, done)
    if user.pk == request.user.pk and not get_user_model().objects.get(pk=user.pk).has_perm(MANAGE_PEOPLE):
        # An admin who gave themselves another role may no longer see this page.
        return redirect("staff_dashboard")
    return redirect("staff_person", pk=user.pk)


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation: choose a password, then set up the authenticator app."""
    invitation, refusal = people.invitation_for(token)
    if refusal is not None or invitation is None:
        status = 404 if refusal is people.InvitationRefusal.UNKNOWN else 410
        return render(request, "staff/invitation_refused.html", {"refusal": refusal}, status=status)
    form = AcceptForm(invitation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = people.staff_invitation_accept(token=token, password=form.cleaned_data["new_password1"])
        except ApplicationError as error:
            return render(request, "staff/invitation_refused.html", {"message": error.message}, status=410)
        auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your password is set. Now set up your authenticator app.")
        return redirect(f"{reverse('staff_otp_setup')}?{urlencode({'next': reverse('staff_dashboard')})}")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "invitation": invitation, "username": invitation.user.get_username()}
    return render(request, "staff/invitation_accept.html", context, status=status)
