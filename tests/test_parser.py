"""The note parser against every rule of docs/cards.md: front matter, callouts, pairing, code.

One table of cases: a note's text and what `parse_note(text).as_dict()` must hold (only the keys a
case names are compared, each exactly), or the line a GraderError must name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.deck.note import parse_note
from grader.errors import GraderError

SEED = Path("/work/shared/seeds/000_e809e3fc4934a103.txt")


def Q(title: str, body: str, answer: dict | None = None) -> dict:
    """One expected entry of `as_dict()["qa"]`."""
    return {"question": {"title": title, "body": body}, "answer": answer}


def A(title: str, body: str) -> dict:
    """An expected answer (or hint: same shape)."""
    return {"title": title, "body": body}


def C(lang: str, info: str, line: int, code: str) -> dict:
    """An expected entry of `as_dict()["code"]`."""
    return {"lang": lang, "info": info, "line": line, "code": code}


def case(text: str, id: str, **expected):
    return pytest.param(text, expected, id=id)


# A note shaped like the seed note (Obsidian export: a date without seconds, empty tags, two
# `>[!question]` callouts each followed by a sibling `>[!success] solution`, no space after `>`),
# written in other words.
SEED_LIKE = """\
---
date: 2024-05-13T13:36
tags: []
---
>[!question] What goes wrong if every weight starts at zero?

>[!success] solution
>Every unit in a layer computes the same output and receives the same gradient.
>
>So they stay identical forever: the layer behaves like a single unit.

>[!question] Should the biases be random as well?

