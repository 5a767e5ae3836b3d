"""Network exports for other tools: GraphML and GEXF (Gephi, yEd, Cytoscape) and a CSV edge list.

List attributes become '; '-joined text and missing values empty text, as those formats need.
graph.safe_output makes them safe: CSV cells a spreadsheet could run are neutralised, and
characters XML 1.0 forbids become U+FFFD in GraphML and GEXF (with a comment saying so).

GraphML and GEXF are written here as text, not by networkx's writers: those build an ElementTree of
every node, edge and value (about a million elements at 15,000 organisations) and took most of an
export's time. The text written is byte for byte what ``nx.write_graphml_xml`` (``nx.write_graphml``
without lxml; with lxml installed it writes otherwise, so the file no longer depends on it) and
``nx.write_gexf`` write for the same graph, with the same keys, types, order, indentation and escapes
(``tests/test_network_files.py`` compares them); a graph this writer does not cover (graph
attributes, GEXF's special keys such as ``start`` or ``viz``, a list or other value type) is handed
to networkx's writer.
"""
from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import networkx as nx
from networkx.readwrite.gexf import GEXF
from networkx.readwrite.graphml import GraphML

from graph.rdf.files import write_atomic
from graph.network.measures import MeasureReport
from graph.safe_output import csv_row, xml_safe

EDGE_COLUMNS = ("source", "target", "source_label", "target_label", "weight", "alliances", "types", "materials", "pathways", "dates", "sources")
DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"  # as ElementTree writes it
GEXF_VERSION = "1.2draft"  # networkx's default
#: Keys GEXF's writer gives a meaning of their own (attributes of the element, children, dynamics).
GEXF_NODE_KEYS = frozenset({"pid", "start", "end", "parents", "spells", "slices", "viz", "key"})
GEXF_EDGE_KEYS = frozenset({"id", "label", "type", "start", "end", "spells", "slices", "viz", "key"})


class Unsupported(Exception):
    """The graph has something the text writers do not cover: networkx's writer writes it."""


Nodes = list[tuple[str, dict[str, object]]]
Edges = list[tuple[str, str, dict[str, object]]]
MEASURED = ("iri", "label", "id")  # a report row's keys that are not measures


def _flat(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, set)):
        return "; ".join(map(str, value))
    return value


def _flat_node(data: dict[str, object], row: dict[str, object] | None) -> dict[str, object]:
    attributes = {k: _flat(v) for k, v in data.items()}
    if row:
        attributes.update({k: _flat(v) for k, v in row.items() if k not in MEASURED})
    return attributes


def flat_graph(graph: nx.Graph[str], report: MeasureReport) -> nx.Graph[str]:
    """A copy with scalar attributes only, and the measures on the nodes."""
    rows = {row["iri"]: row for row in report.rows}
    flat: nx.Graph[str] = nx.Graph()
    for node, data in sorted(graph.nodes.items()):
        flat.add_node(node, **_flat_node(data, rows.get(node)))
    for a, b, data in sorted(graph.edges(data=True)):
        flat.add_edge(a, b, **{k: _flat(v) for k, v in data.items()})
    return flat


def flat_items(graph: nx.Graph[str], report: MeasureReport) -> tuple[Nodes, Edges]:
    """``flat_graph``'s nodes and edges, with their data, in the order networkx iterates them (each
    edge from the end met first, the neighbours of a node in the order their edges were added),
    without building the graph: at 15,000 organisations the copy cost more than writing the file."""
    rows = {row["iri"]: row for row in report.rows}
    nodes = [(node, _flat_node(data, rows.get(node))) for node, data in sorted(graph.nodes.items())]
    adjacency: dict[str, dict[str, dict[str, object]]] = {node: {} for node, _ in nodes}
    for a, b, data in sorted(graph.edges(data=True)):
        adjacency[a][b] = adjacency[b][a] = {k: _flat(v) for k, v in data.items()}
    edges: Edges = []
    seen: set[str] = set()
    for node, neighbours in adjacency.items():
        edges.extend((node, other, data) for other, data in neighbours.items() if other not in seen)
        seen.add(node)
    return nodes, edges


