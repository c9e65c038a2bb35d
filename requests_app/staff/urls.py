from django.urls import path

from requests_app.staff import (
    auth_views,
    entry_views,
    metrics_views,
    preference_views,
    store_views,
    triage_views,
    views,
    webhook_views,
)

urlpatterns = [
    path("", views.dashboard, name="staff_dashboard"),
    path("login/", auth_views.login, name="staff_login"),
    path("login/verify/", auth_views.otp_verify, name="staff_otp_verify"),
    path("login/two-factor/", auth_views.otp_setup, name="staff_otp_setup"),
    path("logout/", auth_views.logout, name="staff_logout"),
    path("preferences/", preference_views.preferences, name="staff_preferences"),
    path("requests/", views.queue, name="staff_queue"),
    path("triage/", triage_views.triage_list, name="staff_triage"),
    path("triage/<int:pk>/", triage_views.triage_detail, name="staff_triage_detail"),
    path("triage/<int:pk>/<str:action>/", triage_views.triage_act, name="staff_triage_act"),
    path("datamap/", triage_views.datamap_view, name="staff_datamap"),
    path("metrics/", metrics_views.metrics, name="staff_metrics"),
    path("metrics/<int:year>/metrics.<str:fmt>", metrics_views.metrics_download, name="staff_metrics_download"),
    path("metrics/<int:year>/register.csv", metrics_views.register_download, name="staff_register"),
    path(
        "metrics/<int:year>/register-with-subjects.csv",
        metrics_views.register_with_subjects_download,
        name="staff_register_with_subjects",
    ),
    path(
        "metrics/processing-record.<str:fmt>",
        metrics_views.processing_record_download,
        name="staff_processing_record",
    ),
    path("webhooks/", webhook_views.webhook_list, name="staff_webhooks"),
    path("webhooks/new/", webhook_views.webhook_new, name="staff_webhook_new"),
    path("webhooks/<int:pk>/", webhook_views.webhook_detail, name="staff_webhook_detail"),
    path("webhooks/<int:pk>/<str:action>/", webhook_views.webhook_action, name="staff_webhook_action"),
    path("requests/new/", entry_views.request_new, name="staff_request_new"),
    path("requests/search/", views.queue_search, name="staff_queue_search"),
    path("requests/assign/", views.bulk_assign, name="staff_bulk_assign"),
    path("requests/<str:reference>/", views.request_detail, name="staff_request"),
    path("requests/<str:reference>/stores/", views.request_stores, name="staff_request_stores"),
    path(
        "requests/<str:reference>/stores/<int:task_pk>/retry/",
        store_views.store_task_retry,
        name="staff_store_task_retry",
    ),
    path(
        "requests/<str:reference>/stores/<int:task_pk>/outcome/",
        store_views.store_task_resolve,
        name="staff_store_task_resolve",
    ),
    # The first form's address, which marks a manual step done by hand.
    path(
        "requests/<str:reference>/stores/<int:task_pk>/complete/",
        store_views.store_task_resolve,
        name="staff_store_task_complete",
    ),
    path(
        "requests/<str:reference>/bundles/<int:bundle_pk>/",
        store_views.bundle_download,
        name="staff_bundle_download",
    ),
    path(
        "requests/<str:reference>/attachments/<int:attachment_pk>/",
        entry_views.request_attachment_download,
        name="staff_request_attachment",
    ),
    path("requests/<str:reference>/<str:action>/", views.request_action, name="staff_request_action"),
]
