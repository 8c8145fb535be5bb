"""The import report: counts per legacy table and per FHIR type that reconcile, and every finding with its row."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from fhir_server.i18n import translate
from fhir_server.mappings.legacy.records import Finding


@dataclass
class TableCount:
    read: int = 0
    imported: int = 0
    skipped: int = 0


@dataclass
class TypeCount:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    """What one run read, wrote and found. ``read == imported + skipped`` for every table."""

    source: str
    dry_run: bool = False
    tables: dict[str, TableCount] = field(default_factory=dict)
    types: dict[str, TypeCount] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    accounts_created: int = 0
    accounts_existing: int = 0
    seconds: float = 0.0

    def table(self, name: str) -> TableCount:
        return self.tables.setdefault(name, TableCount())

    def type(self, name: str) -> TypeCount:
        return self.types.setdefault(name, TypeCount())

    @property
    def rows_read(self) -> int:
        return sum(t.read for t in self.tables.values())

    def reconciles(self) -> bool:
        return all(t.read == t.imported + t.skipped for t in self.tables.values())

    def totals(self) -> dict[str, Any]:
        read = self.rows_read
        return {
            "read": read,
            "imported": sum(t.imported for t in self.tables.values()),
            "skipped": sum(t.skipped for t in self.tables.values()),
            "seconds": round(self.seconds, 1),
            "rate": int(read / self.seconds) if self.seconds > 0 else 0,
        }

    def as_json(self, language: str = "es") -> dict[str, Any]:
        """The report as JSON (findings worded in ``language``)."""
        return {
            "source": self.source,
            "dryRun": self.dry_run,
            "language": language,
            "totals": self.totals(),
            "tables": {name: vars(count) for name, count in self.tables.items()},
            "types": {name: vars(count) for name, count in sorted(self.types.items())},
            "accounts": {"created": self.accounts_created, "existing": self.accounts_existing},
            "findings": [
                {
                    "code": f.code,
                    "table": f.table,
                    "row": f.row,
                    "outcome": f.outcome,
                    "message": f.message_en if language == "en" else f.message_es,
                }
                for f in self.findings
            ],
        }

    def text(self, language: str = "es") -> str:
        """The report an administrator reads."""

        def t(message_id: str, **params: Any) -> str:
            return translate(f"legacy-report-{message_id}", language, params)

        lines = [t("title", source=self.source)]
        if self.dry_run:
            lines.append(t("dry-run"))
        lines += ["", t("tables")]
        for name, count in self.tables.items():
            lines.append(f"  {name:<22} {count.read:>9} {count.imported:>9} {count.skipped:>9}")
        lines += ["", t("types")]
        for name, tcount in sorted(self.types.items()):
            lines.append(f"  {name:<22} {tcount.created:>9} {tcount.updated:>9} {tcount.unchanged:>9}")
        lines += ["", t("accounts", created=self.accounts_created, existing=self.accounts_existing)]
        # A kind of finding can repeat on every row of a table: the summary first, then every row.
        by_code = Counter((f.code, f.outcome) for f in self.findings)
        if by_code:
            lines += ["", t("by-code")]
            for (code, kind_outcome), times in sorted(by_code.items()):
                lines.append(f"  {code:<34} {t('kept' if kind_outcome == 'kept' else 'skipped'):<10} {times:>9}")
        lines += ["", t("findings", count=len(self.findings))]
        for f in self.findings:
            outcome = t("kept" if f.outcome == "kept" else "skipped")
            message = f.message_en if language == "en" else f.message_es
            lines.append(f"  [{f.table} {f.row}] {f.code} ({outcome}): {message}")
        lines += ["", t("total", **self.totals())]
        return "\n".join(lines)
