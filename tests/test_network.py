"""Projections, filters, roll-up, measures, paths and timeline on small hand-built landscapes
whose answers are known: a star, a path, and two cliques joined by a broker."""
from __future__ import annotations

import math
from itertools import combinations

import networkx as nx
import pytest

from graph.network.filters import NetworkFilter
from graph.network.landscape import Alliance, Landscape, Organisation, Source
from graph.network.measures import measure, ranked
from graph.network.paths import explain_paths
from graph.network.projections import bipartite_network, organisation_network, topic_layer
from graph.network.timeline import timeline

STEEL = {"material/green-steel", "material/steel"}
ALU = {"material/recycled-aluminium", "material/low-carbon-aluminium", "material/aluminium"}


def org(ident: str, sector: str = "sector/steel", country: str = "CN", kind: str = "organisation",
        parents: list[tuple[str, str, str]] | None = None) -> Organisation:
    return Organisation(ident, ident, kind, {"en": [ident.upper()]}, sector, country, parents or [], label=ident.upper())


def alliance(ident: str, parties: list[str], year: int | None = 2024, materials: set[str] | None = None,
             cls: str = "Agreement") -> Alliance:
    keys = materials if materials is not None else STEEL
    return Alliance(ident, ident, cls, {"en": ident}, "alliance-type/memorandum-of-understanding", {f"{year}-01-01"} if year else set(),
                    parties=[(p, "party") for p in parties], materials={k for k in keys if k.count("-") > 0 or len(keys) == 1},
                    material_keys=set(keys), type_keys={"alliance-type/memorandum-of-understanding", "alliance-type/agreement"},
                    sources=[f"src-{ident}"], year=year, year_basis="signing date" if year else "no date known")


def landscape(orgs: list[Organisation], alliances: list[Alliance]) -> Landscape:
    return Landscape({a.iri: a for a in alliances}, {o.iri: o for o in orgs},
                     {"material/steel": "steel", "material/green-steel": "green steel", "role/party": "party"},
                     {f"src-{a.id}": Source(f"src-{a.id}", f"Source {a.id}", "Example", None, "2025-01-01") for a in alliances})


@pytest.fixture
def star() -> Landscape:
    leaves = [f"l{i}" for i in range(4)]
    return landscape([org("hub")] + [org(leaf) for leaf in leaves], [alliance(f"a{i}", ["hub", leaf]) for i, leaf in enumerate(leaves)])


@pytest.fixture
def path() -> Landscape:
    nodes = ["a", "b", "c", "d"]
    return landscape([org(n) for n in nodes], [alliance(f"{x}{y}", [x, y]) for x, y in zip(nodes, nodes[1:])])


@pytest.fixture
def broker() -> Landscape:
    left, right = ["a1", "a2", "a3"], ["b1", "b2", "b3"]
    deals = [alliance(f"{x}-{y}", [x, y]) for clique in (left, right) for x, y in combinations(clique, 2)]
    deals += [alliance("x-a1", ["x", "a1"]), alliance("x-b1", ["x", "b1"])]
    return landscape([org(n) for n in left + right + ["x"]], deals)


def by_id(landscape_graph: nx.Graph[str]) -> dict[str, dict[str, object]]:
    return {row["id"]: row for row in measure(landscape_graph).rows}


def test_star_measures(star: Landscape) -> None:
    graph = organisation_network(star)
    assert graph.number_of_nodes() == 5 and graph.number_of_edges() == 4
    rows = by_id(graph)
    assert rows["hub"]["degree"] == 4 and rows["hub"]["betweenness"] == 1.0
    assert rows["l0"]["betweenness"] == 0.0
    assert rows["hub"]["constraint"] == pytest.approx(0.25)  # four independent contacts of 1/4 each
    assert rows["hub"]["effective-size"] == pytest.approx(4.0)
    assert ranked(measure(graph), "pagerank")[0]["id"] == "hub"
    assert {row["component"] for row in rows.values()} == {1}


def test_path_betweenness_and_components(path: Landscape) -> None:
    rows = by_id(organisation_network(path))
    assert rows["b"]["betweenness"] == pytest.approx(2 / 3) and rows["c"]["betweenness"] == pytest.approx(2 / 3)
    assert rows["a"]["betweenness"] == 0.0


def test_two_cliques_and_a_broker(broker: Landscape) -> None:
    graph = organisation_network(broker)
    report = measure(graph)
    rows = {row["id"]: row for row in report.rows}
    assert ranked(report, "betweenness")[0]["id"] == "x"
    assert ranked(report, "constraint")[0]["id"] == "x"  # the broker spans the structural hole
    left = {rows[n]["community"] for n in ("a1", "a2", "a3")}
    right = {rows[n]["community"] for n in ("b1", "b2", "b3")}
    assert len(left) == 1 and len(right) == 1 and left != right
    assert measure(graph).rows == report.rows  # seeded: the same data gives the same communities


def test_edges_keep_their_alliances(star: Landscape) -> None:
    edge = organisation_network(star).edges["hub", "l1"]
    assert edge["weight"] == 1 and edge["alliances"] == ["a1"] and edge["sources"] == ["src-a1"]
    assert edge["materials"] == ["material/green-steel"] and edge["dates"] == ["2024-01-01"]


