"""The authorised agents that may send Data Rights Protocol requests: registered, changed and
deactivated by a Privacy admin (analysts and auditors get 403). Each change is audited by the
service it calls (``drp.services``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from requests_app.errors import ApplicationError
from requests_app.models import DrpAction, DrpAgent
from requests_app.services import drp_agents as drp
from requests_app.staff.permissions import staff_actor, staff_required

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

MANAGE_AGENTS = "requests_app.change_drpagent"


class AgentForm(forms.Form):
    agent_id = forms.CharField(
        label="DRP agent id",
        max_length=100,
        help_text="The agent's id in the DRP service directory, e.g. CR_AGENT. It cannot be changed later.",
    )
    name = forms.CharField(label="Name", max_length=200)
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="Where our emails to the agent go (acknowledgement, rejection).",
    )
    verify_key = forms.CharField(
        label="Verify key",
        max_length=64,
        help_text="Base64 of the agent's Ed25519 public key (libsodium), from the service directory.",
    )
    allowed_actions = forms.MultipleChoiceField(
        label="May send", choices=DrpAction.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["agent_id"]


@require_GET
@staff_required(MANAGE_AGENTS)
def agent_list(request: HttpRequest) -> HttpResponse:
    agents = DrpAgent.objects.order_by("-active", "name")
    context = {"nav": "drp_agents", "agents": agents, "business_id": settings.DSAR_DRP_BUSINESS_ID}
    return render(request, "staff/drp_agents.html", context)


@require_http_methods(["GET", "POST"])
@staff_required(MANAGE_AGENTS)
def agent_new(request: HttpRequest) -> HttpResponse:
    form = AgentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agent = drp.agent_register(
                agent_id=data["agent_id"],
                name=data["name"],
                email=data["email"],
                verify_key=data["verify_key"],
                allowed_actions=list(data["allowed_actions"]),
                actor=staff_actor(request),
                registered_by=request.user,  # type: ignore[arg-type]
            )
        except ApplicationError as error:
            form.add_error(None, f"{error.message}. Nothing was recorded.")
        else:
            messages.success(request, f"Agent {agent.agent_id} registered. It can now set up its token.")
            return redirect("staff_drp_agents")
    status = 400 if request.method == "POST" else 200
    return render(request, "staff/drp_agent_form.html", {"nav": "drp_agents", "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@staff_required(MANAGE_AGENTS)
def agent_edit(request: HttpRequest, pk: int) -> HttpResponse:
    agent = get_object_or_404(DrpAgent, pk=pk)
    initial = {
        "name": agent.name,
        "email": agent.email,
        "verify_key": agent.verify_key,
        "allowed_actions": agent.allowed_actions,
    }
    form = AgentForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            drp.agent_update(
                agent=agent,
                name=data["name"],
                email=data["email"],
                verify_key=data["verify_key"],
                allowed_actions=list(data["allowed_actions"]),
                actor=staff_actor(request),
            )
        except ApplicationError as error:
            form.add_error(None, f"{error.message}. Nothing was changed.")
        else:
            messages.success(request, f"Agent {agent.agent_id} changed.")
            return redirect("staff_drp_agents")
    status = 400 if request.method == "POST" else 200
    context = {"nav": "drp_agents", "form": form, "agent": agent}
    return render(request, "staff/drp_agent_form.html", context, status=status)


@require_POST
@staff_required(MANAGE_AGENTS)
def agent_active(request: HttpRequest, pk: int) -> HttpResponse:
    agent = get_object_or_404(DrpAgent, pk=pk)
    active = request.POST.get("active") == "1"
    drp.agent_set_active(agent=agent, active=active, actor=staff_actor(request))
    done = "can send requests again" if active else "is deactivated: its tokens no longer work"
    messages.success(request, f"Agent {agent.agent_id} {done}.")
    return redirect("staff_drp_agents")
