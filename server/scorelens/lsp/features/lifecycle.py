"""Start, settings, shutdown, and cancelling a run from its progress notification."""

from __future__ import annotations

import asyncio

from lsprotocol import types
from pygls.uris import to_fs_path

from scorelens.lsp.server import ScoreLensServer, server


@server.feature(types.INITIALIZE)
def on_initialize(ls: ScoreLensServer, params: types.InitializeParams) -> None:
    root = params.root_uri or (
        params.workspace_folders[0].uri if params.workspace_folders else None
    )
    if root:
        ls.workspace_root = to_fs_path(root) or ls.workspace_root
    ls.settings.update(params.initialization_options)


@server.feature(types.INITIALIZED)
async def on_initialized(ls: ScoreLensServer, params: types.InitializedParams) -> None:
    await pull_configuration(ls)
    await warm_up(ls)


async def warm_up(ls: ScoreLensServer) -> None:
    """Show the stored figures, then get the worker ready before the first save; then say
    ready."""
    service = ls.service
    await service.prepare(current_only=True)  # the trace ids and stored figures first
    # The worker loads the traces while the server reads what the deltas need.
    warming = asyncio.ensure_future(service.warm_up())
    await service.prepare()
    ls.publish_all()
    ls.refresh_lenses()
    error = await warming
    if error:
        ls.send_status("error", error)
    else:
        ls.send_status("ready", "ready")
    ls.refresh_lenses()  # stored results were read in a thread: show them


async def pull_configuration(ls: ScoreLensServer) -> bool:
    """Read the client's settings; True when the service had to be rebuilt for them."""
    workspace = ls.client_capabilities.workspace
    if not (workspace and workspace.configuration):
        return False
    try:
        values = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section="scorelens")])
        )
    except Exception as exc:
        ls.log(f"could not read settings: {exc}")
        return False

    def restart_key() -> tuple[object, ...]:
        return (
            ls.settings.store_root(ls.workspace_root),
            ls.settings.worker_python,
            ls.settings.trusted,
        )

    before = restart_key()
    ls.settings.update(values[0] if values else None)
    if before != restart_key():
        await ls.reset_service()
        return True
    ls.apply_settings(ls.service)
    return False


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def on_configuration(ls: ScoreLensServer, params: types.DidChangeConfigurationParams) -> None:
    if await pull_configuration(ls):
        await warm_up(ls)
    ls.refresh_lenses()


@server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
def on_progress_cancel(ls: ScoreLensServer, params: types.WorkDoneProgressCancelParams) -> None:
    ls.scheduler.cancel_progress(str(params.token))


@server.feature(types.SHUTDOWN)
async def on_shutdown(ls: ScoreLensServer, params: None) -> None:
    await ls.reset_service()
