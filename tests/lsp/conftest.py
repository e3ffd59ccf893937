"""A real language server over stdio, driven by pytest-lsp's client, on a workspace with traces."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.protocol import JsonRPCResponseMessage, default_converter
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient
from pytest_lsp.client import register_lsp_features

import scorelens
from scorelens.genai.evaluation import generate_traces
from scorelens.lsp import protocol
from tests.conftest import FIXTURES
from tests.protocol_shape import assert_conforms


def plain(value: Any) -> Any:
    """pygls hands notification params over as namedtuples; turn them back into JSON data."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


class Session:
    """The test's view of one server: its client, workspace and what the server told it."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root
        self.lens_refreshes = 0
        self.received: dict[protocol.Notification[Any], list[Any]] = {
            n: [] for n in protocol.NOTIFICATIONS
        }
        self.ready: asyncio.Future[Any] | None = None  # the first scorelens/status
        self.nonconforming: list[str] = []  # notifications not of their declared type

    async def warm(self) -> Any:
        assert self.ready is not None
        return await self.notified(self.ready)

    def uri(self, name: str) -> str:
        return from_fs_path(str(self.root / name)) or ""

    async def request(self, request: protocol.Request[Any, Any], params: Any = None) -> Any:
        """Send a custom request; its answer must conform to the declared result type."""
        answer = await self.client.protocol.send_request_async(request.method, params)  # type: ignore[no-untyped-call]
        assert_conforms(answer, request.result)
        return answer

    def expect(
        self, notification: protocol.Notification[Any] = protocol.scores_changed
    ) -> asyncio.Future[Any]:
        """Start waiting before triggering, so a quick server cannot beat us to it."""
        waiting: asyncio.Future[Any] = self.client.protocol.wait_for_notification_async(
            notification.method
        )
        return waiting

    async def notified(self, waiting: asyncio.Future[Any], timeout: float = 60) -> Any:
        return plain(await asyncio.wait_for(waiting, timeout))

    def open(self, name: str) -> str:
        uri = self.uri(name)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=(self.root / name).read_text()
                )
            )
        )
        return uri

    async def save(self, name: str, text: str, version: int = 2) -> Any:
        """Write the file as the editor would, send didChange and didSave; return the run's
        final scoresChanged (a long run sends its figures so far before it)."""
        uri = self.uri(name)
        (self.root / name).write_text(text)
        seen = len(self.received[protocol.scores_changed])
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        return await self.final_scores(seen)

    async def final_scores(self, seen: int, timeout: float = 60) -> Any:
        """The first scoresChanged, after the `seen` first ones, that ends a run."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for notice in self.received[protocol.scores_changed][seen:]:
                if not notice["running"]:
                    return notice
            await asyncio.sleep(0.02)
        raise AssertionError(f"no run ended within {timeout} s")

    async def lenses(self, name: str) -> list[str]:
        found = await self.client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=self.uri(name)))
        )
        return [lens.command.title for lens in found or [] if lens.command]


SCORERS = (FIXTURES / "scorers.py").read_text()


def record_traces(root: Path, dataset: str = "seed.json") -> str:
    """Run the sample app over a fixture dataset into root/.scorelens; returns the run id."""
    from fixtures import sample_app  # needs OPENAI_BASE_URL: see the openai_env fixture

    scorelens.openai.autolog()  # the app enables it on import; an earlier test may have undone it
    scorelens.set_tracking_uri(root / ".scorelens")
    scorelens.set_experiment("Default")
    rows = (
        json.loads((FIXTURES / "datasets" / dataset).read_text())
        if dataset.endswith(".json")
        else [
            json.loads(line) for line in (FIXTURES / "datasets" / dataset).read_text().splitlines()
        ]
    )
    return generate_traces(rows, sample_app.sample_app).run_id


@pytest.fixture
def workspace(tmp_path: Path, openai_env: str) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "scorers.py").write_text(SCORERS)
    shutil.copy(FIXTURES / "sample_app.py", root / "sample_app.py")
    record_traces(root)
    return root


def _json_results_converter() -> Any:
    """pytest-lsp's converter, except that custom requests' results stay plain JSON.

    By default they become namedtuples, which rename keys that are not identifiers (a panel
    column key like "file:///w/s.py#length", an attribute like "mlflow.chat.tokenUsage").
    """
    converter = default_converter()  # type: ignore[no-untyped-call]
    converter.register_structure_hook(JsonRPCResponseMessage, lambda data, cls: cls(**data))
    return converter


def make_test_client() -> LanguageClient:
    client = LanguageClient(converter_factory=_json_results_converter)
    register_lsp_features(client)
    return client


async def start(root: Path, options: dict[str, Any] | None = None) -> Session:
    client = make_test_client()
    session = Session(client, root)

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)  # type: ignore[untyped-decorator]
    def on_lens_refresh(_: LanguageClient, params: None) -> None:
        session.lens_refreshes += 1

    for notification in protocol.NOTIFICATIONS:

        def record(
            _: LanguageClient,
            params: Any,
            notification: protocol.Notification[Any] = notification,
        ) -> None:
            received = plain(params)
            try:
                assert_conforms(received, notification.params)
            except AssertionError as exc:  # raised here, pygls would only log it
                session.nonconforming.append(f"{notification.method}: {exc}")
            session.received[notification].append(received)

        client.feature(notification.method)(record)

    await client.start_io(sys.executable, "-m", "scorelens.lsp", cwd=str(root))
    session.ready = session.expect(protocol.status)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                workspace=types.WorkspaceClientCapabilities(
                    code_lens=types.CodeLensWorkspaceClientCapabilities(refresh_support=True),
                    configuration=True,
                ),
                window=types.WindowClientCapabilities(work_done_progress=True),
            ),
            root_uri=from_fs_path(str(root)),
            initialization_options=options or {},
        )
    )
    return session


@pytest_asyncio.fixture
async def lsp(workspace: Path, request: pytest.FixtureRequest) -> AsyncIterator[Session]:
    """A server on the workspace; settings through indirect parametrization:
    `@pytest.mark.parametrize("lsp", [{"maxWorkers": 1}], indirect=True)`."""
    session = await start(workspace, getattr(request, "param", None))
    yield session
    await session.client.shutdown_session()
    assert session.nonconforming == []
