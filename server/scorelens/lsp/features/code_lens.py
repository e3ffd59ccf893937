"""Lenses above each scorer: its figures on the active traces, or the next step to take."""

from __future__ import annotations

from lsprotocol import types
from pygls.uris import to_fs_path

from scorelens.lsp import lenses, protocol
from scorelens.lsp.discovery import ScorerDef, scan_source
from scorelens.lsp.server import ScoreLensServer, server


@server.feature(types.TEXT_DOCUMENT_CODE_LENS)
async def on_code_lens(ls: ScoreLensServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    path = to_fs_path(params.text_document.uri)
    # At start: the stored figures, read in threads, not on the event loop.
    await ls.service.prepare(current_only=True)
    if path:
        await ls.scheduler.settled(path)  # a save's run: answer with its figures
        ls.scheduler.lenses_asked(path)
    state = ls.service.files.get(path) if path else None
    if path is None or state is None:
        return []
    dirty = path in ls.dirty
    # Lens positions follow the text being edited; figures belong to the saved version.
    current = state.scan
    if dirty:
        document = ls.workspace.get_text_document(params.text_document.uri)
        edited = scan_source(document.source)
        if edited.syntax_error is None:
            current = edited
    saved = {s.name: s for s in state.scan.scorers}
    apps_found = len(ls.service.files.apps())
    out: list[types.CodeLens] = []
    unscored: list[tuple[ScorerDef, protocol.ScorerSummary]] = []
    for scorer in current.scorers:
        saved_def = saved.get(scorer.name)
        if saved_def is None:
            where = types.Position(line=scorer.decorator_line, character=0)
            out.append(
                types.CodeLens(
                    range=types.Range(start=where, end=where),
                    command=types.Command(title=f"{scorer.name} · save to score", command=""),
                )
            )
            continue
        summary = ls.service.summary(state, saved_def, dirty, params.text_document.uri)
        out.extend(lenses.lenses(scorer, summary, apps_found))
        if summary["state"] == "unscored" and summary["total"] > 0:
            unscored.append((scorer, summary))
    if len(unscored) > 1:
        first, summary = unscored[0]
        out.append(
            lenses.score_file_lens(first, params.text_document.uri, len(unscored), summary["total"])
        )
    return out