def write_network_file(graph: nx.Graph[str], report: MeasureReport | None, path: Path, fmt: str) -> None:
    """``report``: the measures written on the nodes of GraphML and GEXF (CSV has none, so it may be None)."""
    if fmt in ("graphml", "gexf"):
        if report is None:
            raise ValueError(f"{fmt} writes the measures of the nodes: pass their report")
        nodes, edges = flat_items(graph, report)
        try:
            document = _graphml(nodes, edges) if fmt == "graphml" else _gexf(nodes, edges)
        except Unsupported:
            document = _networkx_bytes(nx.write_graphml_xml if fmt == "graphml" else nx.write_gexf, flat_graph(graph, report))
        write_atomic(path, xml_safe(document))
    elif fmt == "csv":
        write_atomic(path, edge_list_csv(graph).encode("utf-8"))
    else:
        raise ValueError(fmt)


def edge_list_csv(graph: nx.Graph[str]) -> str:
    """One row per edge, by source then target, each pair in the order of its ends (the rows of the
    flattened graph, which is built from sorted nodes)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EDGE_COLUMNS)
    nodes = graph.nodes
    for a, b, data in sorted(((a, b, d) if a <= b else (b, a, d) for a, b, d in graph.edges(data=True)),
                             key=lambda edge: (edge[0], edge[1])):
        writer.writerow(csv_row([a, b, _flat(nodes[a].get("label", a)), _flat(nodes[b].get("label", b))]
                                + [_flat(data.get(column, "")) for column in EDGE_COLUMNS[4:]]))
    return out.getvalue()


# ------------------------------------------------------------------ XML as networkx writes it

def _cdata(text: str) -> str:
    """ElementTree's escape of element text (&, <, >)."""
    return escape(text)


ATTRIBUTE_ENTITIES = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}


def _attribute(text: str) -> str:
    """ElementTree's escape of an attribute's value (Python 3.11 to 3.13)."""
    return escape(text, ATTRIBUTE_ENTITIES)


def _encoded(parts: list[str]) -> bytes:
    return "".join(parts).encode("utf-8", "xmlcharrefreplace")  # ElementTree's errors= for its file


def _networkx_bytes(write: Callable[[nx.Graph[str], io.BytesIO], None], graph: nx.Graph[str]) -> bytes:
    document = io.BytesIO()
    write(graph, document)
    return document.getvalue()


def graphml_bytes(graph: nx.Graph[str]) -> bytes:
    """``nx.write_graphml_xml(graph)``'s bytes (networkx's ElementTree writer, pretty-printed)."""
    return _as_text_or_by_networkx(graph, _graphml, nx.write_graphml_xml)


def _as_text_or_by_networkx(graph: nx.Graph[str], as_text: Callable[[Nodes, Edges], bytes],
                            networkx_writer: Callable[[nx.Graph[str], io.BytesIO], None]) -> bytes:
    """Written as text where this module covers the graph, else by networkx's own writer."""
    try:
        if graph.graph or graph.is_directed() or graph.is_multigraph():
            raise Unsupported
        return as_text(list(graph.nodes.items()), list(graph.edges(data=True)))
    except Unsupported:
        return _networkx_bytes(networkx_writer, graph)


def _graphml(nodes: Nodes, edges: Edges) -> bytes:
    """An undirected graph without graph attributes, as networkx's writer writes it."""
    types = GraphML()
    types.construct_types()
    xml_type = types.xml_type
    keys: dict[tuple[str, str, str], str] = {}
    key_lines: list[str] = []

    def data(scope: str, attributes: dict[str, object], out: list[str]) -> None:
        for name, value in attributes.items():
            kind = xml_type.get(type(value))
            if kind is None:
                raise Unsupported
            name = str(name)
            key = keys.get((name, kind, scope))
            if key is None:
                key = keys[(name, kind, scope)] = f"d{len(keys)}"
                key_lines.append(f'  <key id="{key}" for="{scope}" attr.name="{_attribute(name)}" attr.type="{kind}" />\n')
            text = str(value)
            out.append(f'      <data key="{key}">{_cdata(text)}</data>\n' if text else f'      <data key="{key}" />\n')

    body: list[str] = []
    for node, attributes in nodes:
        if attributes:
            body.append(f'    <node id="{_attribute(str(node))}">\n')
            data("node", attributes, body)
            body.append("    </node>\n")
        else:
            body.append(f'    <node id="{_attribute(str(node))}" />\n')
    for a, b, attributes in edges:
        ends = f'source="{_attribute(str(a))}" target="{_attribute(str(b))}"'
        if attributes:
            body.append(f"    <edge {ends}>\n")
            data("edge", attributes, body)
            body.append("    </edge>\n")
        else:
            body.append(f"    <edge {ends} />\n")
    head = (DECLARATION + f'<graphml xmlns="{types.NS_GRAPHML}" xmlns:xsi="{types.NS_XSI}" '
            f'xsi:schemaLocation="{types.SCHEMALOCATION}">\n')
    graph_element = (['  <graph edgedefault="undirected">\n', *body, "  </graph>\n"] if body
                     else ['  <graph edgedefault="undirected" />\n'])
    return _encoded([head, *reversed(key_lines), *graph_element, "</graphml>\n"])


