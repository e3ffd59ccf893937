import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCodes, LSPErrorCodes, ResponseError } from "vscode-languageserver-protocol";
import { describeError, endedByRestartOrCancel } from "../../src/common/requestErrors";

test("requests dropped by a restart or cancelled end quietly; real failures do not", () => {
  const disposed = new ResponseError(
    ErrorCodes.PendingResponseRejected,
    "Pending response rejected since connection got disposed",
  );
  assert.ok(endedByRestartOrCancel(disposed));
  assert.ok(endedByRestartOrCancel(new ResponseError(ErrorCodes.ConnectionInactive, "x")));
  assert.ok(endedByRestartOrCancel(new ResponseError(LSPErrorCodes.RequestCancelled, "x")));
  const failed = new ResponseError(ErrorCodes.InvalidParams, "needs params.dataset");
  assert.ok(!endedByRestartOrCancel(failed));
  assert.ok(!endedByRestartOrCancel(new Error("boom")));
  assert.equal(describeError(failed), "needs params.dataset");
  assert.equal(describeError("plain"), "plain");
});
