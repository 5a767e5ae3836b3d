"""parse_yaml: the values and lines it builds from libyaml's events, and each refusal with its rule
and line, checked on the parser itself (the fixtures check them again through the whole build)."""
from __future__ import annotations

import pytest

from graph.problems import Problem
from graph.records.characters import FORBIDDEN
from graph.records.read import _character_problems, _raw_character_problems, _texts
from graph.records.yaml_positions import YamlProblem, parse_yaml

NESTED = """\
source:
  title: {en: Example, zh: 例子}
  empty:
  tilde: ~
  word: null
  quoted: 'null'
  tagged: !!null ''
  odd: !!null x
  number: 12
  no: NO
alliances:
  - id: a
    parties:
      - organisation: b
        role: buyer
      -
  - [x, '', "y"]
"""


def test_values_stay_text_and_every_path_keeps_its_line() -> None:
    parsed = parse_yaml(NESTED, max_depth=10)
    assert parsed.value == {
        "source": {"title": {"en": "Example", "zh": "例子"}, "empty": None, "tilde": None, "word": None,
                   "quoted": "null", "tagged": None, "odd": "x",
                   "number": "12", "no": "NO"},
        "alliances": [{"id": "a", "parties": [{"organisation": "b", "role": "buyer"}, None]}, ["x", "", "y"]],
    }
    assert parsed.lines == {
        (): 1, ("source",): 2, ("source", "title"): 2, ("source", "title", "en"): 2, ("source", "title", "zh"): 2,
        ("source", "empty"): 3, ("source", "tilde"): 4, ("source", "word"): 5, ("source", "quoted"): 6,
        ("source", "tagged"): 7, ("source", "odd"): 8, ("source", "number"): 9, ("source", "no"): 10,
        ("alliances",): 12, ("alliances", 0): 12, ("alliances", 0, "id"): 12, ("alliances", 0, "parties"): 14,
        ("alliances", 0, "parties", 0): 14, ("alliances", 0, "parties", 0, "organisation"): 14,
        ("alliances", 0, "parties", 0, "role"): 15, ("alliances", 0, "parties", 1): 16,
        ("alliances", 1): 17, ("alliances", 1, 0): 17, ("alliances", 1, 1): 17, ("alliances", 1, 2): 17,
    }
    assert parsed.line_of(("alliances", 0, "parties", 0, "role", "unknown")) == 15


@pytest.mark.parametrize("text, message, line, rule", [
    ("a: 1\nb:\n  c: 2\n  c: 3\n", "key 'c' appears twice in the same mapping; keep one", 4, "yaml-syntax"),
    ("a:\n  b: 1\na: 2\n", "key 'a' appears twice in the same mapping; keep one", 3, "yaml-syntax"),
    ("- a: 1\n  b: [1]\n  b: 2\n", "key 'b' appears twice in the same mapping; keep one", 3, "yaml-syntax"),
    ("a: 1\n<<: {b: 2}\n", "merge keys (<<) are not supported; write the fields out", 2, "yaml-syntax"),
    ("a: 1\n? [b]\n: c\n", "a mapping key must be a plain word", 2, "yaml-syntax"),
    ("a: 1\nb: &x 2\n", "anchors (&name) and aliases (*name) are not allowed in records", 2, "yaml-alias"),
    ("a: 1\nb: &x\n  c: 2\n", "anchors (&name) and aliases (*name) are not allowed in records", 2, "yaml-alias"),
    ("a: 1\n&x b: 2\n", "anchors (&name) and aliases (*name) are not allowed in records", 2, "yaml-alias"),
    ("- 1\n- *x\n", "anchors (&name) and aliases (*name) are not allowed in records", 2, "yaml-alias"),
    ("a: 1\n---\nb: 2\n", "a record file holds one YAML document; remove the second '---' or split the file", 2, "yaml-syntax"),
    ("a:\n  b:\n    c: [1]\n", "mappings and lists are nested more than 3 deep", 3, "nesting-depth"),
    ("a: [1\n", "YAML syntax: did not find expected ',' or ']'", 2, "yaml-syntax"),
])
def test_each_refusal_names_its_line_and_rule(text: str, message: str, line: int, rule: str) -> None:
    with pytest.raises(YamlProblem) as raised:
        parse_yaml(text, max_depth=3)
    assert (raised.value.message, raised.value.line, raised.value.rule) == (message, line, rule)


def test_the_depth_limit_itself_is_allowed() -> None:
    assert parse_yaml("a:\n  b: [1]\n", max_depth=3).value == {"a": {"b": ["1"]}}


def _walked(text: str) -> list[tuple[tuple[str | int, ...], str]]:
    """Every key and text of the parsed file that holds a forbidden character, found by walking it all."""
    return [(path, value) for path, value in _texts(parse_yaml(text, max_depth=10).value, ()) if FORBIDDEN.search(value)]


def _characters_refused(text: str) -> list[Problem]:
    return list(_character_problems("r.yaml", parse_yaml(text, max_depth=10), text))


@pytest.mark.parametrize("escape", ["\\e", "\\x1b", "\\0", "\\a", "\\b", "\\v", "\\f", "\\N", "\\u202e", "\\U00002066", "\\x9b"])
def test_a_forbidden_character_made_by_an_escape_is_refused_at_its_line(escape: str) -> None:
    text = f'source:\n  title: ok\n  note: "before {escape} after"\n'
    assert not list(_raw_character_problems("r.yaml", text))
    [problem] = _characters_refused(text)
    assert (problem.rule, problem.line) == ("control-character", 3)
    assert problem.message.startswith("source/note: contains U+")


def test_only_an_escape_can_make_a_forbidden_character() -> None:
    """A file without a backslash is not walked for forbidden characters: YAML must make none from
    line breaks of any kind, folding, quotes or block scalars once the raw text has none."""
    breaks = ["\n", "\r\n", "\r", "\u2028", "\u2029"]
    for newline in breaks:
        text = newline.join(["a: plain", "  continued", "b: 'single", "  quoted ''x'''", 'c: "double', '  quoted"',
                             "d: |", "  literal", "  block", "e: >-", "  folded", "", "  block", "f: [x, 'y', \"z\"]", ""])
        assert not list(_raw_character_problems("r.yaml", text))
        assert "\\" not in text
        assert _walked(text) == [] and _characters_refused(text) == []