>[!success] solution
>No: zero biases are the usual choice.
>
>The random weights already break the symmetry between units.
"""

CASES = [
    # ----------------------------------------------------------------------------- front matter
    case(
        "---\ndate: 2024-05-13T13:36\n---\n",
        "fm-date-without-seconds-stays-string",
        front_matter={"date": "2024-05-13T13:36"},
    ),
    case(
        "---\ncreated: 2024-05-13\nupdated: 2024-05-13 13:36:07\n---\n",
        "fm-other-dates-stay-strings",
        front_matter={"created": "2024-05-13", "updated": "2024-05-13 13:36:07"},
    ),
    case(
        "---\ntags: [warm-up, '#numpy']\n---\n",
        "fm-tags-flow-list",
        front_matter={"tags": ["warm-up", "numpy"]},
    ),
    case(
        "---\ntags:\n  - init\n  - '#deep-learning'\n---\n",
        "fm-tags-block-list",
        front_matter={"tags": ["init", "deep-learning"]},
    ),
    case(
        "---\ntags: init, numpy\n---\n",
        "fm-tags-comma-string",
        front_matter={"tags": ["init", "numpy"]},
    ),
    case(
        "---\ntags: '#init numpy'\n---\n",
        "fm-tags-space-string",
        front_matter={"tags": ["init", "numpy"]},
    ),
    case("---\ntags:\n---\n", "fm-tags-empty-value", front_matter={"tags": []}),
    case("---\ntags: []\n---\n", "fm-tags-empty-list", front_matter={"tags": []}),
    case(
        "---\ntitle: Mean of squares\npoints: 2\naliases: [msq]\ncssclasses: wide\n---\n",
        "fm-other-keys-kept",
        front_matter={
            "title": "Mean of squares",
            "points": 2,
            "aliases": ["msq"],
            "cssclasses": "wide",
        },
    ),
    case("---\n---\n# Heading\n", "fm-empty-block", front_matter={}, qa=[]),
    case("# Just a heading\n\nText.\n", "fm-absent", front_matter={}, qa=[], hints=[], code=[]),
    case(
        "\ufeff---\ntitle: With BOM\n---\n> [!question] Q\n> body\n",
        "fm-utf8-bom",
        front_matter={"title": "With BOM"},
        qa=[Q("Q", "body")],
        callouts=[{"family": "question", "line": 4}],
    ),
    case(
        "---\r\ntitle: Windows\r\ndate: 2024-05-13T13:36\r\n---\r\n"
        "> [!question] Q\r\n> line one\r\n> line two\r\n\r\n> [!success] A\r\n> yes\r\n",
        "fm-crlf-line-endings",
        front_matter={"title": "Windows", "date": "2024-05-13T13:36"},
        qa=[Q("Q", "line one\nline two", A("A", "yes"))],
        callouts=[{"line": 5}, {"line": 9}],
    ),
    case(
        "\ufeff---\r\ntags: [a]\r\n---\r\n>[!faq] Q\r\n>b\r\n",
        "fm-bom-and-crlf",
        front_matter={"tags": ["a"]},
        qa=[Q("Q", "b")],
    ),
    case("---\ntitle: never closed\n\n> [!question] Q\n", "fm-unclosed", error_line=1,
         error="never closed"),
    case("\ufeff---\r\ntitle: x\r\n", "fm-unclosed-bom-crlf", error_line=1, error="never closed"),
    case(
        "---\ntitle: ok\nfoo: [1, 2\nbar: 3\n---\n",
        "fm-invalid-yaml-flow-sequence",
        error_line=4,
        error="invalid YAML",
    ),
    case(
        "---\ntitle: ok\nbad: : :\n---\n",
        "fm-invalid-yaml-mapping-value",
        error_line=3,
        error="invalid YAML",
    ),
    case(
        "\ufeff---\r\ntitle: ok\r\nbad: [1\r\n---\r\n",
        "fm-invalid-yaml-bom-crlf",
        error_line=3,
        error="invalid YAML",
    ),
    case("---\n- a\n- b\n---\n", "fm-list-is-not-a-mapping", error_line=2, error="key: value"),
    case("---\njust a sentence\n---\n", "fm-scalar-is-not-a-mapping", error_line=2,
         error="key: value"),
    # --------------------------------------------------------------------------------- callouts
    case(
        "> [!question] The title\n> The body.\n",
        "callout-basic",
        qa=[Q("The title", "The body.")],
        callouts=[{"type": "question", "family": "question", "meta": None, "fold": "",
                   "line": 1, "depth": 0}],
    ),
    case(
        ">[!question] No space\n>body without space\n",
        "callout-no-space-after-gt",
        qa=[Q("No space", "body without space")],
    ),
    case(
        "> [!question]+ Open by default\n> b\n",
        "callout-fold-plus-with-title",
        qa=[Q("Open by default", "b")],
        callouts=[{"fold": "+"}],
    ),
    case(
        "> [!question]-\n> folded, no title\n",
        "callout-fold-minus-no-title",
        qa=[Q("Question", "folded, no title")],
        callouts=[{"fold": "-"}],
    ),
    case(
        "> [!QUESTION] Upper\n\n> [!Success] Mixed\n> ok\n",
        "callout-types-case-insensitive",
        qa=[Q("Upper", "", A("Mixed", "ok"))],
        callouts=[{"type": "question", "family": "question"},
                  {"type": "success", "family": "success"}],
    ),
    case(
        "> [!help] H\n\n> [!check] C\n\n> [!faq] F\n\n> [!done] D\n",
        "aliases-help-check-faq-done",
        qa=[Q("H", "", A("C", "")), Q("F", "", A("D", ""))],
        callouts=[{"family": "question"}, {"family": "success"},
                  {"family": "question"}, {"family": "success"}],
    ),
    case(
        "> [!question] Q\n\n> [!success] S\n",
        "aliases-question-success",
        qa=[Q("Q", "", A("S", ""))],
    ),
    case(
        "> [!tip] one\n> a\n\n> [!HINT] two\n> b\n\n> [!important] three\n> c\n",
        "aliases-tip-hint-important",
        hints=[A("one", "a"), A("two", "b"), A("three", "c")],
        callouts=[{"family": "hint"}] * 3,
    ),
    case(
        "> [!foo] Unknown kind\n> x\n",
        "unknown-type-is-note",
        qa=[],
        hints=[],
        callouts=[{"type": "foo", "family": "note", "title": "Unknown kind"}],
    ),
    case(
        "> [!question] Q\n\n> [!whatever] aside\n\n> [!success] S\n",
        "unknown-type-between-question-and-answer",
        qa=[Q("Q", "", A("S", ""))],
    ),
    case(
        "> [!question|wide] With metadata\n> body\n",
        "meta-after-pipe",
        qa=[Q("With metadata", "body")],
        callouts=[{"type": "question", "meta": "wide", "family": "question"}],
    ),
    case(
        "> [!tip|no-icon]- Folded hint\n> h\n",
        "meta-and-fold",
        hints=[A("Folded hint", "h")],
        callouts=[{"meta": "no-icon", "fold": "-", "family": "hint"}],
    ),
    case(
        "> [!question] Outer\n> Text.\n>\n> > [!hint] Inner\n> > hint body\n",
        "nested-hint-in-question",
        qa=[Q("Outer", "Text.\n\n> [!hint] Inner\n> hint body")],
        hints=[A("Inner", "hint body")],
        callouts=[{"depth": 0, "line": 1}, {"depth": 1, "line": 4, "family": "hint"}],
    ),
    case(
        ">[!question] Q\n>>[!note] N\n>>>[!tip] T\n>>>deep\n",
        "nested-three-levels-no-spaces",
        qa=[Q("Q", ">[!note] N\n>>[!tip] T\n>>deep")],
        hints=[A("T", "deep")],
        callouts=[{"depth": 0}, {"depth": 1, "family": "note"}, {"depth": 2, "line": 3}],
    ),
    case(
        "> [!question] Q\n> first\nlazy one\nlazy two\n> back\n\nOutside.\n",
        "lazy-continuation",
        qa=[Q("Q", "first\nlazy one\nlazy two\nback")],
    ),
    case(
        "> [!question] Q\n> > [!tip] T\n> > start\ncontinued lazily\n",
        "lazy-continuation-nested",
        hints=[A("T", "start\ncontinued lazily")],
    ),
    case(
        "```\n> [!question] Not a callout\n```\n",
        "backtick-fence-is-code",
        qa=[],
        callouts=[],
        code=[C("", "", 1, "> [!question] Not a callout\n")],
    ),
    case(
        "~~~markdown\n> [!question] Not a callout\n> > [!success] nor this\n~~~\n",
        "tilde-fence-is-code",
        qa=[],
        callouts=[],
        code=[C("markdown", "markdown", 1,
                "> [!question] Not a callout\n> > [!success] nor this\n")],
    ),
    case(
        "````markdown\n```\n> [!question] still code\n```\n````\n",
        "four-backtick-fence-holding-a-fence",
        qa=[],
        callouts=[],
        code=[C("markdown", "markdown", 1, "```\n> [!question] still code\n```\n")],
    ),
    case(
        "> [!question] Real\n> ```\n> > [!success] quoted in code\n> ```\n",
        "fence-inside-callout-is-code",
        qa=[Q("Real", "```\n> [!success] quoted in code\n```")],
        callouts=[{"family": "question"}],
        code=[C("", "", 2, "> [!success] quoted in code\n")],
    ),
    case(
        "```\n> [!question] unclosed fence runs to the end\n",
        "unclosed-fence-is-code",
        qa=[],
        callouts=[],
    ),
    case(
        "> Just a quotation.\n> [!question] not at the start\n",
        "plain-blockquote",
        qa=[],
        callouts=[],
    ),
    case(
        "> [!question] Q\n> text\n> [!success] same paragraph\n",
        "header-inside-a-paragraph-is-body",
        qa=[Q("Q", "text\n[!success] same paragraph")],
        callouts=[{"family": "question"}],
    ),
    # --------------------------------------------------------------------------------- pairing
    case(
        "> [!question] Q\n> Statement.\n>\n> > [!success] A\n> > Because.\n",
        "answer-nested-in-question",
        qa=[Q("Q", "Statement.\n\n> [!success] A\n> Because.", A("A", "Because."))],
    ),
    case(
        "> [!question] Q\n> Statement.\n\n> [!success] A\n> Because.\n",
        "answer-sibling",
        qa=[Q("Q", "Statement.", A("A", "Because."))],
    ),
    case(
        "> [!question] Lonely\n> Nobody answers.\n\nSome text.\n",
        "question-without-answer",
        qa=[Q("Lonely", "Nobody answers.")],
    ),
    case(
        "> [!question] Q1\n\n> [!question] Q2\n\n> [!success] A\n",
        "answer-after-next-question-is-not-the-first",
        qa=[Q("Q1", ""), Q("Q2", "", A("A", ""))],
    ),
    case(
        "> [!question] Q1\n> > [!success] inner\n> > i\n\n> [!success] sibling\n> s\n",
        "nested-answer-wins-over-sibling",
        qa=[Q("Q1", "> [!success] inner\n> i", A("inner", "i"))],
    ),
    case(
        "> [!question] Q\n\n> [!note] Aside\n> > [!success] inside the aside\n\n"
        "> [!success] sibling\n",
        "answer-in-another-callout-is-not-a-sibling",
        qa=[Q("Q", "", A("sibling", ""))],
    ),
    case(
        "> [!success] Orphan\n\n> [!question] Q\n",
        "answer-before-question-is-not-its-answer",
        qa=[Q("Q", "")],
    ),
    case(
        "> [!question] One\n> 1\n\n> [!success] A1\n> a1\n\n"
        "> [!faq] Two\n> 2\n> > [!done] A2\n> > a2\n\n"
        "> [!help] Three\n> 3\n\n> [!check] A3\n> a3\n",
        "several-pairs",
        qa=[
            Q("One", "1", A("A1", "a1")),
            Q("Two", "2\n> [!done] A2\n> a2", A("A2", "a2")),
            Q("Three", "3", A("A3", "a3")),
        ],
    ),
    case(
        "> [!hint] first\n\n> [!question] Q\n> > [!tip] second\n\n> [!important] third\n\n"
        "> [!success] A\n> > [!hint] fourth\n",
        "hints-in-note-order",
        hints=[A("first", ""), A("second", ""), A("third", ""), A("fourth", "")],
        qa=[Q("Q", "> [!tip] second", A("A", "> [!hint] fourth"))],
    ),
    case(
        SEED_LIKE,
        "seed-shaped-note",
        front_matter={"date": "2024-05-13T13:36", "tags": []},
        qa=[
            Q(
                "What goes wrong if every weight starts at zero?",
                "",
                A(
                    "solution",
                    "Every unit in a layer computes the same output and receives the same "
                    "gradient.\n\nSo they stay identical forever: the layer behaves like a "
                    "single unit.",
                ),
            ),
            Q(
                "Should the biases be random as well?",
                "",
                A(
                    "solution",
                    "No: zero biases are the usual choice.\n\nThe random weights already break "
                    "the symmetry between units.",
                ),
            ),
        ],
        hints=[],
        code=[],
        callouts=[{"line": 5}, {"line": 7}, {"line": 12}, {"line": 14}],
    ),
    # ------------------------------------------------------------------------------------ code
    case(
        "```python solution\ndef f():\n    return 1\n```\n",
        "code-info-string-and-language",
        code=[C("python", "python solution", 1, "def f():\n    return 1\n")],
    ),
    case(
        "Text.\n\n```Python  stub \nx = 1\n```\n",
        "code-language-lower-cased-info-stripped",
        code=[C("python", "Python  stub", 3, "x = 1\n")],
    ),
    case(
        "~~~python\nprint('~')\n~~~\n",
        "code-tilde-fence",
        code=[C("python", "python", 1, "print('~')\n")],
    ),
    case(
        "---\ntitle: x\n---\n\n> [!success] A\n> Why.\n>\n> ```python solution\n> x = 1\n"
        ">\n>     y = 2\n> ```\n\n```\nplain\n```\n",
        "code-in-callout-lines-after-front-matter",
        code=[
            C("python", "python solution", 8, "x = 1\n\n    y = 2\n"),
            C("", "", 14, "plain\n"),
        ],
    ),
    case(
        "- item\n  - > [!question] In a nested list\n    > body\n",
        "callout-in-nested-list-item-body",
        qa=[Q("In a nested list", "body")],
    ),
]


def callout_facts(note) -> list[dict]:
    return [
        {"type": c.type, "family": c.family, "title": c.title, "meta": c.meta, "fold": c.fold,
         "line": c.line, "depth": c.depth}
        for c in note.callouts
    ]


def test_table_is_big_enough():
    assert len(CASES) >= 35
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse(text: str, expected: dict):
    check_case(text, expected)


def check_case(text: str, expected: dict) -> None:
    """The note parses to what `expected` names (see `case`), or fails at the expected line."""
    if "error_line" in expected:
        with pytest.raises(GraderError) as info:
            parse_note(text, "notes/n.md")
        assert info.value.line == expected["error_line"]
        assert expected["error"] in info.value.message
        assert str(info.value).startswith(f"notes/n.md:{expected['error_line']}: ")
        return
    note = parse_note(text)
    got = note.as_dict()
    assert set(got) == {"front_matter", "qa", "hints", "code"}
    compared = 0
    for key in ("front_matter", "qa", "hints", "code"):
        if key in expected:
            assert got[key] == expected[key], key
            compared += 1
    if "callouts" in expected:
        facts = callout_facts(note)
        assert len(facts) == len(expected["callouts"])
        for fact, want in zip(facts, expected["callouts"], strict=True):
            assert {k: fact[k] for k in want} == want
        compared += 1
    assert compared, "a case must expect something"
    # as_dict must be JSON-serialisable (dates are strings, not datetime objects)
    assert json.loads(json.dumps(got)) == got


def test_lines_agree_with_and_without_bom_and_crlf():
    plain = "---\ntitle: t\n---\n\n> [!question] Q\n> b\n\n> [!tip] H\n\n```py\nx\n```\n"
    variants = [plain, "\ufeff" + plain, plain.replace("\n", "\r\n")]
    results = [parse_note(v) for v in variants]
    assert [r.as_dict() for r in results[1:]] == [results[0].as_dict()] * 2
    assert [[c.line for c in r.callouts] for r in results] == [[5, 8]] * 3


@pytest.mark.skipif(not SEED.is_file(), reason=f"seed note {SEED} is not available here")
def test_seed_note_itself():
    from grader.deck.note import read_note

    note = read_note(SEED)
    data = note.as_dict()
    assert data["front_matter"] == {"date": "2024-05-13T13:36", "tags": []}
    assert [pair["question"]["title"] for pair in data["qa"]] == [
        "Why is random initialisation of weights essential?",
        "Having the same bias is prefered or not?",
    ]
    assert [pair["answer"]["title"] for pair in data["qa"]] == ["solution", "solution"]
    first_answer = data["qa"][0]["answer"]["body"]
    assert first_answer.startswith("Random initialization of weights is an essential step")
    assert not any(line.startswith(">") for line in first_answer.splitlines())
    assert data["hints"] == []
    assert data["code"] == []


# ------------------------------------------------------------------------- `grader inspect` CLI


def _grader(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "1000"}
    env.pop("GRADER_ROOT", None)
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
    )


def inspect(note: Path, text: str, *args: str) -> subprocess.CompletedProcess:
    """Write `text` to `note` and run `grader inspect` on it."""
    note.write_text(text, encoding="utf-8")
    return _grader("inspect", str(note), *args)


def test_inspect_json(tmp_path: Path):
    result = inspect(tmp_path / "seed-like.md", SEED_LIKE, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"front_matter", "qa", "hints", "code"}
    assert data["front_matter"] == {"date": "2024-05-13T13:36", "tags": []}
    assert len(data["qa"]) == 2
    for pair in data["qa"]:
        assert set(pair) == {"question", "answer"}
        assert set(pair["question"]) == {"title", "body"}
        assert set(pair["answer"]) == {"title", "body"}
        assert pair["answer"]["title"] == "solution"
    assert data["qa"][0]["question"]["title"] == "What goes wrong if every weight starts at zero?"
    assert data == parse_note(SEED_LIKE).as_dict()


def test_inspect_json_code_blocks(tmp_path: Path):
    text = "> [!question] Q\n\n```python solution\nx = 1\n```\n"
    result = inspect(tmp_path / "code.md", text, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["code"] == [C("python", "python solution", 3, "x = 1\n")]
    assert data["qa"] == [Q("Q", "")]


def test_inspect_text_format(tmp_path: Path):
    result = inspect(tmp_path / "n.md", SEED_LIKE)
    assert result.returncode == 0, result.stderr
    assert "question/answer pairs: 2" in result.stdout
    assert "Should the biases be random as well?" in result.stdout


def _strip_prog(stderr: str) -> str:
    return stderr.removeprefix("grader: ")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        pytest.param("---\ntitle: ok\nbad: : :\n---\n", 3, "invalid YAML", id="invalid-yaml"),
        pytest.param("---\ntitle: open\n\nbody\n", 1, "never closed", id="unclosed"),
        pytest.param("---\n- a\n---\n", 2, "key: value", id="not-a-mapping"),
    ],
)
def test_inspect_error(tmp_path: Path, text: str, line: int, words: str):
    note = tmp_path / "broken.md"
    result = inspect(note, text, "--format", "json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    message = _strip_prog(result.stderr)
    assert message.startswith(f"{note}:{line}: "), result.stderr
    assert words in message
    assert len(result.stderr.strip().splitlines()) == 1


def test_inspect_not_utf8(tmp_path: Path):
    note = tmp_path / "latin1.md"
    note.write_bytes(b"> [!question] Q\n> caf\xe9\n")
    result = _grader("inspect", str(note), "--format", "json")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert _strip_prog(result.stderr).startswith(f"{note}:2: ")
    assert "UTF-8" in result.stderr


def test_inspect_missing_file(tmp_path: Path):
    note = tmp_path / "absent.md"
    result = _grader("inspect", str(note), "--format", "json")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert _strip_prog(result.stderr).startswith(f"{note}: ")
