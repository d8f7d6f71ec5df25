"""Parse any Obsidian note into front matter, question/answer pairs, hints and code blocks.

Parsing goes through markdown-it-py's CommonMark token tree (plus the front-matter plugin), so
fenced code, nesting and lazy continuation lines are read exactly as a CommonMark renderer reads
them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

from grader.deck.callouts import Callout, find_callouts, pair_questions
from grader.errors import GraderError


@dataclass
class CodeBlock:
    """A fenced code block: its language (first word of the info string), full info, text, line."""

    lang: str
    info: str
    code: str
    line: int  # 1-based line of the opening fence
    end: int  # 1-based line of the closing fence (or the last line of the note)

    @property
    def tags(self) -> list[str]:
        return self.info.split()[1:]

    def as_dict(self) -> dict[str, Any]:
        return {"lang": self.lang, "info": self.info, "line": self.line, "code": self.code}


@dataclass
class Note:
    """What the parser made of one note."""

    path: Path
    front_matter: dict[str, Any]
    callouts: list[Callout]
    qa: list[tuple[Callout, Callout | None]]
    hints: list[Callout]
    code: list[CodeBlock] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "front_matter": self.front_matter,
            "qa": [
                {"question": q.as_dict(), "answer": a.as_dict() if a else None} for q, a in self.qa
            ],
            "hints": [h.as_dict() for h in self.hints],
            "code": [c.as_dict() for c in self.code],
        }


class _PlainLoader(yaml.SafeLoader):
    """Safe YAML without timestamp conversion: Obsidian dates stay the strings the author wrote."""


_PlainLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@cache
def _markdown() -> MarkdownIt:
    # CommonMark preset: no GitHub alerts, no tables needed to find callouts and fences.
    return MarkdownIt("commonmark").use(front_matter_plugin)


def read_note(path: Path) -> Note:
    """Read and parse a note file, with errors that name the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise GraderError(f"cannot read the note: {exc.strerror}", path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise GraderError("not UTF-8 text: save the note as UTF-8", path, line) from None
    return parse_note(text, path)


def parse_note(text: str, path: Path | str = "<note>") -> Note:
    """Parse the text of a note."""
    path = Path(path)
    text = text.removeprefix("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    tokens = _markdown().parse(text)
    front_matter = _front_matter(tokens, lines, path)
    callouts = find_callouts(tokens, lines)
    code = [
        CodeBlock(
            lang=(t.info.split() or [""])[0].lower(),
            info=t.info.strip(),
            code=t.content,
            line=(t.map or (0, 0))[0] + 1,
            end=(t.map or (0, 0))[1],
        )
        for t in tokens
        if t.type == "fence"
    ]
    return Note(
        path=path,
        front_matter=front_matter,
        callouts=callouts,
        qa=pair_questions(callouts),
        hints=[c for c in callouts if c.family == "hint"],
        code=code,
    )


def _front_matter(tokens: list, lines: list[str], path: Path) -> dict[str, Any]:
    if not tokens or tokens[0].type != "front_matter":
        if lines and lines[0].rstrip() == "---" and any(line.strip() for line in lines[1:2]):
            raise GraderError(
                "the front matter opened here is never closed: add a line `---` after its last key",
                path,
                1,
            )
        return {}
    token = tokens[0]
    try:
        data = yaml.load(token.content, Loader=_PlainLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise GraderError(f"invalid YAML in the front matter: {problem}", path, line) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise GraderError(
            "the front matter must be `key: value` lines, not a "
            f"{type(data).__name__}",
            path,
            2,
        )
    if "tags" in data:
        data["tags"] = normalise_tags(data["tags"])
    return data


def normalise_tags(value: Any) -> list[str]:
    """Obsidian accepts tags as a list, a comma- or space-separated string, or nothing."""
    if value is None:
        return []
    if isinstance(value, str):
        return [t.lstrip("#") for t in value.replace(",", " ").split() if t.strip("#")]
    if isinstance(value, list):
        return [str(t).lstrip("#") for t in value if t is not None and str(t).strip("#")]
    return [str(value)]
