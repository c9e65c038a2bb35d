from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django_otp.admin import OTPAdminSite  # type: ignore[import-untyped]  # django-otp ships no type information

from requests_app.infra import health

# Staff sign in at /staff/login/ (password with lockout, then the second factor); the admin
# site uses the same page, and with two-factor required it also wants a verified session.
if settings.DSAR_STAFF_REQUIRE_2FA:
    admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/login/", RedirectView.as_view(pattern_name="staff_login", query_string=True)),
    path("admin/", admin.site.urls),
    path("staff/", include("requests_app.staff.urls")),
    path("api/", include("requests_app.api.urls")),
    path("drp/v1/", include("requests_app.drp.urls")),
    path("", include("requests_app.urls")),
]
