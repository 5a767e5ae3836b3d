"""A cold build bulk-loads each derivation's triples while the other derivations of its stage still
run (graph.build.derive): that is only sound if no derivation reads what another of its stage
makes. These tests hold every stage to that, from the text of what each derivation reads, and
compare the streamed load with a load after the stage."""
from __future__ import annotations

import contextlib
import inspect
import re
import tempfile
from collections.abc import Iterator
from typing import IO

import pyoxigraph as ox
import pytest

from graph.build import whole
from graph.build.derive import DERIVATIONS, LATER_STAGES, Derivation, derive, stages
from graph.build.pipeline import compile_all
from graph.build.reach import Step, expand
from graph.config import Settings
from graph.rdf.store import OxigraphStore

from conftest import seed_corpus

NAME = re.compile(r"<[^>\s]+>|\b[a-z]+:[A-Za-z_][\w-]*")


def _query_text(derivation: Derivation) -> str | None:
    for folder in ("", *LATER_STAGES):
        path = DERIVATIONS / folder / f"{derivation.name}.rq"
        if path.exists():
            return "\n".join(line.split("#", 1)[0] if not line.lstrip().startswith("#") else ""
                             for line in path.read_text(encoding="utf-8").splitlines())
    return None


def _whole_route_text(name: str) -> str:
    """A faster route's code and the module's queries it names (graph.build.whole)."""
    route = whole.WHOLE[name]
    names = set(route.__code__.co_names)
    texts = [inspect.getsource(route)]
    for helper in names:
        value = getattr(whole, helper, None)
        if isinstance(value, str):
            texts.append(value)
        elif callable(value) and getattr(value, "__module__", "") == whole.__name__:
            texts.append(inspect.getsource(value))
            texts += [getattr(whole, inner) for inner in value.__code__.co_names if isinstance(getattr(whole, inner, None), str)]
    return "\n".join(texts)


def _reads(derivation: Derivation) -> set[str]:
    """The full IRIs of the predicates a derivation may read: named in its query (and in its
    faster route), or, for one made in Python, its declared paths."""
    text = _query_text(derivation)
    names: set[str] = set()
    if text is not None:
        names |= {expand(token) for token in NAME.findall(text[text.index("WHERE"):])}
        if derivation.name in whole.WHOLE:
            names |= {expand(token) for token in NAME.findall(_whole_route_text(derivation.name))}
    for path in derivation.reads:
        for step in path:
            names |= step.predicates
    return names


def _clashes(stage: list[Derivation]) -> list[str]:
    """Each derivation of ``stage`` that reads what another of it makes."""
    found = []
    for derivation in stage:
        reads = _reads(derivation)
        assert reads, f"nothing found that {derivation.name} reads"
        found += [f"{derivation.name} reads {sorted(reads & other.makes)}, which {other.name} makes"
                  for other in stage if other is not derivation and reads & other.makes]
    return found


def test_no_derivation_reads_what_another_of_its_stage_makes() -> None:
    all_stages = stages()
    assert sum(len(stage) for stage in all_stages) > 15
    for number, stage in enumerate(all_stages):
        assert _clashes(stage) == [], f"stage {number}: move the reader to a later stage (graph.build.derive.LATER_STAGES)"


def test_the_check_sees_a_derivation_that_reads_its_stage() -> None:
    """The check above can fail: a derivation of the first stage that reads the display labels."""
    first = stages()[0]
    display = next(d for d in first if d.name == "display values")
    label = next(iri for iri in display.makes if iri.endswith("displayLabel"))
    reader = Derivation("reads-labels", ((Step("al:displayLabel", frozenset({label}), False, False),),), frozenset(), display.make)
    assert _clashes([*first, reader]) == [f"reads-labels reads ['{label}'], which display values makes"]


@contextlib.contextmanager
def _loaded_after(self: OxigraphStore, format: ox.RdfFormat, graph: str | None = None) -> Iterator[IO[bytes]]:
    """What loading did before it streamed: a file, loaded once the block has ended."""
    with tempfile.TemporaryFile() as written:
        yield written
        written.seek(0)
        self.load(written, format, graph)


def _derived_quads(sources: list[ox.Quad]) -> list[str]:
    settings = Settings()
    store = OxigraphStore.in_memory()
    store.load(ox.serialize(sources, format=ox.RdfFormat.N_QUADS) or b"", ox.RdfFormat.N_QUADS)
    derive(store, settings, workers=2)
    return sorted(str(quad) for quad in store.quads(settings.graph_iri("derived")))


def test_the_streamed_derived_graph_is_the_one_loaded_after_each_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    store = OxigraphStore.in_memory()
    compile_all(store, settings, seed_corpus())
    derived = ox.NamedNode(settings.graph_iri("derived"))
    sources = [quad for quad in store.quads() if quad.graph_name != derived]
    streamed = _derived_quads(sources)
    monkeypatch.setattr(OxigraphStore, "loading", _loaded_after)
    after = _derived_quads(sources)
    assert len(streamed) > 500
    assert streamed == after
