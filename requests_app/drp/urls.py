"""The DRP v0.9.4 endpoints (§2), mounted at /drp/v1/ by dsar/urls.py."""

from django.urls import path

from requests_app.drp import views

urlpatterns = [
    path("agent/<str:agent_id>", views.agent, name="drp_agent"),
    path("data-rights-request", views.exercise, name="drp_exercise"),
    # §2.01: before 0.9.3 the path had a trailing slash; implementors may keep it.
    path("data-rights-request/", views.exercise),
    path("data-rights-request/<str:request_id>", views.exercise_detail, name="drp_exercise_detail"),
]
