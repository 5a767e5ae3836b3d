"""The reference docs of the command line, generated so that they cannot drift from it: the README's
command reference from the click commands themselves, and the field tables of docs/json-output.md
from the JSON Schemas in docs/schemas/ (which the tests hold real outputs to).

cog (cogapp) runs these functions from the blocks in README.md and docs/json-output.md:
``scripts/docs`` rewrites the blocks, ``scripts/docs --check`` and tests/test_docs.py fail when a
block is stale. Click formats each command's help. The schemas are rendered here because
jsonschema2md, tried first, drops which fields each kind of entity has (the schema's ``allOf`` of
``if``/``then``), escapes Chinese in the examples and lists the schema's helper definitions; and
the tests need the list of documented fields (``schema_fields``) anyway.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from graph.config import PROJECT_ROOT
from graph.extras import EXTRAS

WIDTH = 100  # help text is wrapped at this width, whatever the terminal, so the output is stable
Schema = dict[str, Any]


# ------------------------------------------------------------------ commands

def command_reference(group: click.Group | None = None, name: str = "alliances") -> str:
    """A table of the commands, then each command's full ``--help`` (every option) as click prints it."""
    if group is None:
        from graph.cli import main

        group = main
    settings = {**group.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    root = click.Context(group, info_name=name, **settings)  # -h as well as --help, as the command has
    out = ["| command | what it does | extra it needs |", "|---|---|---|"]
    for command_name, command in group.commands.items():
        out.append(f"| `{name} {command_name}` | {_cell(_first_paragraph(command))} | {_cell(_extra_of(command_name))} |")
    out += ["", _help_block(f"{name} (options of every command)", group.get_help(root))]
    for command_name, command in group.commands.items():
        context = click.Context(command, info_name=command_name, parent=root, terminal_width=WIDTH, max_content_width=WIDTH)
        out.append(_help_block(f"{name} {command_name}", command.get_help(context)))
    return "\n".join(out) + "\n"


def _first_paragraph(command: click.Command) -> str:
    return " ".join((command.help or "").strip().split("\n\n")[0].split())


def _extra_of(command_name: str) -> str:
    needs = [f"`{e.name}`" + (f" ({', '.join(e.formats)} only)" if e.formats else "") for e in EXTRAS if e.command == command_name]
    return ", ".join(needs) or "none"


def _help_block(title: str, text: str) -> str:
    return f"<details><summary><code>{title}</code></summary>\n\n```text\n{text.rstrip()}\n```\n\n</details>\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


# ------------------------------------------------------------------ JSON Schemas

@dataclass(frozen=True)
class Field:
    """One row of a field table: where the field is (``alliances[].partners[].role``), its type and meaning."""

    section: str  # "" for the fields every output has; a kind's section or a named type otherwise
    kinds: frozenset[str] | None  # the values of ``kind`` the section applies to (None: any)
    path: str
    type: str
    description: str


def load_schema(path: str | Path) -> Schema:
    """The schema at ``path`` (relative to the project, e.g. docs/schemas/show.schema.json)."""
    with open(PROJECT_ROOT / path, encoding="utf-8") as handle:
        schema: Schema = json.load(handle)
    return schema


def schema_fields(schema: Schema) -> list[Field]:
    """Every field the schema documents: the root's, each kind section's (``allOf`` of ``if``/``then``),
    then those of each named type (a ``$defs`` entry with a ``title``)."""
    root = schema["items"] if schema.get("type") == "array" else schema
    fields = list(_fields(schema, root, "", "", None))
    for branch in schema.get("allOf", []):
        if "then" in branch:
            section = _definition(schema, branch["then"]["$ref"])
            fields += _fields(schema, section, section["title"], "", _kinds_of(schema, branch["if"]))
    for name, definition in schema.get("$defs", {}).items():
        if "title" in definition and not _is_kind_section(schema, name):
            rows = list(_fields(schema, definition, definition["title"], "", None))
            fields += rows or [Field(definition["title"], None, "", _type(schema, definition), "")]
    return fields


def schema_markdown(path: str | Path) -> str:
    """The schema as Markdown: its description, a table per section, and its examples."""
    schema = load_schema(path)
    out = [schema["description"], ""]
    sections: dict[str, list[Field]] = {}
    for field in schema_fields(schema):
        sections.setdefault(field.section, []).append(field)
    for section, rows in sections.items():
        if section:
            definition = next(d for d in schema["$defs"].values() if d.get("title") == section)
            if [r.path for r in rows] == [""]:  # a named scalar, such as date
                out += [f"**{section}** ({rows[0].type}): {definition.get('description', '')}", ""]
                continue
            out += [f"**{section}**: {definition.get('description', '')}", ""]
        elif schema.get("type") == "array":
            out += ["Each item:", ""]
        out += ["| field | type | meaning |", "|---|---|---|"]
        out += [f"| {_cell(f'`{r.path}`' if r.path else '')} | {_cell(r.type)} | {_cell(r.description)} |" for r in rows]
        out.append("")
    for example in schema.get("examples", []):
        out += ["Example (shortened):", "", "```json", compact_json(example), "```", ""]
    return "\n".join(out)


def compact_json(value: Any, indent: str = "") -> str:
    """JSON with each value that fits on a line (100 characters) kept on one line."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(indent) + len(flat) <= WIDTH or not isinstance(value, (dict, list)) or not value:
        return flat
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {compact_json(v, inner).lstrip()}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    return "[\n" + ",\n".join(inner + compact_json(v, inner).lstrip() for v in value) + f"\n{indent}]"


def _fields(schema: Schema, node: Schema, section: str, prefix: str, kinds: frozenset[str] | None) -> Iterator[Field]:
    inherited = _named(schema, node)  # the named type node extends, whose fields its own table lists
    for name, prop in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        if inherited is not None and name in inherited.get("properties", {}) and "description" not in prop:
            yield Field(section, kinds, path, _type(schema, prop), f"always {_type(schema, prop)}")
            continue
        merged = _inline(schema, prop)
        yield Field(section, kinds, path, _type(schema, prop), merged.get("description", ""))
        target, suffix = merged, ""
        while target.get("type") == "array" and isinstance(target.get("items"), dict):
            target, suffix = _inline(schema, target["items"]), suffix + "[]"
        if _named(schema, target) is None or "properties" in target:
            yield from _fields(schema, target, section, f"{path}{suffix}.", kinds)


def _type(schema: Schema, node: Schema) -> str:
    """A short type: `string`, `integer or null`, `array of entity`, `"a" or "b"`..."""
    named = _named(schema, node)
    if named is not None:
        own = set(node) - {"$ref", "description", "unevaluatedProperties"}
        title = f"`{named['title']}`"
        return f"{title}, with:" if own & {"properties", "required"} else title
    if "$ref" in node:
        return _type(schema, _inline(schema, node))
    if "const" in node:
        return f'`"{node["const"]}"`'
    if "enum" in node:
        return " or ".join(f'`"{v}"`' for v in node["enum"])
    if "anyOf" in node:
        return " or ".join(_type(schema, option) for option in node["anyOf"])
    kinds = node.get("type")
    if isinstance(kinds, list):
        return " or ".join(kinds)
    if kinds == "array":
        return f"array of {_type(schema, node.get('items', {}))}"
    if kinds == "object" and isinstance(node.get("additionalProperties"), dict):
        return f"object of {_type(schema, node['additionalProperties'])}"
    return str(kinds or "object")


def _definition(schema: Schema, ref: str) -> Schema:
    prefix = "#/$defs/"
    if not ref.startswith(prefix):
        raise ValueError(f"{ref}: only references into $defs are supported")
    definition: Schema = schema["$defs"][ref.removeprefix(prefix)]
    return definition


def _named(schema: Schema, node: Schema) -> Schema | None:
    """The titled definition ``node`` refers to (a named type), or None."""
    if "$ref" not in node:
        return None
    definition = _definition(schema, node["$ref"])
    return definition if "title" in definition else _named(schema, definition)


def _inline(schema: Schema, node: Schema) -> Schema:
    """``node`` with an untitled ``$ref`` merged in (its own keywords win)."""
    if "$ref" not in node or _named(schema, node) is not None:
        return node
    merged = {**_inline(schema, _definition(schema, node["$ref"])), **node}
    del merged["$ref"]
    return merged


def _kinds_of(schema: Schema, condition: Schema) -> frozenset[str]:
    """The values of ``kind`` an ``if`` of the form {kind: {const}} or {kind: {not: {enum}}} selects."""
    test = condition["properties"]["kind"]
    if "const" in test:
        return frozenset([test["const"]])
    every = _inline(schema, schema["properties"]["kind"])["enum"]
    return frozenset(every) - frozenset(test["not"]["enum"])


def _is_kind_section(schema: Schema, name: str) -> bool:
    return any(branch.get("then", {}).get("$ref") == f"#/$defs/{name}" for branch in schema.get("allOf", []))
