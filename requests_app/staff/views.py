"""The staff UI's pages: dashboard, queue and one request, and the actions on requests.

Thin views: check permission (the decorator), parse the form, call one selector or service,
render. The queue's search term may be an email address, so it never travels in a URL: it
is posted, kept in the session, and the browser is redirected to the queue.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.http import require_GET, require_POST

from requests_app.errors import ApplicationError
from requests_app.fulfilment.current_values import correction_values_read
from requests_app.models import FALLBACK_LANGUAGE, TEMPLATE_LANGUAGES, DataSubjectRequest, RequestType, TemplateKind
from requests_app.services import requests as services
from requests_app.staff import charts, reason_templates, selectors, stores, workload
from requests_app.staff.actions import (
    ACTIONS,
    Action,
    action_form,
    action_refusal_record,
    assignee_choices,
    assignee_from_choice,
)
from requests_app.staff.forms import BulkAssignForm, QueueFilterForm, SearchForm, TemplatePickerForm
from requests_app.staff.permissions import (
    ACT,
    VIEW,
    can_see_personal_data,
    forbidden,
    record_personal_data_read,
    staff_actor,
    staff_required,
)
from requests_app.verification import fraud
from requests_app.workflow import progress

SEARCH_SESSION_KEY = "staff_queue_search"
FILTER_NAMES = frozenset(QueueFilterForm.base_fields) | {"page"}


def _queue_url(filters: str = "") -> str:
    """The queue with these filters; anything that is not a known filter is dropped."""
    query = QueryDict(filters, mutable=True)
    for name in list(query):
        if name not in FILTER_NAMES:
            del query[name]
    encoded = query.urlencode()
    return f"{reverse('staff_queue')}?{encoded}" if encoded else reverse("staff_queue")


@require_GET
@staff_required(VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    received = selectors.weekly_received(today)
    completion = selectors.weekly_completion(today)
    context = {
        "nav": "dashboard",
        "today": today,
        "time_zone": settings.TIME_ZONE,
        "counts": selectors.dashboard_counts(today),
        "unread": selectors.unread_requests(),
        "workload": workload.assignee_workload(today, selectors.clock_stopped_filter()),
        "waiting_for_a_person": workload.requests_waiting_for_a_person(),
        "manual_steps": workload.manual_steps_by_system(),
        "failing_systems": selectors.failing_systems(timezone.now()),
        "received": received,
        "received_chart": charts.received_chart(received),
        "completion": completion,
        "completion_chart": charts.completion_chart(completion),
        "request_types": RequestType.choices,
        "received_legend": charts.RECEIVED_LEGEND,
    }
    return render(request, "staff/dashboard.html", context)


@require_GET
@staff_required(VIEW)
def my_work(request: HttpRequest) -> HttpResponse:
    """The signed-in person's open requests, most urgent first: an analyst's landing page."""
    context = {
        "nav": "my_work",
        "work": workload.my_work(request.user, timezone.localdate()),
        "can_act": request.user.has_perm(ACT),
    }
    return render(request, "staff/my_work.html", context)


@require_GET
@staff_required(VIEW)
def queue(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    assignees = assignee_choices()
    search = str(request.session.get(SEARCH_SESSION_KEY, ""))
    chosen = request.GET.copy()
    if search and not chosen.get("state"):
        # A search looks in every state unless a state was chosen: the request someone asks
        # about by email is as often a closed one.
        chosen["state"] = "any"
    filters = QueueFilterForm(chosen, assignees=workload.assignee_filter_choices(assignees))
    personal = can_see_personal_data(request)
    query = filters.query(search=search, by_reference_only=not personal)
    page = Paginator(selectors.queue_requests(query, user=request.user, today=today), selectors.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    without_page = request.GET.copy()
    without_page.pop("page", None)
    context = {
        "nav": "queue",
        "filters": filters,
        "query": query,
        "search_form": SearchForm(initial={"q": search, "filters": without_page.urlencode()}),
        "page": page,
        "rows": [(r, selectors.due_status(r, today), progress.staff_state_words(r)) for r in page.object_list],
        "filter_query": without_page.urlencode(),
        "sort_links": _sort_links(without_page, query.sort),
        "assignees": assignees,
        "can_act": request.user.has_perm(ACT),
        "can_see_personal": personal,
    }
    return render(request, "staff/queue.html", context)


def _sort_links(params: QueryDict, current: str) -> dict[str, dict[str, str]]:
    """For each sortable column: the link that sorts by it (reversing when it is the sort now)."""
    links = {}
    for column in ("due", "received"):
        target = f"-{column}" if current == column else column
        query = params.copy()
        query["sort"] = target
        direction = "ascending" if current == column else "descending" if current == f"-{column}" else "none"
        links[column] = {"url": f"?{query.urlencode()}", "aria_sort": direction}
    return links


@require_POST
@staff_required(VIEW)
def queue_search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.POST)
    form.is_valid()
    term = str(form.cleaned_data.get("q", "")).strip()
    if "clear" in request.POST or not term:
        request.session.pop(SEARCH_SESSION_KEY, None)
    else:
        request.session[SEARCH_SESSION_KEY] = term
    return redirect(_queue_url(str(form.cleaned_data.get("filters", ""))))


@require_POST
@staff_required(ACT)
def bulk_assign(request: HttpRequest) -> HttpResponse:
    posted = request.POST.getlist("references")
    found = {r.reference: r for r in DataSubjectRequest.objects.filter(reference__in=posted)}
    form = BulkAssignForm(request.POST, references=list(found), assignees=assignee_choices())
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(_queue_url(request.POST.get("filters", "")))
    try:
        assignee = assignee_from_choice(form.cleaned_data["assignee"])
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(_queue_url(form.cleaned_data["filters"]))
    chosen = [found[reference] for reference in form.cleaned_data["references"]]
    changed = services.requests_assign(requests=chosen, actor=staff_actor(request), assignee=assignee)
    who = assignee.get_username() if assignee else "nobody"
    messages.success(request, f"{changed} request{'s' if changed != 1 else ''} assigned to {who}.")
    return redirect(_queue_url(form.cleaned_data["filters"]))


# The action forms that start from a template: the picker's query parameter, the template
# kind, and the form field the text goes in.
TEMPLATE_PICKERS: dict[str, tuple[str, str, str]] = {
    "reject": ("reason_template", TemplateKind.REJECTION, "reason"),
    "reply": ("reply_template", TemplateKind.REPLY, "message"),
    "ask": ("ask_template", TemplateKind.ASK, "question"),
}


def _picked_action(request: HttpRequest) -> str:
    """The action whose template picker was just used, so its form opens with the template."""
    return next((name for name, picker in TEMPLATE_PICKERS.items() if picker[0] in request.GET), "")


# Each picker's label and button name what it starts, so no two on the page read the same.
PICKER_WORDS = {
    "reject": ("Start from a template", "Use this template"),
    "reply": ("Start from a reply template", "Use this reply template"),
    "ask": ("Start from a question template", "Use this question template"),
}


def _request_language(subject_request: DataSubjectRequest) -> str:
    """The language the requester is answered in, for choosing templates; English by default."""
    language = subject_request.language
    return language if language in dict(TEMPLATE_LANGUAGES) else FALLBACK_LANGUAGE


def _template_initial(
    request: HttpRequest, action: str, subject_request: DataSubjectRequest, language: str
) -> dict[str, Any] | None:
    """The form's start from the template picked (its placeholders filled), or None."""
    picker = TEMPLATE_PICKERS.get(action)
    key = request.GET.get(picker[0], "") if picker else ""
    template = reason_templates.template_find(picker[1], key, language) if picker and key else None
    if picker is None or template is None:
        return None
    values = {
        "reference": subject_request.reference,
        "company": settings.DSAR_COMPANY_NAME,
        "due_date": dateformat.format(subject_request.due_at, "j F Y"),
        "subject_name": subject_request.subject_name if can_see_personal_data(request) else "",
    }
    initial: dict[str, Any] = {picker[2]: reason_templates.placeholders_fill(template.text, values)}
    if action == "reject":
        initial["category"] = template.category
    return initial


