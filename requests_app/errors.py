"""Domain errors.

``ApplicationError`` is the one root: the API's exception handler and the staff UI turn any
subclass into a clear message for the person who caused it. Errors that mean "our failure"
(a broken audit chain) are not subclasses: they must reach the logs and the operators.
"""

from __future__ import annotations


class ApplicationError(Exception):
    """A request the application understood and refuses, with a message for the user."""

    def __init__(self, message: str, *, extra: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class TransitionNotAllowed(ApplicationError):
    """The workflow does not allow this state change from the request's current state."""


class GuardFailed(ApplicationError):
    """The state change is allowed in general but a precondition is not met."""


class ActionNotAvailable(ApplicationError):
    """The workflow does not offer this action on the request in its current state."""


class UnknownJurisdiction(ApplicationError):
    """No deadline rule has this code."""


class ExtensionNotAllowed(ApplicationError):
    """The request's deadline cannot be extended (again, or any more, or under its law)."""


class ReportRefused(ApplicationError):
    """A report cannot be made as asked (a year out of range, a format it has not)."""


class AuditChainBroken(Exception):
    """The audit trail's hash chain does not verify: someone changed or removed events."""