def test_weight_counts_shared_alliances() -> None:
    ls = landscape([org("p"), org("q")], [alliance("one", ["p", "q"]), alliance("two", ["p", "q"])])
    assert organisation_network(ls).edges["p", "q"]["weight"] == 2


def test_group_roll_up_folds_subsidiaries_and_joint_ventures() -> None:
    orgs = [org("group"), org("c1", parents=[("group", "part of", "s")]), org("c2", parents=[("group", "part of", "s")]),
            org("d"), org("p1"), org("p2"), org("jv", parents=[("p1", "joint venture of", "s"), ("p2", "joint venture of", "s")])]
    deals = [alliance("c1-d", ["c1", "d"]), alliance("c2-d", ["c2", "d"]), alliance("jv-d", ["jv", "d"])]
    graph = organisation_network(landscape(orgs, deals), level="group")
    assert graph.edges["group", "d"]["weight"] == 2
    assert {"p1", "p2"} <= set(graph.neighbors("d")) and graph.has_edge("p1", "p2")
    assert "c1" not in graph and "jv" not in graph


def test_filters_material_with_narrower_year_sector_and_focus(broker: Landscape) -> None:
    ls = landscape([org("s1"), org("s2"), org("al", sector="sector/aluminium"), org("u")],
                   [alliance("steel", ["s1", "s2"], 2022), alliance("alu", ["s1", "al"], 2024, ALU), alliance("undated", ["s2", "u"], None)])
    assert set(organisation_network(ls, NetworkFilter(material="material/steel")).edges) == {("s1", "s2"), ("s2", "u")}
    assert set(organisation_network(ls, NetworkFilter(material="material/aluminium")).edges) == {("al", "s1")}
    assert len(organisation_network(ls, NetworkFilter(year_from=2023)).edges) == 1  # undated drops out of a range
    assert len(organisation_network(ls, NetworkFilter()).edges) == 3
    assert "al" not in organisation_network(ls, NetworkFilter(sector="sector/steel"))
    around = organisation_network(broker, NetworkFilter(focus="x", depth=1))
    assert set(around) == {"x", "a1", "b1"}
    assert len(organisation_network(broker, NetworkFilter(focus="x", depth=2))) == 7


def test_bipartite_and_topic_layers(star: Landscape) -> None:
    bipartite = bipartite_network(star)
    assert sum(1 for _, d in bipartite.nodes(data=True) if d["bipartite"] == 1) == 4
    assert bipartite.degree("hub") == 4
    layer = topic_layer(star, "material")
    assert layer.edges["hub", "material/green-steel"]["weight"] == 4


def test_paths_explain_alliances_and_group_links() -> None:
    orgs = [org("a"), org("b", parents=[("g", "part of", "src-b")]), org("g"), org("c")]
    deals = [alliance("a-b", ["a", "b"]), alliance("g-c", ["g", "c"])]
    paths = explain_paths(landscape(orgs, deals), "a", "c")
    assert len(paths) == 1
    hops = paths[0]
    assert [(h.source, h.target) for h in hops] == [("A", "B"), ("B", "G"), ("G", "C")]
    assert hops[0].links[0].kind == "alliance" and hops[0].links[0].sources == ["src-a-b"]
    assert hops[1].links[0].kind == "part of" and hops[1].links[0].sources == ["src-b"]
    assert explain_paths(landscape(orgs + [org("lonely")], deals), "a", "lonely") == []


def test_timeline_counts_by_year(path: Landscape) -> None:
    rows = timeline(path, "material")
    assert rows == [{"year": 2024, "material": "green steel", "count": 3, "alliances": ["ab", "bc", "cd"]}]


def test_empty_network_is_reported_not_crashed() -> None:
    report = measure(nx.Graph())
    assert report.rows == [] and "empty" in report.notes[0]


def test_isolated_node_has_no_burt_measures() -> None:
    graph: nx.Graph[str] = nx.Graph()
    graph.add_node("alone", label="alone")
    graph.add_edge("p", "q", weight=1)
    row = next(r for r in measure(graph).rows if r["iri"] == "alone")
    assert row["constraint"] is None and row["effective-size"] is None
    assert not any(isinstance(v, float) and math.isnan(v) for r in measure(graph).rows for v in r.values())


def test_status_filter_keeps_only_alliances_whose_current_status_matches() -> None:
    binding = alliance("binding-deal", ["a", "b"])
    binding.status, binding.status_keys = "status/binding", {"status/binding"}
    delivering = alliance("delivering-deal", ["a", "d"])  # narrower than binding in the statuses scheme
    delivering.status, delivering.status_keys = "status/delivering", {"status/delivering", "status/binding"}
    memorandum = alliance("memorandum", ["a", "c"])
    memorandum.status, memorandum.status_keys = "status/non-binding", {"status/non-binding"}
    unknown = alliance("no-status", ["b", "c"])
    deals = (binding, delivering, memorandum, unknown)
    only_binding = NetworkFilter(status="status/binding")
    assert [a.id for a in deals if only_binding.keeps_alliance(a)] == ["binding-deal", "delivering-deal"]
    assert [a.id for a in deals if NetworkFilter(status="status/delivering").keeps_alliance(a)] == ["delivering-deal"]
    assert all(NetworkFilter().keeps_alliance(a) for a in deals)
