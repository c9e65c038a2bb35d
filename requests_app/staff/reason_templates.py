"""The templates staff start a rejection, a reply or a request for information from.

Privacy admins edit them on the templates page (``/staff/templates/``), per language; the
edits are ``MessageTemplate`` rows. The lists below are the English texts a new installation
starts with (migration 0023 stores a copy of them): a key with no stored row is shown from
here. Staff pick a template, then edit the text before sending, so one is never sent unread.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from django.db import transaction

from requests_app.errors import GuardFailed
from requests_app.models import (
    FALLBACK_LANGUAGE,
    TEMPLATE_LANGUAGES,
    MessageTemplate,
    RejectionCategory,
    TemplateKind,
)
from requests_app.workflow.audit import Actor, audit_append

if TYPE_CHECKING:
    from collections.abc import Iterable


class ReasonTemplate(NamedTuple):
    key: str
    title: str
    text: str
    # The ground the rejection form starts with (a RejectionCategory value); staff may change it.
    category: str = "other"
    kind: str = TemplateKind.REJECTION
    language: str = FALLBACK_LANGUAGE


REJECTION_REASONS: tuple[ReasonTemplate, ...] = (
    ReasonTemplate(
        "identity",
        "Identity could not be confirmed",
        "We could not confirm that this request comes from the person whose data it concerns, "
        "so we cannot act on it. You are welcome to make a new request and confirm your identity.",
        "not_verified",
    ),
    ReasonTemplate(
        "unfounded",
        "Manifestly unfounded or excessive",
        "We consider this request manifestly unfounded or excessive (GDPR Art. 12(5)), "
        "because it repeats a request we answered recently without new circumstances.",
    ),
    ReasonTemplate(
        "no_data",
        "We hold no data about the subject",
        "After searching our systems we found no personal data about you, so there is nothing to "
        "give, correct or delete.",
    ),
    ReasonTemplate(
        "legal_hold",
        "Deletion refused: we must keep the data",
        "We cannot delete the data because the law requires us to keep it (for example tax and "
        "accounting records). We will delete it when that obligation ends.",
        "exempt",
    ),
    ReasonTemplate(
        "agent",
        "Agent's authorisation not sufficient",
        "The authorisation you sent does not show that you may act for this person. Please send a "
        "signed authorisation, or ask the person to make the request themselves.",
    ),
)
REPLIES: tuple[ReasonTemplate, ...] = (
    ReasonTemplate(
        "in_progress",
        "We are working on it",
        "Thank you for your patience. We are working on your request {reference} and will answer by {due_date}.",
        "",
        TemplateKind.REPLY,
    ),
)
QUESTIONS: tuple[ReasonTemplate, ...] = (
    ReasonTemplate(
        "which_account",
        "Which account the request concerns",
        "To go ahead with your request {reference} we need to know which account it concerns. Please "
        "reply with the email address or customer number you use with {company}.",
        "",
        TemplateKind.ASK,
    ),
)
DEFAULTS: dict[str, tuple[ReasonTemplate, ...]] = {
    TemplateKind.REJECTION: REJECTION_REASONS,
    TemplateKind.REPLY: REPLIES,
    TemplateKind.ASK: QUESTIONS,
}


def _from_row(row: MessageTemplate) -> ReasonTemplate:
    return ReasonTemplate(row.key, row.title, row.text, row.category, row.kind, row.language)


def templates_of_kind(kind: str, language: str = FALLBACK_LANGUAGE) -> list[ReasonTemplate]:
    """Every template of ``kind``, each in ``language`` where it is written in it, else in English."""
    rows = MessageTemplate.objects.filter(kind=kind, language__in={language, FALLBACK_LANGUAGE})
    stored: dict[tuple[str, str], ReasonTemplate] = {(r.key, r.language): _from_row(r) for r in rows}
    keys: Iterable[str] = dict.fromkeys([*(t.key for t in DEFAULTS.get(kind, ())), *(k for k, _ in sorted(stored))])
    defaults = {t.key: t for t in DEFAULTS.get(kind, ())}
    chosen = []
    for key in keys:
        template = stored.get((key, language)) or stored.get((key, FALLBACK_LANGUAGE)) or defaults.get(key)
        if template is not None:
            chosen.append(template)
    return chosen


def template_find(kind: str, key: str, language: str = FALLBACK_LANGUAGE) -> ReasonTemplate | None:
    """One template in ``language``, else in English; None for a key there is no template for."""
    return next((t for t in templates_of_kind(kind, language) if t.key == key), None)


def reason_template(key: str, language: str = FALLBACK_LANGUAGE) -> ReasonTemplate | None:
    return template_find(TemplateKind.REJECTION, key, language)


# --- Placeholders ---------------------------------------------------------------------------

# What a template may name, and what each is filled with on the request page.
PLACEHOLDERS: dict[str, str] = {
    "reference": "the request's reference",
    "company": "the company's name",
    "due_date": "the day the answer is due",
    "subject_name": "the requester's name, as they gave it",
}
# ``{{`` and ``}}`` are a literal brace; ``{name}`` a placeholder; any other brace is broken.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def placeholder_problems(text: str) -> list[str]:
    """What is wrong with the text's placeholders, each named, for a form error; [] when nothing is."""
    problems: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if token in ("{", "}"):
            problems.append(
                f"A lone “{token}” at character {match.start() + 1}: a placeholder is a name in braces, "
                f"like {{reference}}; write “{token * 2}” for the brace itself."
            )
            continue
        name = match.group(1)
        if name not in PLACEHOLDERS:
            known = ", ".join(f"{{{known}}}" for known in PLACEHOLDERS)
            problems.append(f"Unknown placeholder “{token[:60]}”: the placeholders are {known}.")
    return list(dict.fromkeys(problems))


def placeholders_fill(text: str, values: dict[str, str]) -> str:
    """The text with each known placeholder replaced by its value; anything else is left as written.

    Never ``str.format`` on text staff wrote: that would reach attributes (``{x.__class__}``)
    and raise on a stray brace. This only substitutes whole names and cannot fail.
    """

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name is not None and name in values:
            return values[name]
        return token

    return _TOKEN.sub(replace, text)


def template_save(
    *,
    kind: str,
    key: str,
    language: str,
    title: str,
    text: str,
    category: str,
    actor: Actor,
) -> MessageTemplate:
    """Store a template's text in one language, checked first; the change is on the audit trail."""
    if kind not in TemplateKind.values:
        raise GuardFailed(f"There are no {kind} templates")
    if language not in dict(TEMPLATE_LANGUAGES):
        raise GuardFailed(f"Templates are written in {', '.join(dict(TEMPLATE_LANGUAGES))}, not {language}")
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise GuardFailed("A template needs a title and a text")
    problems = placeholder_problems(text) + [f"In the title: {p}" for p in placeholder_problems(title)]
    if problems:
        raise GuardFailed(" ".join(problems))
    if kind != TemplateKind.REJECTION:
        category = ""
    elif category not in RejectionCategory.values:
        raise GuardFailed("Choose the ground a rejection with this template starts with")
    with transaction.atomic():
        template, created = MessageTemplate.objects.update_or_create(
            kind=kind,
            key=key,
            language=language,
            defaults={"title": title, "text": text, "category": category, "updated_by": actor.user},
        )
        audit_append(
            actor=actor,
            action="template.saved",
            data={"kind": kind, "key": key, "language": language, "title": title, "text": text, "new": created},
        )
    return template
