"""Code lens titles and commands for a scorer file. The commands are registered by the client."""

from __future__ import annotations

from lsprotocol import types

from scorelens.genai.verdicts import pass_count
from scorelens.judging.usage import format_cost, format_tokens
from scorelens.lsp.discovery import ScorerDef
from scorelens.lsp.protocol import AgreementData, JudgeUsage, ScorerSummary
from scorelens.lsp.summaries import format_delta, format_number

# Client-side commands (never listed in the palette), so they cannot collide with user commands.
LENS_SCORE_COMMAND = "scorelens.lens.score"
LENS_SHOW_RESULTS_COMMAND = "scorelens.lens.showResults"
# The palette's Generate Traces…: the next step when there is nothing to score yet.
LENS_GENERATE_COMMAND = "scorelens.generateTraces"


def title(summary: ScorerSummary) -> str:
    name, total = summary["name"], summary["total"]
    state = summary["state"]
    if state == "untrusted":
        return f"{name} · ScoreLens is off: this workspace is not trusted"
    if state == "running":
        return _running(summary)
    if summary["message"] is not None:
        return f"{name} · ⚠ {summary['message']}"
    if state == "unscored":
        return (
            f"▶ Score {total} traces"
            if total
            else f"{name} · no stored traces yet · ▶ Generate Traces…"
        )
    parts = [name]
    if summary["passed"] is not None and summary["failed"] is not None:
        judged = summary["passed"] + summary["failed"]
        passed_previous = _previous_passes(summary, judged)
        delta = "" if passed_previous is None else format_delta(summary["passed"], passed_previous)
        parts.append(pass_count(summary["passed"], summary["failed"]) + delta)
    else:
        for aggregate in summary["aggregates"]:
            value, previous = aggregate["value"], aggregate["previous"]
            parts.append(
                f"{aggregate['name']} {format_number(value)}{format_delta(value, previous)}"
            )
    if summary["agreement"] is not None:
        parts.append(agreement_text(summary["agreement"]))
    parts.append(
        f"{summary['scored']} traces"
        if summary["scored"] == total
        else f"{summary['scored']}/{total} traces"
    )
    parts.append(f"{summary['errors']} error{'s' if summary['errors'] != 1 else ''}")
    if summary["judge"] is not None:
        parts.append(judge_text(summary["judge"]))
    text = " · ".join(parts)
    return text + " · (saved version)" if summary["stale"] else text


def _running(summary: ScorerSummary) -> str:
    """While a run lasts: how far it is, and the figures so far once there are some."""
    name, scored, total = summary["name"], summary["scored"], summary["total"]
    if not scored:
        return f"{name} · scoring {total:,} traces…"
    parts = [name, f"scoring {scored:,}/{total:,}"]
    if summary["passed"] is not None and summary["failed"] is not None:
        parts.append(f"{pass_count(summary['passed'], summary['failed'])} so far")
    elif summary["aggregates"]:
        first = summary["aggregates"][0]
        parts.append(f"{first['name']} so far {format_number(first['value'])}")
    return " · ".join(parts)


def judge_text(usage: JudgeUsage) -> str:
    """`1,000 judge calls (12 new) · 183k tokens · $0.04`: the cost only when it is known."""
    calls = usage["calls"]
    parts = [
        f"{calls:,} judge call{'s' if calls != 1 else ''} ({usage['newCalls']:,} new)",
        f"{format_tokens(usage['tokens'])} tokens",
    ]
    if usage["costUsd"] is not None:
        parts.append(format_cost(usage["costUsd"]))
    return " · ".join(parts)


def agreement_text(agreement: AgreementData) -> str:
    """`labels 18/20 agree (▲3)`: the change against the previous version on the same labels."""
    agree, previous = agreement["agree"], agreement["previousAgree"]
    delta = "" if previous is None else format_delta(agree, previous)
    return f"labels {agree:,}/{agreement['total']:,} agree{delta}"


def _previous_passes(summary: ScorerSummary, judged: int) -> float | None:
    # For booleans the mean is the pass rate, so the previous pass count follows from it.
    mean = next((a for a in summary["aggregates"] if a["name"] == "mean"), None)
    if mean is None or mean["previous"] is None:
        return None
    return round(mean["previous"] * judged)


def _where(scorer: ScorerDef) -> types.Range:
    return types.Range(
        start=types.Position(line=scorer.decorator_line, character=0),
        end=types.Position(line=scorer.decorator_line, character=0),
    )


def lenses(scorer: ScorerDef, summary: ScorerSummary, apps_found: int) -> list[types.CodeLens]:
    where = _where(scorer)
    ref = {"uri": summary["uri"], "name": summary["name"]}
    if summary["state"] == "unscored" and summary["total"] == 0:
        main = types.Command(
            title=title(summary),
            command=LENS_GENERATE_COMMAND,
            tooltip=(
                "Generate Traces: run an @trace app over an eval dataset to record traces to score"
                if apps_found
                else "No @trace function in this workspace yet: decorate your app's entry "
                "function with @scorelens.trace (or @mlflow.trace), then Generate Traces"
            ),
        )
    else:
        main = types.Command(
            title=title(summary),
            command=(
                LENS_SCORE_COMMAND
                if summary["state"] in ("unscored", "error")
                else LENS_SHOW_RESULTS_COMMAND
            ),
            arguments=[ref],
        )
    out = [types.CodeLens(range=where, command=main)]
    if summary["state"] == "scored":
        out.append(
            types.CodeLens(
                range=where,
                command=types.Command(
                    title="Results", command=LENS_SHOW_RESULTS_COMMAND, arguments=[ref]
                ),
            )
        )
    return out


def score_file_lens(scorer: ScorerDef, uri: str, count: int, total: int) -> types.CodeLens:
    """One click for every unscored scorer of the file, instead of one click each."""
    return types.CodeLens(
        range=_where(scorer),
        command=types.Command(
            title=f"▶ Score all {count} scorers of this file",
            command=LENS_SCORE_COMMAND,
            arguments=[{"uri": uri}],
            tooltip=f"Run every unscored scorer of this file on the {total} active traces",
        ),
    )
