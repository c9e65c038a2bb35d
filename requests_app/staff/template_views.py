"""The templates staff start a rejection, a reply or a request for information from, edited
per language by a Privacy admin (analysts and auditors get 403). Saving checks the
placeholders and audits the change (``reason_templates.template_save``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from requests_app.errors import ApplicationError
from requests_app.models import FALLBACK_LANGUAGE, TEMPLATE_LANGUAGES, MessageTemplate, RejectionCategory, TemplateKind
from requests_app.staff import reason_templates as templates
from requests_app.staff.permissions import staff_actor, staff_required

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

EDIT_TEMPLATES = "requests_app.change_messagetemplate"
LANGUAGE_NAMES = dict(TEMPLATE_LANGUAGES)
HEADINGS = {
    TemplateKind.REJECTION: "Rejection reasons",
    TemplateKind.REPLY: "Replies",
    TemplateKind.ASK: "Requests for information",
}


class TemplateForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200, help_text="What staff see in the template list.")
    text = forms.CharField(
        label="Text",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Staff can still edit it before sending. Placeholders are filled in from the request.",
    )
    category = forms.ChoiceField(
        label="Ground the rejection starts with",
        choices=RejectionCategory.choices,
        help_text="Kept on the record and counted in the yearly metrics; staff may change it.",
    )

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if kind != TemplateKind.REJECTION:
            del self.fields["category"]

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        problems = templates.placeholder_problems(text)
        if problems:
            raise forms.ValidationError(problems)
        return text

    def clean_title(self) -> str:
        title: str = self.cleaned_data["title"]
        problems = templates.placeholder_problems(title)
        if problems:
            raise forms.ValidationError(problems)
        return title


@require_GET
@staff_required(EDIT_TEMPLATES)
def template_list(request: HttpRequest) -> HttpResponse:
    stored = {(t.kind, t.key, t.language) for t in MessageTemplate.objects.all()}
    sections = [
        {
            "kind": kind,
            "label": label,
            "heading": HEADINGS[TemplateKind(kind)],
            "rows": [
                {
                    "template": template,
                    "languages": [
                        (code, name, (kind, template.key, code) in stored) for code, name in TEMPLATE_LANGUAGES
                    ],
                }
                for template in templates.templates_of_kind(kind)
            ],
        }
        for kind, label in TemplateKind.choices
    ]
    return render(
        request,
        "staff/templates_list.html",
        {"nav": "templates", "sections": sections, "placeholders": templates.PLACEHOLDERS},
    )


@require_http_methods(["GET", "POST"])
@staff_required(EDIT_TEMPLATES)
def template_edit(request: HttpRequest, kind: str, key: str, language: str) -> HttpResponse:
    if kind not in TemplateKind.values or language not in LANGUAGE_NAMES:
        raise Http404("No such template")
    current = MessageTemplate.objects.filter(kind=kind, key=key, language=language).first()
    english = templates.template_find(kind, key, FALLBACK_LANGUAGE)
    if current is None and english is None:
        raise Http404("No such template")
    start = current or english
    assert start is not None  # noqa: S101 - one of them is there
    initial = {"title": start.title, "text": start.text, "category": start.category or RejectionCategory.OTHER}
    form = TemplateForm(request.POST or None, initial=initial, kind=kind)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            templates.template_save(
                kind=kind,
                key=key,
                language=language,
                title=data["title"],
                text=data["text"],
                category=data.get("category", ""),
                actor=staff_actor(request),
            )
        except ApplicationError as error:
            form.add_error(None, f"{error.message}. Nothing was saved.")
        else:
            messages.success(request, f"The template “{data['title']}” in {LANGUAGE_NAMES[language]} is saved.")
            return redirect("staff_templates")
    context = {
        "nav": "templates",
        "form": form,
        "kind_label": TemplateKind(kind).label,
        "key": key,
        "language": language,
        "language_name": LANGUAGE_NAMES[language],
        "stored": current is not None,
        "english": english if language != FALLBACK_LANGUAGE else None,
        "placeholders": templates.PLACEHOLDERS,
    }
    return render(request, "staff/template_edit.html", context, status=400 if form.errors else 200)
