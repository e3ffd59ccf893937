"""Hover on a scorer's name: the distribution of its values, example errors, the slowest trace,
and the traces where it disagrees with people's labels."""

from __future__ import annotations

from lsprotocol import types
from pygls.uris import to_fs_path

from scorelens.lsp import hover_text
from scorelens.lsp.server import ScoreLensServer, server


@server.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: ScoreLensServer, params: types.HoverParams) -> types.Hover | None:
    path = to_fs_path(params.text_document.uri)
    state = ls.service.files.get(path) if path else None
    if state is None:
        return None
    line, column = params.position.line, params.position.character
    for scorer in state.scan.scorers:
        end = scorer.name_column + len(scorer.function)
        if scorer.line == line and scorer.name_column <= column <= end:
            summary = ls.service.summary(state, scorer)
            text = hover_text.markdown(
                scorer,
                ls.service.rows_for(scorer),
                ls.service.trace_set.trace_ids(),
                summary["judge"],
                summary["agreement"],
            )
            return types.Hover(
                contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)
            )
    return None
