"""A note's front matter (Obsidian's "properties"): found as Obsidian finds it, loaded as YAML by
a loader that refuses hostile input (alias bombs, deep nesting) before anything is expanded.

Decisions and sources are in docs/cards.md ("Front matter").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.errors import GraderError

DELIMITER = "---"
MAX_ALIASES = 16  # `*name` references in one front matter
MAX_DEPTH = 16  # lists and mappings inside each other
MAX_VALUES = 100_000  # values once every alias is expanded
KNOWN_KEYS = ("title", "tags", "points")  # matched case-insensitively, stored lower-case


@dataclass
class FrontMatter:
    """The properties, the line of each top-level key, and how many lines the block takes."""

    data: dict[Any, Any] = field(default_factory=dict)
    lines: dict[Any, int] = field(default_factory=dict)  # key -> 1-based line in the note
    length: int = 0  # lines from the opening `---` to the closing one, both included


def read_front_matter(lines: list[str], path: Path) -> FrontMatter:
    """The front matter at the top of a note's lines (BOM and CR already removed)."""
    if not lines or lines[0].rstrip() != DELIMITER:
        return FrontMatter()
    close = next((i for i, line in enumerate(lines[1:], 1) if line.rstrip() == DELIMITER), None)
    if close is None and not (len(lines) > 1 and lines[1].strip()):
        return FrontMatter()  # a lone `---` followed by a blank line is a horizontal rule
    dots = next((i for i, line in enumerate(lines[1:close], 1) if line.rstrip() == "..."), None)
    if dots is not None:
        raise GraderError(
            "`...` does not close the front matter in Obsidian: end it with a `---` line",
            path,
            dots + 1,
        )
    if close is None:
        raise GraderError(
            "the front matter opened here is never closed: add a line `---` after its last key",
            path,
            1,
        )
    data, key_lines = _load("\n".join(lines[1:close]), path)
    return FrontMatter(data, key_lines, close + 1)


def normalise_tags(value: Any) -> list[str]:
    """Obsidian accepts tags as a list, a comma- or space-separated string, or nothing."""
    if value is None:
        return []
    if isinstance(value, str):
        return [t.lstrip("#") for t in value.replace(",", " ").split() if t.strip("#")]
    if isinstance(value, list):
        return [str(t).lstrip("#") for t in value if t is not None and str(t).strip("#")]
    return [str(value)]


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that the loader will not build: too many aliases, too deep, repeated keys."""


class _Loader(yaml.SafeLoader):
    """Safe YAML, checked while the node graph is composed (before any alias is expanded).

    Dates stay the strings the author wrote (no timestamp resolver), so `2024-05-13T13:36` needs
    no seconds and the parse is JSON-serialisable.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0
        self.depth = 0
        self.sizes: dict[int, int] = {}  # id(node) -> values it stands for, aliases expanded
        self.root: yaml.Node | None = None
        self.key_lines: dict[Any, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        is_alias = isinstance(event, yaml.AliasEvent)
        if is_alias:
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _Refused(problem=f"more than {MAX_ALIASES} aliases (`*name`)",
                               problem_mark=event.start_mark)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(problem=f"lists and mappings nested more than {MAX_DEPTH} deep",
                           problem_mark=event.start_mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        size = self.sizes.get(id(node))
        if size is None:
            if is_alias:  # the anchor is still being composed: the alias refers to itself
                raise _Refused(problem="an alias inside the value it refers to",
                               problem_mark=event.start_mark)
            size = 1 + sum(self._size(child) for child in _children(node))
            self.sizes[id(node)] = size
        if size > MAX_VALUES:
            raise _Refused(problem=f"expands to more than {MAX_VALUES} values",
                           problem_mark=event.start_mark)
        return node

    def _size(self, node: yaml.Node) -> int:
        try:
            return self.sizes[id(node)]
        except KeyError:  # an alias to an enclosing anchor, reported where it occurs
            raise _Refused(problem="an alias inside the value it refers to",
                           problem_mark=node.start_mark) from None

    def construct_document(self, node: yaml.Node) -> Any:
        self.root = node
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        top = node is self.root
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key = self.construct_object(key_node)
            name = key.casefold() if top and isinstance(key, str) else key
            try:
                first = seen.setdefault(name, key_node)
            except TypeError:
                continue  # unhashable: SafeConstructor reports it
            if first is not key_node:
                raise _Refused(
                    problem=f"the key {key!r} repeats {first.value!r} of line "
                    f"{first.start_mark.line + 2}: each property may appear once",
                    problem_mark=key_node.start_mark,
                )
            if top:
                self.key_lines[key] = key_node.start_mark.line + 2
        return super().construct_mapping(node, deep)


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        return f"the control character U+{exc.character:04X} is not allowed"
    return getattr(exc, "problem", None) or str(exc)


def _line(exc: yaml.YAMLError, source: str) -> int:
    """The note's line of the problem: the front matter's text starts on line 2."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return mark.line + 2
    if isinstance(exc, yaml.reader.ReaderError):
        return source[: exc.position].count("\n") + 2
    return 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _load(source: str, path: Path) -> tuple[dict[Any, Any], dict[Any, int]]:
    loader = None
    try:
        loader = _Loader(source)  # its reader refuses control characters here already
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        what = "invalid YAML in the front matter"
        if isinstance(exc, _Refused):
            what = "front matter refused"
        raise GraderError(f"{what}: {_problem(exc)}", path, _line(exc, source)) from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise GraderError(
            f"the front matter must be `key: value` lines, not a {type(data).__name__}", path, 2
        )
    out: dict[Any, Any] = {}
    lines: dict[Any, int] = {}
    for key, value in data.items():
        name = key.casefold() if isinstance(key, str) and key.casefold() in KNOWN_KEYS else key
        out[name] = normalise_tags(value) if name == "tags" else value
        lines[name] = loader.key_lines.get(key, 2)
    return out, lines
