from django.urls import path
from django.views.generic import RedirectView

from requests_app.intake import webhook
from requests_app.public import views as public_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="request_form", permanent=False)),
    path("request/", public_views.request_form, name="request_form"),
    path("request/sent/", public_views.request_sent, name="request_sent"),
    path("request/verify/", public_views.verify_code, name="verify_code"),
    path("request/verify/resend/", public_views.verify_resend, name="verify_resend"),
    path("request/verify/<str:token>/", public_views.verify_link, name="verify_link"),
    path("request/verify/<str:token>/renew/", public_views.verify_renew, name="verify_renew"),
    path("request/status/<str:token>/", public_views.request_status, name="request_status"),
    path(
        "request/status/<str:token>/download/<int:bundle_pk>/",
        public_views.bundle_download,
        name="bundle_download",
    ),
    path(".well-known/gpc.json", public_views.gpc_json, name="gpc_json"),
    path(".well-known/dsar-bundle-signing-key.pem", public_views.bundle_public_key, name="bundle_public_key"),
    path("inbound/email/", webhook.inbound_email, name="inbound_email"),
]
