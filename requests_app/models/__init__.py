"""Data and invariants, one module per concern. Writes live in the services (workflow.py,
audit.py, verification.py, notifications.py, ...), never in views or signal receivers."""

from requests_app.models.audit import (
    AuditChainHead,
    AuditEvent,
    AuditEventImmutable,
    AuditEventQuerySet,
    RequestSealKey,
)
from requests_app.models.bundles import RESULT_KIND, Bundle, BundleKind
from requests_app.models.datamap import DataMapVersion, Dataset, Field, System
from requests_app.models.email import Direction, EmailAttachment, EmailMessage, EmailStatus, MailboxState
from requests_app.models.events import EventKind, RequestEvent
from requests_app.models.ratelimit import RateLimitCount
from requests_app.models.reminders import Reminder, ReminderKind, StaffPreference
from requests_app.models.requests import (
    OPEN_STATES,
    TERMINAL_STATES,
    Channel,
    DataSubjectRequest,
    ReceivedVia,
    RejectionCategory,
    RequestAttachment,
    RequestType,
    State,
    VerificationPolicy,
)
from requests_app.models.tasks import (
    FINISHED_STATES,
    NEEDS_PERSON_STATES,
    OUTCOME_STATES,
    OUTCOME_WORDS,
    OUTCOMES_FOR,
    PERSONAL_COUNT_KEYS,
    StoreAction,
    StoreOutcome,
    StoreTask,
    StoreTaskState,
    counts_without_personal,
)
from requests_app.models.verification import ChallengePurpose, VerificationChallenge
from requests_app.models.webhooks import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "FINISHED_STATES",
    "NEEDS_PERSON_STATES",
    "OPEN_STATES",
    "OUTCOMES_FOR",
    "OUTCOME_STATES",
    "OUTCOME_WORDS",
    "PERSONAL_COUNT_KEYS",
    "RESULT_KIND",
    "TERMINAL_STATES",
    "AuditChainHead",
    "AuditEvent",
    "AuditEventImmutable",
    "AuditEventQuerySet",
    "Bundle",
    "BundleKind",
    "ChallengePurpose",
    "Channel",
    "DataMapVersion",
    "DataSubjectRequest",
    "Dataset",
    "DeliveryState",
    "Direction",
    "EmailAttachment",
    "EmailMessage",
    "EmailStatus",
    "EventKind",
    "Field",
    "MailboxState",
    "RateLimitCount",
    "ReceivedVia",
    "RejectionCategory",
    "Reminder",
    "ReminderKind",
    "RequestAttachment",
    "RequestEvent",
    "RequestSealKey",
    "RequestType",
    "StaffPreference",
    "State",
    "StoreAction",
    "StoreOutcome",
    "StoreTask",
    "StoreTaskState",
    "System",
    "VerificationChallenge",
    "VerificationPolicy",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "counts_without_personal",
]
