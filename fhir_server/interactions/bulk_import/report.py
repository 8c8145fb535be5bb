"""What an import did: resources written or unchanged per type, and the failures with their place."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from fhir_server.errors import FhirError


@dataclass(frozen=True, slots=True)
class Failure:
    """One resource (or bundle) that was not imported: where it is and why."""

    file: str
    line: int | None  # NDJSON line number (1-based); None for a whole bundle
    entry: int | None  # bundle entry index, when the failure names one
    text: str  # the OperationOutcome's diagnostics
    retryable: bool = False  # a conditional reference found nothing: may succeed after the other files

    def describe(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
        if self.entry is not None:
            place += f" entry[{self.entry}]"
        return f"{place}: {self.text}"


@dataclass(slots=True)
class Report:
    """Counts and failures of one unit of work, or of a whole run (``add``)."""

    written: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    seen: int = 0  # resources read, whatever became of them (progress)

    def add(self, other: Report) -> None:
        self.written.update(other.written)
        self.unchanged.update(other.unchanged)
        self.failures.extend(other.failures)
        self.seen += other.seen

    @property
    def total_written(self) -> int:
        return sum(self.written.values())


def outcome_text(error: FhirError, language: str = "en") -> str:
    """The diagnostics of an error's OperationOutcome, one issue after another."""
    issues = error.outcome(language).get("issue", [])
    texts = []
    for issue in issues:
        text = str(issue.get("diagnostics") or issue.get("details", {}).get("text") or issue.get("code"))
        expression = issue.get("expression")
        texts.append(f"{text} ({', '.join(expression)})" if expression else text)
    return "; ".join(texts)
