"""Pages for the people who ask: the request form, verification and the status page.

Thin views: parse input, check limits, call one service, render. No page says whether an
address belongs to a customer, and nothing about a request shows before its subject has
proved control of their email address.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_http_methods, require_safe

from requests_app.errors import GuardFailed, UnknownJurisdiction
from requests_app.fulfilment import bundle_keys
from requests_app.infra import language, ratelimit
from requests_app.laws import deadlines
from requests_app.models import ChallengePurpose, Channel, DataSubjectRequest, Direction, RequestType, State
from requests_app.public import regions
from requests_app.public.forms import RequestForm, ResendForm, VerifyCodeForm
from requests_app.services import downloads
from requests_app.services import requests as services
from requests_app.verification import challenges as verification
from requests_app.verification.challenges import VerificationFailed
from requests_app.workflow import progress
from requests_app.workflow.law_of_request import needs_verification
from requests_app.workflow.new_request import NewRequest

if TYPE_CHECKING:
    from collections.abc import Callable

# Messages from the privacy team that the status page shows (never links or codes).
STATUS_PAGE_KINDS = (
    "more_information",
    "reply",
    "extension",
    "rejection",
    "completion",
    "closed_unverified",
    "appeal_decision",
)


def private_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Pages whose address holds a secret: never cached, never indexed, and never sent on as
    a Referer to another site. (``no-referrer`` would be stricter, but then browsers send
    ``Origin: null`` with the page's own form and the CSRF check refuses it.)"""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


# A link that is not genuine (or not for this request) is "not found", whichever way it is
# wrong, so a forged link and another person's link get the same answer; one that was real
# but has expired is "gone"; one used up (or locked by wrong codes) cannot be used again.
LINK_FAILURE_STATUS = {"invalid": 404, "expired": 410, "used": 400, "locked": 400}


def link_failed(request: HttpRequest, failure: VerificationFailed, *, renew_token: str = "") -> HttpResponse:
    """The page of a link that cannot be used; an expired verification link offers a new one."""
    context = {"failure": failure, "renew_token": renew_token if failure.reason == "expired" else ""}
    return render(request, "public/verify_failed.html", context, status=LINK_FAILURE_STATUS[failure.reason])


def rate_limited(request: HttpRequest, limited: ratelimit.Limited) -> HttpResponse:
    minutes = max(1, (limited.retry_after + 59) // 60)
    retry_at = timezone.localtime() + timedelta(seconds=limited.retry_after)
    response = render(request, "public/rate_limited.html", {"minutes": minutes, "retry_at": retry_at}, status=429)
    response["Retry-After"] = str(limited.retry_after)
    return response


def gpc_signal(request: HttpRequest) -> bool:
    """Whether the browser sent Global Privacy Control: ``Sec-GPC: 1`` exactly, any other value is none."""
    return request.headers.get("Sec-GPC") == "1"


def form_page(request: HttpRequest, form: RequestForm, *, status: int = 200) -> HttpResponse:
    response = render(request, "public/request_form.html", {"form": form}, status=status)
    # The page says whether the browser sent GPC: a cache must not serve one answer for both.
    patch_vary_headers(response, ["Sec-GPC"])
    return response


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    gpc = gpc_signal(request)
    if request.method == "GET":
        # A link may name the place (a "Do Not Sell or Share" link: /request/?region=US-CA).
        region = request.GET.get("region", "")[:16]
        initial = {"region": region} if regions.is_known(region) else {}
        return form_page(request, RequestForm(initial=initial, gpc=gpc))
    if int(request.META.get("CONTENT_LENGTH") or 0) > settings.DSAR_MAX_UPLOAD_BYTES + 1024 * 1024:
        return render(request, "public/too_large.html", status=413)
    ip = ratelimit.client_ip(request)
    if limited := ratelimit.hit("form_ip", ip):
        return rate_limited(request, limited)
    form = RequestForm(request.POST, request.FILES, gpc=gpc)
    if not form.is_valid():
        return form_page(request, form, status=400)
    if form.is_robot:
        return HttpResponseRedirect(reverse("request_sent"))
    if limited := ratelimit.hit("form_email", form.cleaned_data["email"]):
        return rate_limited(request, limited)
    data = form.cleaned_data
    is_agent = bool(data.get("is_agent"))
    new = NewRequest(
        channel=Channel.WEB,
        request_type=data["request_type"],
        subject_email=data["email"],
        subject_name=data["full_name"],
        jurisdiction=form.jurisdiction,
        details=data.get("details", ""),
        identifiers=form.identifiers(),
        portability=bool(data.get("portability")),
        agent_name=data.get("agent_name", "") if is_agent else "",
        agent_email=data.get("agent_email", "") if is_agent else "",
        appeal_of=data.get("appeal_of", ""),
        gpc_signal=gpc,
        # The language the form was filled in, from its menu or the browser: we answer in it.
        language=language.supported(translation.get_language()) or settings.LANGUAGE_CODE,
    )
    try:
        subject_request = services.request_submit(
            new,
            agent_authorisation=data.get("authorisation") if is_agent else None,
            source_ip=ip,
        )
    except GuardFailed as refusal:
        # An appeal the workflow refuses (no such request of this subject, not decided yet,
        # already appealed, too late): said beside the reference, with the form as typed.
        # Another person's reference reads the same as a made-up one (law_of_request).
        form.add_error("appeal_of" if new.request_type == RequestType.APPEAL else None, refusal.message)
        return form_page(request, form, status=400)
    sent = reverse("request_sent")
    if subject_request.state != State.PENDING_VERIFICATION:
        # The law forbids asking for proof (an opt-out under the CCPA or the Colorado rules):
        # the request went straight to work and the email carries its status link.
        sent += f"?verification={NOT_ASKED}"
    return HttpResponseRedirect(sent)


# The request-sent page of a request whose law forbids asking for proof of identity.
NOT_ASKED = "not-asked"


def request_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "public/request_sent.html", {"not_asked": request.GET.get("verification") == NOT_ASKED})


