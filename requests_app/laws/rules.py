"""The shape of a law's rule: what a request under it may ask, and how its clock runs.

A rule is data, never code: the pack modules (``requests_app.laws.pack``) list one
:class:`Rule` per law and version, each cited to its primary text; ``deadlines`` only reads
them. A rule applies to requests received on or after its ``effective`` date; an older
version stays in the pack for the requests received before it, and each request stores the
``version`` it was counted under, so editing the pack never moves an existing deadline.

Counting units:

* ``days``: calendar days; the day of receipt is day 0 ("45 days" is ``received + 45``).
* ``business_days``: working days after the day of receipt, skipping weekends and the
  rule's public holidays.
* ``months``: the same date in the month the period ends, or that month's last day when it
  has no such date (EDPB Guidelines 01/2022; Regulation 1182/71 Art. 3(2)(c)). Longer periods
  are counted from receipt again (three months, not 1 + 2 chained months).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import datetime
    from collections.abc import Mapping

Unit = Literal["days", "business_days", "months"]
Confidence = Literal["primary", "secondary"]
PauseCounting = Literal["suspends", "restarts"]

_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
_UNIT_WORDS = {"days": "day", "business_days": "business day", "months": "month"}

# The request types a law can give. ``access``, ``correction`` and ``deletion`` are fulfilled
# by the connectors; the others are recorded decisions with a manual task per affected system,
# and ``appeal`` asks for a refused request to be looked at again.
ACCESS, CORRECTION, DELETION = "access", "correction", "deletion"
OPT_OUT, LIMIT, RESTRICTION, OBJECTION, APPEAL = "opt_out", "limit", "restriction", "objection", "appeal"
REQUEST_TYPES = (ACCESS, CORRECTION, DELETION, OPT_OUT, LIMIT, RESTRICTION, OBJECTION, APPEAL)
CORE_TYPES = frozenset({ACCESS, CORRECTION, DELETION})


@dataclass(frozen=True)
class Period:
    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("a period cannot be negative")

    def __str__(self) -> str:
        word = _UNIT_WORDS[self.unit]
        if self.unit == "months":
            number = _NUMBERS[self.amount] if self.amount < len(_NUMBERS) else str(self.amount)
            return f"{number} {word}{'s' if self.amount != 1 else ''}"
        return f"{self.amount} {word}{'s' if self.amount != 1 else ''}"


@dataclass(frozen=True)
class Source:
    """Where a rule comes from. ``primary``: the statute, regulation or the regulator's own page."""

    title: str
    url: str
    primary: bool = True


@dataclass(frozen=True)
class Extension:
    """How much longer the controller may take, and what it owes the subject to take it.

    ``by`` is added to the response period (both counted from receipt, in the period's unit);
    ``notice`` says when the subject must be told and with what (in words, for staff);
    ``notice_within_period``: the notice is due within the original period, so an extension
    asked for after it is refused.
    """

    by: Period
    grounds: str
    notice: str
    notice_within_period: bool = True


@dataclass(frozen=True)
class ClockStop:
    """When the response period does not run, and how it starts again.

    ``suspends``: the days the request waits are not counted, so the due date moves by exactly
    those days (UK GDPR Art. 12A). ``restarts``: the period counts from the day the awaited
    information arrives, which EDPB Guidelines 01/2022 give for the GDPR (the count starts once
    the controller can identify the subject); it never ends earlier than without the wait.
    """

    grounds: tuple[str, ...]
    counting: PauseCounting
    citation: str


@dataclass(frozen=True)
class Appeal:
    """The subject's right to have a refusal looked at again by the controller.

    ``file_within``: how long the subject has to appeal (None: the law sets no limit, or "a
    reasonable period"). ``answer_within`` runs from the day the appeal is received, and
    ``answer_extension`` (if any) is added to it. ``complaint`` tells the subject where to go
    if the appeal is refused, where the law requires that they be told; ``regulator`` names that
    office for the subject ("the Attorney General of Virginia").
    """

    answer_within: Period
    citation: str
    file_within: Period | None = None
    answer_extension: Period | None = None
    complaint: str = ""  # the business's duty, in words, for staff
    regulator: str = ""  # whom the subject may complain to, as the subject is told it


