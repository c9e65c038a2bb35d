"""A rule in words: what its period, extension, clock stop and appeal are, and where they come from.

Shared by the ``deadline`` and ``rules`` commands and the staff request page, so each says
the same thing about a rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from requests_app.laws.rules import Rule

CONFIDENCE_WORDS = {
    "primary": "read from the primary text",
    "secondary": "only a secondary source was found; check before relying on it",
}


@dataclass(frozen=True)
class RuleFacts:
    period: str
    extension: str
    clock_stop: str
    appeal: str
    acknowledgement: str
    cost: str
    confidence: str


def period_words(rule: Rule) -> str:
    if rule.reasonable_period:
        return "no fixed period (a reasonable period: DSAR_REASONABLE_PERIOD_DAYS)"
    words = str(rule.period)
    for request_type, timing in sorted(rule.by_type.items()):
        words += f"; {request_type.replace('_', '-')}: {timing.period}"
    return words


def extension_words(rule: Rule) -> str:
    if rule.extension is None:
        return "none"
    extension = rule.extension
    return f"+{extension.by} ({extension.grounds}); tell the subject {extension.notice}"


def clock_stop_words(rule: Rule) -> str:
    stop = rule.clock_stop
    if stop is None:
        return "none: the period runs while the request waits"
    how = "the days waited are not counted" if stop.counting == "suspends" else "the period counts from when it arrives"
    return f"while waiting for {', '.join(stop.grounds)}: {how} ({stop.citation})"


def appeal_words(rule: Rule) -> str:
    appeal = rule.appeal
    if appeal is None:
        return "no appeal to the business in this law"
    filed = f"file within {appeal.file_within}" if appeal.file_within else "no fixed time to file"
    extra = f", extendable by {appeal.answer_extension}" if appeal.answer_extension else ""
    words = f"{filed}; answer within {appeal.answer_within}{extra} ({appeal.citation})"
    return f"{words}; {appeal.complaint}" if appeal.complaint else words


def rule_facts(rule: Rule) -> RuleFacts:
    return RuleFacts(
        period=period_words(rule),
        extension=extension_words(rule),
        clock_stop=clock_stop_words(rule),
        appeal=appeal_words(rule),
        acknowledgement=rule.acknowledgement or "no duty to confirm receipt by a date",
        cost=rule.cost,
        confidence=CONFIDENCE_WORDS[rule.confidence],
    )


def rule_lines(rule: Rule) -> list[str]:
    """Every fact of a rule, one line each, for a terminal."""
    facts = rule_facts(rule)
    lines = [
        f"{rule.code} — {rule.label} (version {rule.version}, for requests received from {rule.effective.isoformat()})",
        f"  Citation: {rule.citation}",
        f"  Period: {facts.period}",
        f"  Extension: {facts.extension}",
        f"  Clock stop: {facts.clock_stop}",
        f"  Appeal: {facts.appeal}",
        f"  Acknowledgement: {facts.acknowledgement}",
        f"  Cost: {facts.cost}",
        f"  Request types: {', '.join(sorted(t.replace('_', '-') for t in rule.request_types))}",
    ]
    if rule.lookback:
        lines.append(f"  Look-back: {rule.lookback}")
    if rule.silence_is_refusal:
        lines.append("  No answer within the period counts as a refusal.")
    if rule.aliases:
        lines.append(f"  Also accepted as: {', '.join(rule.aliases)}")
    lines += [f"  Note: {note}" for note in rule.notes]
    lines.append(f"  Confidence: {facts.confidence}")
    lines += [f"  Source: {source.title} — {source.url or '(no address)'}" for source in rule.sources]
    return lines


MARKDOWN_HEADER = (
    "| code | law | in force for requests from | period | extension | clock stop | appeal | source | confidence |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def markdown_row(rule: Rule) -> str:
    """One line of the README's deadline table, made from the rule itself."""
    extension = "none"
    if rule.extension is not None:
        told = ", told within the first period" if rule.extension.notice_within_period else ""
        extension = f"+{rule.extension.by}{told}"
    stop = "none"
    if rule.clock_stop is not None:
        stop = f"{'; '.join(rule.clock_stop.grounds)} ({rule.clock_stop.counting})"
    appeal = "none"
    if rule.appeal is not None:
        appeal = f"answer in {rule.appeal.answer_within}"
        if rule.appeal.answer_extension:
            appeal += f", +{rule.appeal.answer_extension}"
        if rule.appeal.file_within:
            appeal += f"; file within {rule.appeal.file_within}"
    source = rule.sources[0]
    link = f"[{_cell(rule.citation)}]({source.url})" if source.url else _cell(rule.citation)
    cells = [
        f"`{rule.code}`" + (f" ({', '.join(f'`{a}`' for a in rule.aliases)})" if rule.aliases else ""),
        _cell(rule.label),
        rule.effective.isoformat() if rule.code != "default" else "always",
        _cell(period_words(rule)),
        extension,
        _cell(stop),
        appeal,
        link,
        rule.confidence,
    ]
    return "| " + " | ".join(cells) + " |"
