"""The webhook pages: subscriptions listed, created, edited, enabled or disabled, their secret
rotated, deleted, and their recent deliveries with every attempt's answer. Privacy admins only.

The views parse the form and call one service of ``webhooks.subscriptions``; the services
validate and audit. A secret is shown once, on the page the creation or rotation answers
with, and never stored anywhere it could be shown again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from requests_app.models import EventKind, WebhookAttempt, WebhookDelivery, WebhookSubscription
from requests_app.staff.forms import StaffForm
from requests_app.staff.permissions import staff_actor, staff_required
from requests_app.webhooks import subscriptions
from requests_app.webhooks.subscriptions import SubscriptionInvalid

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

# Only the Privacy admin role holds it (requests_app.*): analysts and auditors get 403.
MANAGE_WEBHOOKS = "requests_app.change_webhooksubscription"
RECENT_DELIVERIES = 20


class WebhookForm(StaffForm):
    """The input as typed; the service decides what is acceptable and says why not."""

    name = forms.CharField(
        label="Name", max_length=subscriptions.NAME_MAX_LENGTH, help_text="For you: what receives it."
    )
    url = forms.CharField(
        label="URL",
        max_length=2000,
        help_text="Where each event is posted: https:// and a public address.",
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}),
    )
    events = forms.MultipleChoiceField(
        label="Events", choices=EventKind.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    def add_service_error(self, error: SubscriptionInvalid) -> None:
        field = error.extra.get("field")
        self.add_error(field if isinstance(field, str) and field in self.fields else None, error.message)


class DeleteForm(StaffForm):
    confirm = forms.BooleanField(label="Yes, delete this subscription and its delivery history")


@require_GET
@staff_required(MANAGE_WEBHOOKS)
def webhook_list(request: HttpRequest) -> HttpResponse:
    latest = WebhookDelivery.objects.filter(subscription=OuterRef("pk")).order_by("-created_at", "-id")
    rows = WebhookSubscription.objects.annotate(
        last_state=Subquery(latest.values("state")[:1]),
        last_at=Subquery(latest.values("created_at")[:1]),
    )
    return render(
        request, "staff/webhooks.html", {"nav": "webhooks", "subscriptions": rows, "states": dict(_delivery_states())}
    )


def _delivery_states() -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in WebhookDelivery._meta.get_field("state").choices or []]


@require_http_methods(["GET", "POST"])
@staff_required(MANAGE_WEBHOOKS)
def webhook_new(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription, secret = subscriptions.webhook_subscription_create(
                name=form.cleaned_data["name"],
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                actor=staff_actor(request),
            )
        except SubscriptionInvalid as error:
            form.add_service_error(error)
        else:
            return _secret_page(request, subscription, secret, created=True)
    status = 400 if form.errors else 200
    return render(request, "staff/webhook_new.html", {"nav": "webhooks", "form": form}, status=status)


def _secret_page(
    request: HttpRequest, subscription: WebhookSubscription, secret: str, *, created: bool
) -> HttpResponse:
    # Rendered in answer to the post, not after a redirect: the secret is kept nowhere it
    # could be shown from again (staff_required marks the page never to be cached).
    context = {"nav": "webhooks", "subscription": subscription, "secret": secret, "created": created}
    return render(request, "staff/webhook_secret.html", context)


@require_http_methods(["GET", "POST"])
@staff_required(MANAGE_WEBHOOKS)
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    initial = {"name": subscription.name, "url": subscription.url, "events": subscription.events}
    form = WebhookForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            subscriptions.webhook_subscription_update(
                subscription=subscription,
                actor=staff_actor(request),
                name=form.cleaned_data["name"],
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
            )
        except SubscriptionInvalid as error:
            form.add_service_error(error)
        else:
            messages.success(request, "The subscription is saved.")
            return redirect("staff_webhook_detail", pk=subscription.pk)
    return _detail_page(request, subscription, form=form, delete_form=DeleteForm())


def _detail_page(
    request: HttpRequest, subscription: WebhookSubscription, *, form: WebhookForm, delete_form: DeleteForm
) -> HttpResponse:
    deliveries = (
        subscription.deliveries.select_related("event")
        .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number")))
        .order_by("-created_at", "-id")[:RECENT_DELIVERIES]
    )
    context: dict[str, Any] = {
        "nav": "webhooks",
        "subscription": subscription,
        "form": form,
        "delete_form": delete_form,
        "deliveries": deliveries,
    }
    status = 400 if form.errors or delete_form.errors else 200
    return render(request, "staff/webhook_detail.html", context, status=status)


ACTIONS = ("enable", "disable", "rotate", "delete")


@require_POST
@staff_required(MANAGE_WEBHOOKS)
def webhook_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    actor = staff_actor(request)
    if action in ("enable", "disable"):
        subscriptions.webhook_subscription_update(subscription=subscription, actor=actor, is_active=action == "enable")
        messages.success(request, f"The subscription is {'enabled' if action == 'enable' else 'disabled'}.")
        return redirect("staff_webhook_detail", pk=subscription.pk)
    if action == "rotate":
        try:
            secret = subscriptions.webhook_secret_rotate(subscription=subscription, actor=actor)
        except SubscriptionInvalid as error:
            messages.error(request, error.message)
            return redirect("staff_webhooks")
        subscription.refresh_from_db()
        return _secret_page(request, subscription, secret, created=False)
    delete_form = DeleteForm(request.POST)
    if not delete_form.is_valid():
        initial = {"name": subscription.name, "url": subscription.url, "events": subscription.events}
        return _detail_page(request, subscription, form=WebhookForm(initial=initial), delete_form=delete_form)
    subscriptions.webhook_subscription_delete(subscription=subscription, actor=actor)
    messages.success(request, f"The subscription “{subscription.name}” is deleted.")
    return redirect("staff_webhooks")
