"""Learner text made safe for machine formats, and a check's feedback as plain text or Markdown.

Whatever the learner's code printed or raised is data: stripped of terminal colour codes and of
characters that XML 1.0 forbids, and put in Markdown only inside code fences longer than any run
of backticks it contains.
"""

from __future__ import annotations

import re

from grader.results import ERROR, PASSED, CheckResult, ExerciseResult, Figure

# Terminal escape sequences (CSI such as colours, and OSC such as titles or hyperlinks).
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# Everything but tab and newline that XML 1.0 forbids or that is a control character: C0 and C1
# controls, DEL, lone surrogates (from undecodable output) and the non-characters U+FFFE/U+FFFF.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BACKTICKS = re.compile("`+")
BAR_WIDTH = 30
OUTPUT_LINES = 60  # lines of the learner's printed output shown per check (JSON keeps it all)
OUTPUT_CHARS = 4000


def clean(text: str) -> str:
    """`text` with Unix newlines, without terminal escapes and without characters XML forbids."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _ILLEGAL.sub("", _ANSI.sub("", text))


def fence(text: str, info: str = "text") -> str:
    """A Markdown fenced code block holding `text` literally: its fence is longer than any run of
    backticks inside, so nothing in `text` can close it."""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    marks = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{marks}{info}\n{body}{marks}"


def clip(text: str, lines: int = OUTPUT_LINES, chars: int = OUTPUT_CHARS) -> str:
    """Learner text cut to `lines` lines and `chars` characters, saying how much was cut."""
    text = clean(text).rstrip("\n")
    shown = "\n".join(text.split("\n")[:lines])[:chars]
    hidden = len(text) - len(shown)
    return shown + (f"\n… {hidden} more characters not shown" if hidden > 0 else "")


def md_label(text: str) -> str:
    """Our own short labels (exercise titles from the cards) with Markdown's specials escaped."""
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~&])", r"\\\1", text)


def check_name(result: ExerciseResult, check: CheckResult) -> str:
    """`03 · Xavier initialisation: the check's title`: how people see a check."""
    return clean(f"{result.number} · {result.title}: {check.title}")


def check_id(result: ExerciseResult, check: CheckResult) -> str:
    """`03_xavier::test_normal_scale`: a name that survives rewording a check's title."""
    return clean(f"{result.number}_{result.slug}::{check.name}")


def _frames_text(check: CheckResult) -> str:
    """The learner's traceback frames, innermost last, as plain text ("" when there are none)."""
    if check.status != ERROR or not check.learner_error:
        return ""
    lines = []
    for frame in check.learner_error.get("frames") or []:
        if frame.get("line"):
            lines.append(f"{frame.get('file', '')}:{frame['line']} in {frame.get('function', '')}")
        else:
            lines.append(str(frame.get("function", "")))
        if frame.get("code"):
            lines.append(f"    {frame['code']}")
    return clean("\n".join(lines))


def innermost_line(check: CheckResult) -> int:
    """The line of the learner's innermost frame, 0 without one."""
    frames = (check.learner_error or {}).get("frames") or []
    lines = [f.get("line") or 0 for f in frames]
    return int(lines[-1]) if lines else 0


def figure_text(figure: Figure) -> str:
    """A bar chart as plain text: one line per label, bars scaled to the largest value."""
    width = max((len(label) for label in figure.labels), default=0)
    lines = [figure.title]
    for label, value in zip(figure.labels, figure.values, strict=False):
        bar = figure.bar(value, BAR_WIDTH)
        lines.append(f"{label.rjust(width)} {bar or '▏'} {value:.3g}")
    return clean("\n".join(lines))


def _shows_output(check: CheckResult) -> bool:
    return bool(check.output) and check.status != PASSED


def details_text(check: CheckResult, lines: int = OUTPUT_LINES, chars: int = OUTPUT_CHARS
                 ) -> str:
    """The feedback on one check as plain text: message, where in the learner's code, output."""
    parts = []
    if check.message:
        parts.append(clean(check.message))
    frames = _frames_text(check)
    if frames:
        parts.append("Where, in your code:\n" + _indent(frames))
    if _shows_output(check):
        parts.append("Your code printed:\n" + _indent(clip(check.output, lines, chars)))
    parts.extend(figure_text(f) for f in check.figures)
    return "\n\n".join(parts)


def details_markdown(check: CheckResult) -> str:
    """The same feedback as Markdown: every piece of text from the checks or the learner is inside
    a fence; the only Markdown outside fences is our own labels."""
    parts = []
    if check.message:
        parts.append(fence(clean(check.message)))
    frames = _frames_text(check)
    if frames:
        parts.append("**Where, in your code:**\n\n" + fence(frames))
    if _shows_output(check):
        parts.append("**Your code printed:**\n\n" + fence(clip(check.output)))
    if check.figures:
        parts.append(fence("\n\n".join(figure_text(f) for f in check.figures)))
    return "\n\n".join(parts)


def _indent(text: str, pad: str = "  ") -> str:
    return "\n".join(pad + line if line else line for line in text.split("\n"))
