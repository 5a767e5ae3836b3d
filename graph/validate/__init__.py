"""Checks of the built graph, in layers: integrity across files, then SHACL shapes.

The first layer, each file on its own, runs while reading (graph.records.read).
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from graph.config import Settings
from graph.problems import Problem
from graph.rdf.store import OxigraphStore
from graph.records.taxonomy import Taxonomy
from graph.validate.integrity import Scope, integrity_problems
from graph.validate.locations import Locations
from graph.validate.shacl import shacl_problems

if TYPE_CHECKING:
    from graph.build.pipeline import Compiled


def check_graph(store: OxigraphStore, settings: Settings, taxonomy: Taxonomy, compiled: Compiled,
                report: Callable[[list[Problem]], None] | None = None, scope: Scope | None = None,
                early: list[Problem] | None = None) -> list[Problem]:
    """Integrity, then shapes; ``report`` gets the integrity problems before the shapes run, so
    that a build that will fail says so early. With ``scope`` (an incremental build's change),
    the checks that can be limited to what the change reaches are (graph.validate.integrity.Scope);
    ``early``: the problems graph.validate.integrity.early_problems found already."""
    locations = Locations.from_declared(settings, compiled.declared)
    # The shapes run beside the integrity checks, on a thread of their own (both mostly wait for the
    # store, which lets go of the GIL), and are dropped if a reference does not resolve.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="shapes") as pool:
        shapes = pool.submit(shacl_problems, store, settings, locations, scope)
        problems = integrity_problems(store, settings, taxonomy, compiled, locations, scope, early)
        if report is not None:
            report(problems)
        if any(p.rule == "reference-resolves" for p in problems):  # a missing id would only repeat as shape noise
            shapes.cancel()
            return sorted(set(problems))
        problems += shapes.result()
    return sorted(set(problems))