@require_safe
def gpc_json(request: HttpRequest) -> HttpResponse:
    """The site's Global Privacy Control support resource (GPC specification, section 3.5).

    Public and the same for everyone: cacheable, and it sets no cookie.
    """
    if not settings.DSAR_GPC_SUPPORTED:
        raise Http404
    body: dict[str, object] = {"gpc": True}
    if settings.DSAR_GPC_LAST_UPDATE:
        body["lastUpdate"] = settings.DSAR_GPC_LAST_UPDATE
    response = JsonResponse(body)
    patch_cache_control(response, public=True, max_age=24 * 3600)
    return response


@private_page
@require_http_methods(["GET", "POST"])
def verify_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only the POST uses the link.

    Mail scanners open links to check them: if opening the link used it up, the person
    would find it already used when they click.
    """
    try:
        challenge = verification.challenge_from_link(token, purpose=ChallengePurpose.VERIFY_REQUEST)
    except VerificationFailed as failure:
        return link_failed(request, failure, renew_token=token)
    if request.method == "GET":
        return render(request, "public/verify_confirm.html")
    if limited := ratelimit.hit("verify_ip", ratelimit.client_ip(request)):
        return rate_limited(request, limited)
    try:
        subject_request = services.request_confirm_email(challenge, method="link")
    except VerificationFailed as failure:
        return link_failed(request, failure)
    return HttpResponseRedirect(reverse("request_status", args=[verification.status_token(subject_request)]))


@private_page
@require_http_methods(["POST"])
def verify_renew(request: HttpRequest, token: str) -> HttpResponse:
    """From the expired-link page: a fresh link for the same request, without a new one."""
    try:
        challenge = verification.challenge_of_genuine_link(token, purpose=ChallengePurpose.VERIFY_REQUEST)
    except VerificationFailed as failure:
        return link_failed(request, failure)
    if limited := ratelimit.hit("resend", f"{ratelimit.client_ip(request)}:renew:{challenge.pk}"):
        return rate_limited(request, limited)
    subject_request = services.request_renew_verification(challenge=challenge)
    if subject_request.state == State.CLOSED_UNVERIFIED:
        return render(request, "public/verify_closed.html", status=410)
    return render(request, "public/verify_resent.html")


@private_page
@require_http_methods(["GET", "POST"])
def verify_code(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        # An agent's user_verification_url (DRP) names the request: its reference is filled in.
        initial = {"reference": request.GET.get("reference", "")[:40]}
        return render(request, "public/verify_code.html", {"form": VerifyCodeForm(initial=initial)})
    if limited := ratelimit.hit("verify_ip", ratelimit.client_ip(request)):
        return rate_limited(request, limited)
    form = VerifyCodeForm(request.POST)
    if form.is_valid():
        try:
            challenge = verification.challenge_from_code(
                form.cleaned_data["reference"], form.cleaned_data["code"], purpose=ChallengePurpose.VERIFY_REQUEST
            )
            subject_request = services.request_confirm_email(challenge, method="code")
        except VerificationFailed as failure:
            form.add_error(None, failure.message)
        else:
            return HttpResponseRedirect(reverse("request_status", args=[verification.status_token(subject_request)]))
    return render(request, "public/verify_code.html", {"form": form}, status=400)


@require_http_methods(["GET", "POST"])
def verify_resend(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "public/verify_resend.html", {"form": ResendForm()})
    form = ResendForm(request.POST)
    if not form.is_valid():
        return render(request, "public/verify_resend.html", {"form": form}, status=400)
    identity = f"{ratelimit.client_ip(request)}:{form.cleaned_data['reference'].upper()}"
    if limited := ratelimit.hit("resend", identity):
        return rate_limited(request, limited)
    services.request_resend_verification(reference=form.cleaned_data["reference"], email=form.cleaned_data["email"])
    return render(request, "public/verify_resent.html")


@private_page
def request_status(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subject_request = verification.request_from_status_token(token)
    except VerificationFailed as failure:
        return link_failed(request, failure)
    return render(request, "public/status.html", {**_status_context(subject_request), "status_token": token})


@private_page
@require_http_methods(["GET", "POST"])
def bundle_download(request: HttpRequest, token: str, bundle_pk: int) -> HttpResponseBase:
    """Download the result: the status link, then a fresh one-time code sent to the subject."""
    try:
        subject_request = verification.request_from_status_token(token)
    except VerificationFailed as failure:
        downloads.refuse(None, "A download was tried with an invalid or expired status link")
        return link_failed(request, failure)
    try:
        bundle = downloads.bundle_requested(request=subject_request, bundle_pk=bundle_pk)
    except downloads.DownloadRefused:
        return link_failed(request, VerificationFailed("invalid"))
    context: dict[str, Any] = {"subject_request": subject_request, "bundle": bundle, "token": token}
    if request.method == "GET":
        return render(request, "public/download.html", context)
    if request.POST.get("action") == "send":
        identity = f"{ratelimit.client_ip(request)}:{subject_request.reference}"
        if limited := ratelimit.hit("resend", identity):
            return rate_limited(request, limited)
        downloads.download_code_send(request=subject_request)
        return render(request, "public/download.html", {**context, "code_sent": True})
    if limited := ratelimit.hit("verify_ip", ratelimit.client_ip(request)):
        return rate_limited(request, limited)
    try:
        bundle = downloads.bundle_claim(
            request=subject_request, bundle_pk=bundle.pk, code=request.POST.get("code", "")[:20]
        )
    except downloads.DownloadRefused as refusal:
        context.update(code_sent=True, error=refusal.message)
        return render(request, "public/download.html", context, status=403)
    return FileResponse(
        downloads.bundle_open(bundle), as_attachment=True, filename=bundle.filename, content_type="application/zip"
    )


def bundle_public_key(request: HttpRequest) -> HttpResponse:
    """The public key that checks every bundle's manifest.sig (see the bundle's README.txt)."""
    return HttpResponse(bundle_keys.public_key(), content_type="application/x-pem-file")


def _status_context(subject_request: DataSubjectRequest) -> dict[str, Any]:
    messages = subject_request.emails.filter(direction=Direction.OUTBOUND, kind__in=STATUS_PAGE_KINDS).order_by(
        "created_at"
    )
    label, explanation = progress.subject_status(subject_request)
    try:
        law = deadlines.rule_of(subject_request).label
        not_asked = not needs_verification(subject_request)
    except UnknownJurisdiction:
        # A version taken out of the pack: the date stands, but the page cannot name its law.
        law, not_asked = "", False
    # An opt-out or limit its law forbids verifying (CCPA regulations §7026(d), §7027;
    # Colorado 4 CCR 904-3 Rule 4.03), and that nobody verified another way.
    not_asked = not_asked and subject_request.email_verified_at is None and subject_request.verified_at is None
    return {
        "law": law,
        "verification_not_asked": not_asked,
        "subject_request": subject_request,
        "state_label": label,
        "state_explanation": explanation,
        "messages": messages,
        "bundles": downloads.available_bundles(subject_request),
    }