def _detail(
    request: HttpRequest,
    subject_request: DataSubjectRequest,
    *,
    bound: tuple[Action, Any] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    can_act = request.user.has_perm(ACT)
    step = selectors.request_next_step(subject_request)
    forms: list[tuple[Action, Any, str]] = []
    if can_act:
        language = _request_language(subject_request)
        for action in ACTIONS.values():
            if bound is not None and bound[0] is action:
                form = bound[1]
            elif action.available(subject_request):
                form = action_form(
                    action,
                    initial=_template_initial(request, action.name, subject_request, language),
                    request=subject_request,
                )
            else:
                continue
            picker = TEMPLATE_PICKERS.get(action.name)
            if picker is not None:
                choices = [(t.key, t.title) for t in reason_templates.templates_of_kind(picker[1], language)]
                if choices:
                    form.template_picker = TemplatePickerForm(
                        field_name=picker[0],
                        label=PICKER_WORDS[action.name][0],
                        button=PICKER_WORDS[action.name][1],
                        choices=choices,
                        initial={picker[0]: request.GET.get(picker[0])},
                    )
            forms.append((action, form, action.hint_for(subject_request)))
    # The next step's form is shown in its panel, the others one click away.
    primary = next((entry for entry in forms if entry[0].name == step.action), None)
    others = [entry for entry in forms if entry is not primary]
    store = stores_context(subject_request, can_act=can_act)
    step_store = next((row for row in store["store_rows"] if row.task.pk == step.task_pk), None)
    deadline = selectors.request_deadline(subject_request)
    today = timezone.localdate()
    timeline = selectors.request_timeline(subject_request)
    chosen_filter = request.GET.get("timeline", "all")
    if chosen_filter not in selectors.TIMELINE_FILTERS:
        chosen_filter = "all"
    context = {
        "nav": "queue",
        "subject_request": subject_request,
        "state_label": progress.staff_state_words(subject_request),
        "due": selectors.due_status(subject_request, today),
        "deadline": deadline,
        "rule_panel": selectors.rule_panel(subject_request, today),
        "deadline_differs": deadline.due != subject_request.due_at,
        "timeline": selectors.timeline_filtered(timeline, chosen_filter),
        "unread": [] if subject_request.is_minimised else [e.email for e in timeline if e.email and e.email.is_unread],
        "timeline_filter": chosen_filter,
        "timeline_filters": selectors.TIMELINE_FILTERS,
        "timeline_filter_label": selectors.TIMELINE_FILTERS[chosen_filter],
        **selectors.appeal_panel(subject_request),
        **store,
        "next_step": step,
        "next_form": primary,
        "next_store": step_store if step_store is not None and step_store.outcomes else None,
        "action_forms": others,
        "safe_forms": [entry for entry in others if not entry[0].danger],
        "danger_forms": [entry for entry in others if entry[0].danger],
        "open_action": bound[0].name if bound is not None else _picked_action(request),
        "high_risk_signals": fraud.high_risk(subject_request.fraud_signals),
        "can_act": can_act,
        "can_see_personal": can_see_personal_data(request),
        "attachments": subject_request.attachments.exclude(file="") if can_see_personal_data(request) else [],
        "error": error,
    }
    return render(request, "staff/request_detail.html", context, status=status)


def stores_context(subject_request: DataSubjectRequest, *, can_act: bool) -> dict[str, Any]:
    """The stores section: each store's work and what may be done about it, the result, and
    whether work is under way."""
    return {
        "store_rows": stores.store_rows(subject_request, can_act=can_act),
        "bundles": subject_request.bundles.filter(purged_at__isnull=True),
        "stores_live": stores.stores_live(subject_request),
    }


@require_GET
@staff_required(VIEW)
def request_stores(request: HttpRequest, reference: str) -> HttpResponse:
    """The stores section alone, for the request page to refresh while work is under way."""
    subject_request = selectors.request_for_staff(reference)
    can_act = request.user.has_perm(ACT)
    context = {
        "subject_request": subject_request,
        "can_act": can_act,
        # The store the next-step panel offers keeps its form there, not in the table too.
        "next_step": selectors.request_next_step(subject_request),
        **stores_context(subject_request, can_act=can_act),
    }
    return render(request, "staff/_stores.html", context)


@require_GET
@staff_required(VIEW)
def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    subject_request = selectors.request_for_staff(reference)
    if can_see_personal_data(request):
        record_personal_data_read(request, what="request page", subject_request=subject_request)
    return _detail(request, subject_request)


@require_POST
@staff_required(ACT)
def request_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    chosen = ACTIONS.get(action)
    if chosen is None:
        raise Http404("No such action")
    subject_request = selectors.request_for_staff(reference)
    form = action_form(chosen, data=request.POST, request=subject_request)
    if not form.is_valid():
        return _detail(request, subject_request, bound=(chosen, form), status=400)
    try:
        chosen.run(subject_request, staff_actor(request), form.cleaned_data)
    except ApplicationError as error:
        # Refused by the workflow (not allowed now, a guard, an extension too late): nothing
        # changed; say why on the page, with what was typed still in the form.
        subject_request.refresh_from_db()
        action_refusal_record(request=subject_request, actor=staff_actor(request), action=action, reason=error.message)
        return _detail(request, subject_request, bound=(chosen, form), error=error.message, status=409)
    messages.success(request, chosen.done_message(subject_request))
    return redirect("staff_request", reference=subject_request.reference)


@require_POST
@staff_required(ACT)
def correction_values(request: HttpRequest, reference: str) -> HttpResponse:
    """The request page with the subject's current values in the correction's approval form.

    Posted from the approval form itself (its "Show current values" button), so what was
    already chosen and typed there comes back as it was. The values are read for this page
    only: not kept in the session, and the page is never cached.
    """
    if not can_see_personal_data(request):
        return forbidden(request)
    subject_request = selectors.request_for_staff(reference)
    approve = ACTIONS["approve"]
    try:
        values = correction_values_read(request=subject_request, actor=staff_actor(request))
    except ApplicationError as error:
        return _detail(request, subject_request, error=error.message, status=409)
    kept = {name: request.POST.get(f"approve-{name}", "") for name in ("note", "corrections")}
    form = action_form(approve, initial=kept, request=subject_request, review_data=request.POST, values=values)
    return _detail(request, subject_request, bound=(approve, form))
