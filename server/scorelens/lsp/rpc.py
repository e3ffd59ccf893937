"""JSON-RPC rules pygls leaves out: typed custom messages, and an answer to every request.

pygls reads the LSP's own messages into lsprotocol types, and anything else into namedtuples
that no handler can trust. Here every custom request declared in `lsp/protocol.py` gets a
message type of its own, so pygls's converter (cattrs) reads its params into the declared
TypedDict: a missing or mistyped field is answered with InvalidParams naming the field.

JSON-RPC also lets a request omit `params`, and vscode-jsonrpc does exactly that for a request
sent without arguments; pygls 2 cannot build a message from such a request and never answers.
Here a missing `params` reads as null, and a request that still cannot be read is answered with
an error naming why, instead of silence.
"""

from __future__ import annotations

from typing import Any, cast

import attrs
from cattrs.errors import ClassValidationError
from cattrs.v import format_exception, transform_error
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol

from scorelens.lsp.protocol import REQUESTS, Request


class AnsweredRequestError(Exception):
    """A request that could not be read and was already answered with an error."""


def _message_type(request: Request[Any, Any]) -> type:
    return attrs.make_class(
        f"{request.method.rsplit('/', 1)[-1]}Message",
        {
            "id": attrs.field(type=cast(type, int | str)),
            "method": attrs.field(type=str),
            "jsonrpc": attrs.field(type=str),
            "params": attrs.field(type=request.params),
        },
    )


_MESSAGE_TYPES = {request.method: _message_type(request) for request in REQUESTS}
_REQUESTS = {request.method: request for request in REQUESTS}


class ScoreLensProtocol(LanguageServerProtocol):
    # pygls's own is wrapped in lru_cache; a dict lookup needs no cache.
    def get_message_type(self, method: str) -> type[Any] | None:  # type: ignore[override]
        return _MESSAGE_TYPES.get(method) or super().get_message_type(method)

    def structure_message(self, data: dict[str, Any]) -> Any:
        # json.loads hands every nested object through here; only whole messages matter.
        is_message = "jsonrpc" in data and "method" in data
        declared = _REQUESTS.get(data["method"]) if is_message else None
        if is_message:
            data.setdefault("params", None)
            if data["params"] is None and declared and not declared.params.__required_keys__:
                data["params"] = {}  # nothing is required: no params reads as empty ones
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if not (is_message and "id" in data):
                raise
            if data["params"] is None and declared is not None:
                needed = ", ".join(f"params.{k}" for k in sorted(declared.params.__required_keys__))
                why = f"needs {needed}"
            else:
                why = _why(exc.__cause__ or exc)
            error = JsonRpcInvalidParams(f"{data['method']}: {why}")
            self._send_response(data["id"], error=error.to_response_error())
            raise AnsweredRequestError(str(error)) from exc


def _why(cause: BaseException) -> str:
    """What is wrong with the params, field by field, as cattrs found it."""
    if isinstance(cause, ClassValidationError):
        found = [
            problem.replace("$.params", "params", 1)
            for problem in transform_error(cause, format_exception=_plainly)
            if not problem.startswith("required field missing @ $.id")
        ]
        return "; ".join(found) or "cannot read the params"
    return f"cannot read the params: {cause}"


def _plainly(exc: BaseException, type_: type | None) -> str:
    text = format_exception(exc, type_)
    # cattrs says "unknown error (...)" for a value outside a Literal: its own words are clearer.
    return str(exc) if text.startswith("unknown error") else text
