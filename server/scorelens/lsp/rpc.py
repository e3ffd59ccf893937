"""JSON-RPC framing rules pygls leaves out: every request gets an answer, params or not.

JSON-RPC lets a request omit `params`, and vscode-jsonrpc does exactly that for a request sent
without arguments. pygls 2 cannot build a message from such a request, so it never answers and
the client waits forever. Here a missing `params` reads as null, and a request that still cannot
be read is answered with an error naming why, instead of silence.
"""

from __future__ import annotations

from typing import Any

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol


class AnsweredRequestError(Exception):
    """A request that could not be read and was already answered with an error."""


class ScoreLensProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
        # json.loads hands every nested object through here; only whole messages matter.
        is_message = "jsonrpc" in data and "method" in data
        if is_message:
            data.setdefault("params", None)
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if not (is_message and "id" in data):
                raise
            # The cause (e.g. a wrong field type) is more use to the caller than pygls's text.
            cause = exc.__cause__ or exc
            error = JsonRpcInvalidParams(f"{data['method']}: cannot read the params: {cause}")
            self._send_response(data["id"], error=error.to_response_error())
            raise AnsweredRequestError(str(error)) from exc
