"""Signing in to the staff UI: password (with lockout), then the second factor when required.

A password alone logs the user in to Django, but ``permissions.staff_required`` lets no staff
page through until the session has also given a TOTP token, when the settings require it.
Failed passwords are counted by django-axes (its backend and middleware), failed tokens by
django-otp's throttling.

Single sign-on (``oidc``) is the other way in: the identity provider checks the person (and
their second factor, by its own policy), so such a session is not asked for a TOTP code.
Its sign-ins and refusals go to axes' access log and failure records like password logins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from requests_app.staff import oidc, otp, roles
from requests_app.staff.forms import LoginForm, TokenForm
from requests_app.staff.permissions import VIEW, forbidden, second_factor_missing

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


def _next_url(request: HttpRequest) -> str:
    """The page asked for after signing in: a page of this site only; "" for none.

    The dashboard counts as none: it is the staff site's front door, where every sign-in
    from a bare address starts, so the person lands on their own landing page instead.
    """
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate == reverse("staff_dashboard"):
        return ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def landing_url(user: Any) -> str:
    """Where a person lands when they asked for no page: a privacy analyst on their own work,
    a privacy admin, an auditor and anyone else on the dashboard."""
    if user.is_superuser:
        return reverse("staff_dashboard")
    groups = set(user.groups.values_list("name", flat=True))
    if roles.ANALYST in groups and roles.ADMIN not in groups:
        return reverse("staff_my_work")
    return reverse("staff_dashboard")


def _after_sign_in(request: HttpRequest, next_url: str) -> str:
    return next_url or landing_url(request.user)


def _with_next(url_name: str, next_url: str) -> str:
    if not next_url:
        return reverse(url_name)
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _login_page(request: HttpRequest, form: LoginForm, next_url: str, *, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "next": next_url,
        "oidc_enabled": oidc.enabled(),
        "oidc_label": settings.DSAR_OIDC_BUTTON_LABEL,
        "oidc_query": urlencode({"next": next_url}),
    }
    return render(request, "staff/login.html", context, status=status)


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.user.is_authenticated and request.method == "GET":
        if second_factor_missing(request):
            return redirect(_with_next("staff_otp_verify", next_url))
        return redirect(_after_sign_in(request, next_url))
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        # A locked-out client never reaches the password check: axes' backend refuses it, and
        # its middleware replaces this response with the lockout page.
        if form.is_valid():
            auth_login(request, form.get_user())
            if settings.DSAR_STAFF_REQUIRE_2FA:
                return redirect(_with_next("staff_otp_verify", next_url))
            return redirect(_after_sign_in(request, next_url))
        return _login_page(request, form, next_url, status=400)
    return _login_page(request, form, next_url)


def _oidc_refused(request: HttpRequest, refusal: oidc.Refusal) -> HttpResponse:
    """Record the refusal with the failed logins (django-axes), and say what happened."""
    # Under "sso:<name>", so that refused single sign-ons never lock the password login of a
    # local account of that name; the provider signs what it says, so there is nothing to
    # guess here that a lockout would slow down, and the lockout page speaks of passwords.
    username = f"sso:{refusal.username or 'unknown'}:{refusal.reason}"[:150]
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
    request.axes_locked_out = False  # type: ignore[attr-defined]
    context = {"message": refusal.message, "oidc_label": settings.DSAR_OIDC_BUTTON_LABEL}
    return render(request, "staff/oidc_refused.html", context, status=refusal.status)


@never_cache
@require_http_methods(["GET"])
def oidc_start(request: HttpRequest) -> HttpResponse:
    """Send the browser to the identity provider (the login page's button).

    A GET is safe here: whoever starts a sign-in, only the browser holding its ``state``
    can finish it, and it signs in whoever the provider says is at that browser.
    """
    if not oidc.enabled():
        return redirect("staff_login")
    redirect_uri = request.build_absolute_uri(reverse("staff_oidc_callback"))
    try:
        return oidc.authorize_redirect(request, redirect_uri=redirect_uri, next_url=_next_url(request))
    except oidc.Refusal as refusal:
        return _oidc_refused(request, refusal)


@never_cache
@require_http_methods(["GET"])
def oidc_callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the browser back: check its answer, then sign the person in."""
    if not oidc.enabled():
        return redirect("staff_login")
    next_url = request.session.get("dsar_oidc_next") or ""
    try:
        user = oidc.user_sign_in(claims=oidc.callback_claims(request))
    except oidc.Refusal as refusal:
        return _oidc_refused(request, refusal)
    # login() gives the session a new key (no session fixation) and, through axes, writes
    # the access log entry a password login writes.
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[oidc.SESSION_KEY] = settings.DSAR_OIDC_ISSUER
    request.session.pop("dsar_oidc_next", None)
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    return redirect(_after_sign_in(request, next_url))


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.info(request, "You are signed out.")
    return redirect("staff_login")


@sensitive_post_parameters("token")
@never_cache
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the code from the authenticator app, once per session."""
    next_url = _next_url(request)
    if not request.user.is_authenticated:
        return redirect(_with_next("staff_login", next_url))
    if not request.user.has_perm(VIEW):
        return forbidden(request)
    if not second_factor_missing(request):
        return redirect(_after_sign_in(request, next_url))
    device = otp.confirmed_device(request.user)
    if device is None:
        return redirect(_with_next("staff_otp_setup", next_url))
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            if otp.token_accept(request, device, form.cleaned_data["token"]):
                return redirect(_after_sign_in(request, next_url))
            form.add_error("token", "That code is not right, or it was already used. Wait for the next code.")
        return render(request, "staff/otp_verify.html", {"form": form, "next": next_url}, status=400)
    return render(request, "staff/otp_verify.html", {"form": form, "next": next_url})


@sensitive_post_parameters("token")
@never_cache
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: scan the QR code (or type the secret), then give a code.

    Only for someone with no working device: a session that has only the password must not
    be able to add a device of its own to an account that already has one.
    """
    next_url = _next_url(request)
    if not request.user.is_authenticated:
        return redirect(_with_next("staff_login", next_url))
    if not request.user.has_perm(VIEW):
        return forbidden(request)
    if otp.confirmed_device(request.user) is not None:
        return redirect(_with_next("staff_otp_verify", next_url))
    device = otp.device_for_setup(request.user)
    form = TokenForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            if otp.token_accept(request, device, form.cleaned_data["token"]):
                messages.success(request, "Two-factor sign-in is set up. You will be asked for a code at each sign-in.")
                return redirect(_after_sign_in(request, next_url))
            form.add_error("token", "That code is not right. Check the app shows this account, and try the next code.")
        status = 400
    context = {
        "form": form,
        "next": next_url,
        "qr_code": otp.qr_code_svg(device, label="QR code to add this account to an authenticator app"),
        "secret": otp.secret_text(device),
    }
    return render(request, "staff/otp_setup.html", context, status=status)
