"""In-process micro-benchmark of search-index extraction (``index_rows``) on Synthea-like data.

Generates the resources of ``bench/synthea_like.py``, then times ``index_rows`` over each resource
type in CPU time of this process (best of ``--repeat`` passes, after one warm-up pass that compiles
the per-type plans and fills the caches) and prints microseconds per resource for each type and
overall (weighted by the resource mix). CPU time, so other work on the machine disturbs it less.

Usage: python -m bench.index_extraction [--patients N] [--seed S] [--repeat R] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fhir_server.storage.indexing import index_rows
from fhir_server.storage.params.common import ExtractContext

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthea_like

CONTEXT = ExtractContext(ZoneInfo("America/Guayaquil"), "http://127.0.0.1:8080/fhir")


def _by_type(patients: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for type_name, _, resource in synthea_like.generate(patients=patients, seed=seed):
        grouped.setdefault(type_name, []).append(resource)
    return grouped


def _pass(resources: list[dict[str, Any]]) -> float:
    started = time.process_time()
    for resource in resources:
        index_rows(resource, CONTEXT)
    return time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile one pass over everything instead")
    args = parser.parse_args()
    grouped = _by_type(args.patients, args.seed)
    everything = [r for resources in grouped.values() for r in resources]
    _pass(everything)  # warm-up: compiles plans and fills caches a long-running server would have
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(_pass, everything)
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        return 0
    total_seconds = 0.0
    print(f"{'type':<14}{'resources':>10}{'us/resource':>14}")
    for type_name, resources in sorted(grouped.items()):
        best = min(_pass(resources) for _ in range(args.repeat))
        total_seconds += best
        print(f"{type_name:<14}{len(resources):>10}{best / len(resources) * 1e6:>14.1f}")
    print(f"{'overall':<14}{len(everything):>10}{total_seconds / len(everything) * 1e6:>14.1f}")
    print(f"resources/s (extraction only): {len(everything) / total_seconds:,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
