"""Checks of the built graph, in layers: integrity across files, then SHACL shapes.

The first layer, each file on its own, runs while reading (graph.records.read).
"""
from __future__ import annotations

from collections.abc import Callable
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
    problems = integrity_problems(store, settings, taxonomy, compiled, locations, scope, early)
    if report is not None:
        report(problems)
    if not any(p.rule == "reference-resolves" for p in problems):  # a missing id would only repeat as shape noise
        problems += shacl_problems(store, settings, locations, scope)
    return sorted(set(problems))
