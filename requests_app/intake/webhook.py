"""``POST /inbound/email/``: mail posted by an email provider, checked with django-anymail.

The provider's own check runs first (Mailgun's HMAC signature with
DSAR_INBOUND_SIGNING_KEY; basic auth with DSAR_INBOUND_WEBHOOK_SECRET for the providers that
use it): an unsigned or badly signed call gets 400 and creates nothing. Each message then
goes through the same pipeline as mail from IMAP or the MTA pipe.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

from requests_app.intake.pipeline import email_receive

VIEWS = {
    "mailgun": "anymail.webhooks.mailgun.MailgunInboundWebhookView",
    "postmark": "anymail.webhooks.postmark.PostmarkInboundWebhookView",
    "sendgrid": "anymail.webhooks.sendgrid.SendGridInboundWebhookView",
    "mailersend": "anymail.webhooks.mailersend.MailerSendInboundWebhookView",
    "brevo": "anymail.webhooks.brevo.BrevoInboundWebhookView",
    "postal": "anymail.webhooks.postal.PostalInboundWebhookView",
    "resend": "anymail.webhooks.resend.ResendInboundWebhookView",
}


def _configured() -> bool:
    if settings.DSAR_INBOUND_PROVIDER == "mailgun":
        return bool(settings.ANYMAIL.get("MAILGUN_WEBHOOK_SIGNING_KEY"))
    return bool(settings.ANYMAIL.get("WEBHOOK_SECRET"))


@cache
def _view_class(provider: str) -> Any:
    base = import_string(VIEWS[provider])

    class InboundEmailView(base):  # type: ignore[misc, valid-type]
        """The provider's view, storing each message instead of sending a signal."""

        def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            self.run_validators(request)
            for event in self.parse_events(request):
                email_receive(event.message.as_bytes(), source=f"webhook:{provider}")
            return HttpResponse(status=200)

    return InboundEmailView


@csrf_exempt
def inbound_email(request: HttpRequest) -> HttpResponse:
    if not _configured():
        raise Http404("The inbound email webhook is not configured")
    view = _view_class(settings.DSAR_INBOUND_PROVIDER).as_view()
    response: HttpResponse = view(request)
    return response
