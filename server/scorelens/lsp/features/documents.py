"""Open, edit, save and file-watcher events: what is on disk decides what is scored."""

from __future__ import annotations

import asyncio
import os

from lsprotocol import types
from pygls.uris import to_fs_path

from scorelens.lsp.features import labels
from scorelens.lsp.scheduler import Superseded
from scorelens.lsp.server import ScoreLensServer, server
from scorelens.lsp.workspace_files import read_text


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
async def on_open(ls: ScoreLensServer, params: types.DidOpenTextDocumentParams) -> None:
    path = to_fs_path(params.text_document.uri)
    if path:
        saved = read_text(path)
        ls.remember_saved(path, saved)
        ls.mark_dirty(path, params.text_document.text)
        state = ls.service.files.refresh(path, saved)  # what is on disk: results belong to it
        if state is not None:
            # At start, after what the start reads first: the figures of every file.
            await ls.service.prepare(current_only=True)
            await ls.service.results.preload(ls.service.shown_hashes([state]))
        ls.publish(path)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def on_change(ls: ScoreLensServer, params: types.DidChangeTextDocumentParams) -> None:
    path = to_fs_path(params.text_document.uri)
    if path:
        # An undo back to the saved text or File: Revert File leaves it clean, not edited.
        ls.mark_dirty(path, ls.workspace.get_text_document(params.text_document.uri).source)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def on_close(ls: ScoreLensServer, params: types.DidCloseTextDocumentParams) -> None:
    path = to_fs_path(params.text_document.uri)
    if path:
        ls.dirty.discard(path)
        ls.saved_text.pop(path, None)


@server.feature(
    types.TEXT_DOCUMENT_DID_SAVE, types.TextDocumentSaveRegistrationOptions(include_text=False)
)
async def on_save(ls: ScoreLensServer, params: types.DidSaveTextDocumentParams) -> None:
    path = to_fs_path(params.text_document.uri)
    if not path:
        return
    ls.dirty.discard(path)
    # Read once, from disk: the worker imports what is on disk, so results belong to it.
    text = read_text(path)
    ls.remember_saved(path, text)
    if ls.settings.rescore_on_save:
        # Asked now, the editor's lens request arrives as the run ends (or waits for it).
        ls.scheduler.refresh_for_save(path)
        try:
            await ls.scheduler.score_file(path, text)
        except Superseded as superseded:
            ls.log(str(superseded))
        except asyncio.CancelledError:
            ls.log(f"scoring {path} was cancelled")
    else:
        ls.service.files.refresh(path, text)
        ls.publish(path)
        ls.refresh_lenses()


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
async def on_watched_files(ls: ScoreLensServer, params: types.DidChangeWatchedFilesParams) -> None:
    store_root = ls.service.store.root + os.sep
    rescanned = stored = False
    for change in params.changes:
        path = to_fs_path(change.uri)
        if not path:
            continue
        if path.startswith(store_root):
            stored = True
            continue  # new traces or labels: followed below, once for the whole batch
        if not path.endswith(".py"):
            continue
        known = ls.service.files.get(path)
        before = known.scan if known is not None else None  # refresh() replaces it in place
        if change.type == types.FileChangeType.Deleted:
            ls.service.files.forget(path)
        else:
            after = ls.service.files.refresh(path)
            # The event of a save didSave already handled: nothing to show again. Refreshing
            # anyway would restart the editor's wait before it asks for the new lenses.
            if before is not None and after is not None and after.scan == before:
                continue
        rescanned = True
        ls.publish(path)
    if await ls.scheduler.follow_trace_set():
        return  # the new trace set's figures come with their own notices
    if rescanned:
        ls.refresh_lenses()
    if stored:
        await labels.follow_labels(ls)
