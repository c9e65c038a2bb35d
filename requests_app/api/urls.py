"""/api/v1/ and the API's documentation (/api/schema/, /api/docs/, /api/redoc/)."""

from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from requests_app.api import views
from requests_app.api.actions import API_ACTIONS
from requests_app.api.errors import api_not_found

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api_schema"), name="api_redoc"),
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
    re_path(r"^.*$", api_not_found),
]
