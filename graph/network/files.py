"""Network exports for other tools: GraphML and GEXF (Gephi, yEd, Cytoscape) and a CSV edge list.

List attributes become '; '-joined text and missing values empty text, as those formats need.
graph.safe_output makes them safe: CSV cells a spreadsheet could run are neutralised, and
characters XML 1.0 forbids become U+FFFD in GraphML and GEXF (with a comment saying so).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import networkx as nx

from graph.rdf.files import write_atomic
from graph.network.measures import MeasureReport
from graph.safe_output import csv_row, xml_safe

EDGE_COLUMNS = ("source", "target", "source_label", "target_label", "weight", "alliances", "types", "materials", "pathways", "dates", "sources")


def _flat(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, set)):
        return "; ".join(str(v) for v in value)
    return value


def flat_graph(graph: nx.Graph[str], report: MeasureReport) -> nx.Graph[str]:
    """A copy with scalar attributes only, and the measures on the nodes."""
    rows = {row["iri"]: row for row in report.rows}
    flat: nx.Graph[str] = nx.Graph()
    for node, data in sorted(graph.nodes.items()):
        attributes = {k: _flat(v) for k, v in data.items()}
        attributes.update({k: _flat(v) for k, v in rows.get(node, {}).items() if k not in ("iri", "label", "id")})
        flat.add_node(node, **attributes)
    for a, b, data in sorted(graph.edges(data=True)):
        flat.add_edge(a, b, **{k: _flat(v) for k, v in data.items()})
    return flat


def write_network_file(graph: nx.Graph[str], report: MeasureReport, path: Path, fmt: str) -> None:
    flat = flat_graph(graph, report)
    if fmt in ("graphml", "gexf"):
        document = io.BytesIO()
        (nx.write_graphml if fmt == "graphml" else nx.write_gexf)(flat, document)
        write_atomic(path, xml_safe(document.getvalue()))
    elif fmt == "csv":
        write_atomic(path, edge_list_csv(flat).encode("utf-8"))
    else:
        raise ValueError(fmt)


def edge_list_csv(graph: nx.Graph[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EDGE_COLUMNS)
    for a, b, data in sorted(graph.edges(data=True)):
        writer.writerow(csv_row([a, b, graph.nodes[a].get("label", a), graph.nodes[b].get("label", b)]
                                + [_flat(data.get(column, "")) for column in EDGE_COLUMNS[4:]]))
    return out.getvalue()
