"""`OUT/report.html`: the class on one self-contained page (inline CSS and SVG, no script, nothing
fetched from the network): score distribution, pass rate per exercise and per check, the most
common named mistakes, students needing attention, grading time.

Every name and title is escaped; the page holds no learner output at all.
"""

from __future__ import annotations

import statistics
from html import escape

from grader.instructor.stats import (
    check_pass_rates,
    common_mistakes,
    exercise_stats,
    needing_attention,
    student_total,
)
from grader.results import ExerciseResult, format_points

BINS = 10
CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:64em;color:#222;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}
h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}th,td{padding:.25em .5em;text-align:left;
border-bottom:1px solid #eee;vertical-align:top}td.n,th.n{text-align:right;white-space:nowrap}
.bar{background:#e8eef7;width:10em;height:.9em;display:inline-block;vertical-align:middle}
.bar span{background:#3b7dd8;height:100%;display:block}
.facts{display:flex;gap:1em;flex-wrap:wrap;padding:0;list-style:none}
.facts li{background:#f4f6f9;padding:.6em 1em;border-radius:6px}
.facts b{display:block;font-size:1.4em}.muted{color:#777}.rate{white-space:nowrap}
svg text{font:11px system-ui,sans-serif;fill:#333}
"""


def html_report(graded: dict[str, list[ExerciseResult]], seconds: float | None = None) -> str:
    """The page for `graded`; `seconds` is the wall-clock time of the grading run, if known."""
    totals = {s: student_total(rs) for s, rs in graded.items()}
    scores = [score for score, _ in totals.values()]
    top = max((t for _, t in totals.values()), default=0.0)
    checked = sum(r.seconds for rs in graded.values() for r in rs)
    facts = [("students", str(len(graded))),
             ("mean points", f"{format_points(statistics.fmean(scores)) if scores else '–'}"
                             f" / {format_points(top)}"),
             ("median points", format_points(statistics.median(scores)) if scores else "–"),
             ("passed everything", str(sum(all(r.passed for r in rs) for rs in graded.values()))),
             ("grading time", _duration(seconds) if seconds is not None else "–"),
             ("time in checks", _duration(checked))]
    body = [
        "<h1>Class report</h1>",
        f'<ul class="facts" id="facts">{"".join(_fact(k, v) for k, v in facts)}</ul>',
        '<h2 id="distribution-title">Score distribution</h2>',
        _histogram(scores, top),
        '<h2>Pass rate per exercise</h2>', _exercises(graded),
        '<h2>Pass rate per check</h2>', _checks(graded),
        '<h2>Most common named mistakes</h2>', _mistakes(graded),
        '<h2>Students needing attention</h2>', _attention(graded),
        '<h2>Grading time</h2>', _timing(graded, seconds),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>Class report</title><style>" + CSS + "</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _fact(label: str, value: str) -> str:
    return f"<li><b>{escape(value)}</b>{escape(label)}</li>"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)} min {rest:.0f} s" if minutes else f"{seconds:.1f} s"


def _rate(share: float) -> str:
    """A share as a bar and a percentage, on one line."""
    return (f'<span class="rate"><span class="bar"><span style="width:{100 * share:.0f}%">'
            f"</span></span> {share:.0%}</span>")


def _table(table_id: str, head: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    """A table whose cells are already HTML; columns in `numeric` align right."""
    if not rows:
        return f'<p class="muted" id="{table_id}">none</p>'
    cls = [' class="n"' if i in numeric else "" for i in range(len(head))]
    out = [f'<table id="{table_id}"><thead><tr>'
           + "".join(f"<th{c}>{escape(h)}</th>" for c, h in zip(cls, head, strict=True))
           + "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td{c}>{cell}</td>" for c, cell in
                                    zip(cls, row, strict=True)) + "</tr>")
    return "\n".join([*out, "</tbody></table>"])


def _histogram(scores: list[float], top: float) -> str:
    """An SVG bar per tenth of the points: how many students scored in it."""
    if not scores or not top:
        return '<p class="muted" id="distribution">no scores</p>'
    counts = [0] * BINS
    for score in scores:
        counts[min(int(score / top * BINS), BINS - 1)] += 1
    width, height, gap = 640, 200, 4
    step = width / BINS
    tallest = max(counts)
    bars = []
    for i, count in enumerate(counts):
        h = (height - 40) * count / tallest
        x, y = i * step + gap / 2, height - 20 - h
        low, high = top * i / BINS, top * (i + 1) / BINS
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step - gap:.1f}" height="{h:.1f}" '
            f'fill="#3b7dd8"><title>{count} students: {format_points(low)}–'
            f'{format_points(high)} points</title></rect>'
            f'<text x="{x + (step - gap) / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">{count}'
            f'</text><text x="{x + (step - gap) / 2:.1f}" y="{height - 6}" '
            f'text-anchor="middle">{format_points(low)}</text>')
    return (f'<svg id="distribution" role="img" aria-label="score distribution" '
            f'viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">'
            + "".join(bars) + "</svg>")


def _exercises(graded: dict[str, list[ExerciseResult]]) -> str:
    rows = []
    for s in exercise_stats(graded):
        share = s.passed / s.students
        statuses = ", ".join(f"{escape(k.replace('_', ' '))} {v}"
                             for k, v in sorted(s.statuses.items()))
        rows.append([escape(s.number), escape(s.title), _rate(share),
                     f"{s.passed}/{s.students}",
                     f"{format_points(s.mean)}/{format_points(s.max_score)}", statuses])
    return _table("exercises", ["#", "exercise", "pass rate", "passed", "mean points",
                                "statuses"], rows, {0, 3, 4})


def _checks(graded: dict[str, list[ExerciseResult]]) -> str:
    rows = [[escape(number), escape(title), _rate(p / t), f"{p}/{t}"]
            for number, title, p, t in check_pass_rates(graded)]
    return _table("checks", ["#", "check", "pass rate", "passed"], rows, {0, 3})


def _mistakes(graded: dict[str, list[ExerciseResult]]) -> str:
    rows = [[str(count), escape(name)] for name, count in common_mistakes(graded)]
    return _table("mistakes", ["students", "mistake"], rows, {0})


def _attention(graded: dict[str, list[ExerciseResult]]) -> str:
    rows = [[escape(student), f"{share:.0%}", escape(why)]
            for student, share, why in needing_attention(graded)]
    return _table("attention", ["student", "share of points", "why"], rows, {1})


def _timing(graded: dict[str, list[ExerciseResult]], seconds: float | None) -> str:
    per_student = sorted(sum(r.seconds for r in rs) for rs in graded.values())
    rows = []
    if seconds is not None:
        rows.append(["wall clock, whole run", _duration(seconds)])
    if per_student:
        rows += [["checks, per student (median)", _duration(statistics.median(per_student))],
                 ["checks, slowest student", _duration(per_student[-1])]]
    return _table("timing", ["", "time"], [[escape(a), escape(b)] for a, b in rows], {1})
