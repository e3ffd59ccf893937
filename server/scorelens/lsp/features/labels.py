"""People label traces from the panel: the verdict a scorer should give. Each label is a HUMAN
feedback in the store (scorelens.genai.labels), so every lens of a scorer of that name shows
the new agreement at once, and the CLI, `search_traces` and MLflow's readers see the label."""

from __future__ import annotations

import asyncio

from pygls.uris import from_fs_path

from scorelens.genai.labels import Label, clear_label, default_user, set_labels
from scorelens.lsp import protocol
from scorelens.lsp.labels import label_data
from scorelens.lsp.server import ScoreLensServer, handles


@handles(protocol.set_label)
async def set_label(
    ls: ScoreLensServer, params: protocol.SetLabelParams
) -> protocol.SetLabelResult:
    service = ls.service
    trace_id, scorer = params["traceId"], params["scorer"]
    user = ls.settings.label_user or default_user()
    unsure, clear = params.get("unsure", False), params.get("clear", False)
    if params["value"] is None and not (unsure or clear):
        raise ValueError("a label needs a value: set unsure to abstain, or clear to remove it")
    if clear:
        await asyncio.to_thread(clear_label, trace_id, scorer, user=user, store=service.store)
    else:
        mine = service.labels.for_scorer(scorer).get(trace_id)
        kept_note = mine.note if mine is not None and mine.source_id == user else None
        label = Label(
            trace_id=trace_id,
            scorer=scorer,
            value=None if unsure else params["value"],
            # A new verdict keeps the note the user wrote, unless the request sets one.
            note=params.get("note", kept_note),
            source_id=user,
            time_ms=0,
            assessment_id=None,
        )
        group = service.trace_set.group_of(trace_id)
        groups = {trace_id: group} if group is not None else None
        # Checked (the trace, the value) before anything is written: a ValueError reaches the
        # panel as the request's error.
        await asyncio.to_thread(set_labels, [label], store=service.store, groups=groups)
    await _announce_agreement(ls)
    return {"label": label_data(service.labels.for_scorer(scorer).get(trace_id))}


async def follow_labels(ls: ScoreLensServer) -> None:
    """Labels written elsewhere (`scorelens labels import`, `log_feedback` in a notebook, a
    teammate on a shared store): show the new agreement of every scorer."""
    labels = ls.service.labels
    seen = await asyncio.to_thread(labels.generation)  # reads the changed assessments
    if seen != ls.announced_labels:
        await _announce_agreement(ls)


async def _announce_agreement(ls: ScoreLensServer) -> None:
    """Every scorer may have a new agreement (a label belongs to a Feedback name, which any
    scorer may give): one scoresChanged per file, as after a run, and the lenses refreshed."""
    service = ls.service
    # The new labels are read in a thread: at 100,000 traces that takes a while.
    await asyncio.to_thread(service.labels.refresh)
    ls.announced_labels = service.labels.generation()
    for state in service.files.scorer_files():
        named = state.scan.scorers
        if not named:
            continue
        dirty = state.path in ls.dirty
        ls.notify(
            protocol.scores_changed,
            protocol.ScoresChangedParams(
                uri=from_fs_path(state.path) or state.path,
                changed=[service.summary(state, s, dirty) for s in named],
                durationMs=0.0,
                workerCalled=False,
                running=False,
            ),
        )
    ls.refresh_lenses()