@dataclass(frozen=True)
class TypeTiming:
    """A request type that the law times differently from its main period (CCPA opt-out)."""

    period: Period
    citation: str
    extension: Extension | None = None
    verification: Literal["required", "not_required"] = "required"


@dataclass(frozen=True)
class Rule:
    """One law's rule for answering a data subject request, at one version.

    ``code`` is the jurisdiction code (``uk``, ``us-va``, ``gdpr``); ``version`` names this
    edition of the rule and is stored on each request counted under it. ``reasonable_period``
    marks a law that sets no fixed period ("without delay"): its ``period`` is then the
    configured ``DSAR_REASONABLE_PERIOD_DAYS``, and every explanation says so.
    """

    code: str
    version: str
    effective: datetime.date
    name: str
    label: str  # in words a person understands: the place, and the law's short name
    region: str  # the form's grouping: "Europe", "United States", "Canada", ...
    citation: str
    sources: tuple[Source, ...]
    period: Period
    extension: Extension | None
    clock_stop: ClockStop | None
    request_types: frozenset[str]
    cost: str
    confidence: Confidence
    rolls_to_working_day: bool = False
    common_holidays: tuple[tuple[int, int, str], ...] = ()  # (month, day, name) when no holiday country is set
    acknowledge_within: int | None = None  # business days after receipt; None: no such duty
    acknowledgement: str = ""  # the duty in words, when there is one
    appeal: Appeal | None = None
    by_type: Mapping[str, TypeTiming] = field(default_factory=dict)
    reasonable_period: bool = False
    silence_is_refusal: bool = False
    lookback: str = ""
    notes: tuple[str, ...] = ()
    holiday_country: str | None = None  # None: the configured DSAR_HOLIDAY_COUNTRY/SUBDIVISION
    holiday_subdivision: str | None = None
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.extension is not None and self.extension.by.unit != self.period.unit:
            raise ValueError(f"{self.code}: the extension must be counted in {self.period.unit}")
        for request_type, timing in self.by_type.items():
            if request_type not in self.request_types:
                raise ValueError(f"{self.code}: {request_type} is timed but not a type the law gives")
            if timing.extension is not None and timing.extension.by.unit != timing.period.unit:
                raise ValueError(f"{self.code}: the {request_type} extension must be counted in {timing.period.unit}")
        unknown = self.request_types - set(REQUEST_TYPES)
        if unknown:
            raise ValueError(f"{self.code}: unknown request types {sorted(unknown)}")
        if APPEAL in self.request_types and self.appeal is None:
            raise ValueError(f"{self.code}: an appeal type needs the appeal rule")
        if not self.sources:
            raise ValueError(f"{self.code}: a rule needs at least one source")

    @property
    def key(self) -> str:
        return f"{self.code}@{self.version}"

    @property
    def pause_allowed(self) -> bool:
        return self.clock_stop is not None

    def timing(self, request_type: str | None) -> TypeTiming:
        """The period and extension for one request type (the rule's main ones by default).

        An appeal has the appeal's own: its answer period, counted from the appeal's receipt,
        and its extension, to be told within that period.
        """
        if request_type is not None and request_type in self.by_type:
            return self.by_type[request_type]
        if request_type == APPEAL and self.appeal is not None:
            extension = None
            if self.appeal.answer_extension is not None:
                extension = Extension(
                    by=self.appeal.answer_extension,
                    grounds="where reasonably necessary",
                    notice="within the appeal's first period, with the reasons",
                )
            return TypeTiming(period=self.appeal.answer_within, citation=self.appeal.citation, extension=extension)
        return TypeTiming(period=self.period, citation=self.citation, extension=self.extension)
