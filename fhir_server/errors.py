"""Errors that become OperationOutcomes: one table from error class to HTTP status.

Code anywhere below the HTTP layer raises a ``FhirError`` subclass; ``api/errors.py`` renders it.
Unknown exceptions are server faults (500), never client errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fhir_server.i18n import translate


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome issue, with its text kept as a message id until rendered."""

    code: str
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)
    severity: str = "error"
    expression: tuple[str, ...] = ()
    diagnostics: str | None = None

    def render(self, language: str) -> dict[str, Any]:
        """The issue as FHIR JSON in the given language."""
        text = translate(self.message, language, self.params)
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "details": {"text": text},
            "diagnostics": self.diagnostics if self.diagnostics is not None else text,
        }
        if self.expression:
            issue["expression"] = list(self.expression)
        return issue


def operation_outcome(issues: Iterable[Issue], language: str) -> dict[str, Any]:
    """An OperationOutcome resource holding the issues."""
    rendered = [issue.render(language) for issue in issues]
    if not rendered:
        rendered = [Issue("informational", "ok", severity="information").render(language)]
    return {"resourceType": "OperationOutcome", "issue": rendered}


class FhirError(Exception):
    """Base class: an HTTP status plus OperationOutcome issues."""

    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "exception"

    def __init__(
        self,
        message: str = "internal-error",
        *,
        code: str | None = None,
        expression: Iterable[str] = (),
        diagnostics: str | None = None,
        issues: Iterable[Issue] = (),
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> None:
        self.issues: list[Issue] = list(issues) or [
            Issue(
                code or self.default_code,
                message,
                params,
                expression=tuple(expression),
                diagnostics=diagnostics,
            )
        ]
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.issues[0].message)

    def outcome(self, language: str) -> dict[str, Any]:
        """The OperationOutcome for this error."""
        return operation_outcome(self.issues, language)


class Invalid(FhirError):
    status = 400
    default_code = "invalid"


class Unauthorized(FhirError):
    status = 401
    default_code = "login"


class Forbidden(FhirError):
    status = 403
    default_code = "forbidden"


class NotFound(FhirError):
    status = 404
    default_code = "not-found"


class MethodNotAllowed(FhirError):
    status = 405
    default_code = "not-supported"


class NotAcceptable(FhirError):
    status = 406
    default_code = "not-supported"


class Conflict(FhirError):
    status = 409
    default_code = "conflict"


class Gone(FhirError):
    status = 410
    default_code = "deleted"


class PreconditionFailed(FhirError):
    status = 412
    default_code = "conflict"


class PayloadTooLarge(FhirError):
    status = 413
    default_code = "too-costly"


class UnsupportedMediaType(FhirError):
    status = 415
    default_code = "not-supported"


class Unprocessable(FhirError):
    status = 422
    default_code = "processing"


class TooManyRequests(FhirError):
    status = 429
    default_code = "throttled"


class NotImplementedYet(FhirError):
    status = 501
    default_code = "not-supported"


class Unavailable(FhirError):
    status = 503
    default_code = "transient"


class Internal(FhirError):
    status = 500
    default_code = "exception"
