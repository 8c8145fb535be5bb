"""In-process micro-benchmark of write-time validation on Synthea-like resources.

Prints µs per resource, per resource type, for the structure walker (``structure_issues``, which
also does the fhir.resources model's own checks), the fhir.resources model itself (``pydantic_errors``,
no longer used to validate requests, shown for comparison) and the whole ``validate``. Each round
validates a fresh data set (another seed), as an import would meet it: nothing of a round has been
validated before, except what repeats across patients (codes, practitioners, locations). The best of
``--rounds`` rounds is reported.

Usage: python bench/validation.py [--patients N] [--rounds R]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthea_like import generate

from fhir_server.model.resources import pydantic_errors
from fhir_server.model.structure import structure_issues
from fhir_server.model.validation import validate

Resource = dict[str, Any]


def _data_set(patients: int, seed: int) -> list[Resource]:
    return [resource for _, _, resource in generate(patients, seed)]


def _best_us(step: Callable[[Resource], object], rounds: list[list[Resource]]) -> dict[str, float]:
    """Type -> best-of-rounds mean CPU µs per resource ("all": every type); CPU time resists other load."""
    best: dict[str, float] = {}
    for resources in rounds:
        spent: dict[str, float] = {}
        counts: dict[str, int] = {}
        for resource in resources:
            start = time.process_time()
            step(resource)
            elapsed = time.process_time() - start
            type_name = resource["resourceType"]
            spent[type_name] = spent.get(type_name, 0.0) + elapsed
            counts[type_name] = counts.get(type_name, 0) + 1
        spent["all"], counts["all"] = sum(spent.values()), len(resources)
        for type_name, total in spent.items():
            best[type_name] = min(best.get(type_name, float("inf")), total / counts[type_name] * 1e6)
    return best


def _validate(resource: Resource) -> None:
    validate(resource)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for resource in _data_set(args.patients, 0):  # warm the element tables and pydantic's validators
        validate(resource)
    steps: list[tuple[str, Callable[[Resource], object]]] = [
        ("structure", structure_issues),
        ("pydantic", pydantic_errors),
        ("validate", _validate),
    ]
    figures: list[dict[str, float]] = []
    for index, (_, step) in enumerate(steps):
        # fresh data sets per step and round, so that no step meets what another one validated
        seeds = range(1 + args.rounds * index, 1 + args.rounds * (index + 1))
        figures.append(_best_us(step, [_data_set(args.patients, seed) for seed in seeds]))
    counts: dict[str, int] = {}
    for resource in _data_set(args.patients, 1):
        counts[resource["resourceType"]] = counts.get(resource["resourceType"], 0) + 1
    counts["all"] = sum(counts.values())
    print(f"{'type':<14} {'count':>6} " + " ".join(f"{name + ' µs':>13}" for name, _ in steps))
    for type_name in sorted(counts, key=lambda name: (name == "all", name)):
        row = " ".join(f"{figure[type_name]:>13.1f}" for figure in figures)
        print(f"{type_name:<14} {counts[type_name]:>6} {row}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