def gexf_bytes(graph: nx.Graph[str]) -> bytes:
    """``nx.write_gexf(graph)``'s bytes (GEXF 1.2draft, pretty-printed, dated today)."""
    return _as_text_or_by_networkx(graph, _gexf, nx.write_gexf)


def _gexf(nodes: Nodes, edges: Edges) -> bytes:
    """An undirected, static graph without graph attributes, as networkx's writer writes it."""
    gexf = GEXF()
    gexf.construct_types()
    gexf.set_version(GEXF_VERSION)
    xml_type = gexf.xml_type
    declared: dict[str, dict[str, str]] = {"node": {}, "edge": {}}
    declarations: dict[str, list[str]] = {"node": [], "edge": []}

    def attvalues(scope: str, attributes: dict[str, object], out: list[str]) -> None:
        if not attributes:
            return
        out.append("        <attvalues>\n")
        for name, value in attributes.items():
            kind = xml_type.get(type(value))
            if kind is None or isinstance(value, (list, dict)):
                raise Unsupported
            title = str(name)
            ident = declared[scope].get(title)
            if ident is None:
                ident = declared[scope][title] = str(len(declared["node"]) + len(declared["edge"]))
                declarations[scope].append(f'      <attribute id="{ident}" title="{_attribute(title)}" type="{kind}" />\n')
            if isinstance(value, bool):
                text = str(value).lower()
            else:
                text = str(value)
                if type(value) is float:
                    text = {"inf": "INF", "nan": "NaN", "-inf": "-INF"}.get(text, text)
            out.append(f'          <attvalue for="{ident}" value="{_attribute(text)}" />\n')
        out.append("        </attvalues>\n")

    node_lines: list[str] = []
    ids: dict[str, str] = {}
    for node, data in nodes:
        if GEXF_NODE_KEYS & data.keys():
            raise Unsupported
        rest = {k: v for k, v in data.items() if k not in ("id", "label")}
        ids[node] = ident = _attribute(str(data.get("id", node)))
        opening = f'<node id="{ident}" label="{_attribute(str(data.get("label", node)))}"'
        if rest:
            node_lines.append(f"      {opening}>\n")
            attvalues("node", rest, node_lines)
            node_lines.append("      </node>\n")
        else:
            node_lines.append(f"      {opening} />\n")
    edge_lines: list[str] = []
    for number, (a, b, data) in enumerate(edges):
        if GEXF_EDGE_KEYS & data.keys():
            raise Unsupported
        rest = {k: v for k, v in data.items() if k != "weight"}
        opening = (f'<edge source="{ids[a]}" target="{ids[b]}" id="{number}"'
                   + (f' weight="{_attribute(str(data["weight"]))}"' if "weight" in data else ""))
        if rest:
            edge_lines.append(f"      {opening}>\n")
            attvalues("edge", rest, edge_lines)
            edge_lines.append("      </edge>\n")
        else:
            edge_lines.append(f"      {opening} />\n")
    parts = [DECLARATION,
             f'<gexf xmlns="{gexf.NS_GEXF}" xmlns:xsi="{gexf.NS_XSI}" xsi:schemaLocation="{gexf.SCHEMALOCATION}" '
             f'version="{gexf.VERSION}">\n',
             f'  <meta lastmodifieddate="{time.strftime("%Y-%m-%d")}">\n',
             f"    <creator>{_cdata(f'NetworkX {nx.__version__}')}</creator>\n",
             "  </meta>\n",
             '  <graph defaultedgetype="undirected" mode="static" name="">\n']
    for scope in ("edge", "node"):  # networkx inserts each class's declarations first: the edges' end up on top
        if declarations[scope]:
            parts += [f'    <attributes mode="static" class="{scope}">\n', *declarations[scope], "    </attributes>\n"]
    parts += (["    <nodes>\n", *node_lines, "    </nodes>\n"] if node_lines else ["    <nodes />\n"])
    parts += (["    <edges>\n", *edge_lines, "    </edges>\n"] if edge_lines else ["    <edges />\n"])
    parts += ["  </graph>\n", "</gexf>\n"]
    return _encoded(parts)
