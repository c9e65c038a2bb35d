"""/api/v1/ and the API's documentation (/api/schema/, /api/docs/, /api/redoc/)."""

from __future__ import annotations

from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from requests_app.api import views, webhook_views
from requests_app.api.actions import API_ACTIONS
from requests_app.api.errors import api_not_found

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    # ReDoc styles its page inline and renders in a worker: allowed on this page only.
    path(
        "redoc/",
        csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})(
            SpectacularRedocView.as_view(url_name="api_schema")
        ),
        name="api_redoc",
    ),
    path("v1/requests/", views.RequestsView.as_view(), name="api_requests"),
    path("v1/requests/<str:reference>/", views.RequestView.as_view(), name="api_request"),
    path("v1/requests/<str:reference>/timeline/", views.TimelineView.as_view(), name="api_request_timeline"),
    path("v1/requests/<str:reference>/store-tasks/", views.StoreTasksView.as_view(), name="api_store_tasks"),
    path(
        "v1/requests/<str:reference>/store-tasks/<int:task_id>/retry/",
        views.StoreTaskRetryView.as_view(),
        name="api_store_task_retry",
    ),
    path(
        "v1/requests/<str:reference>/store-tasks/<int:task_id>/resolve/",
        views.StoreTaskResolveView.as_view(),
        name="api_store_task_resolve",
    ),
    *(
        path(
            f"v1/requests/<str:reference>/{action.path}/",
            views.action_view(action).as_view(),
            name=f"api_request_{action.path.replace('-', '_')}",
        )
        for action in API_ACTIONS
    ),
    path("v1/datamap/", views.DataMapView.as_view(), name="api_datamap"),
    path("v1/metrics/", views.MetricsView.as_view(), name="api_metrics"),
    path("v1/webhooks/", webhook_views.WebhooksView.as_view(), name="api_webhooks"),
    path("v1/webhooks/<int:subscription_id>/", webhook_views.WebhookView.as_view(), name="api_webhook"),
    path(
        "v1/webhooks/<int:subscription_id>/rotate-secret/",
        webhook_views.WebhookSecretView.as_view(),
        name="api_webhook_rotate_secret",
    ),
    re_path(r"^.*$", api_not_found),
]
