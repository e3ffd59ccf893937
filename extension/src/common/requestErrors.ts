// Which failed requests a user needs to hear about. Pure, so it is unit-tested.
import { ErrorCodes, LSPErrorCodes, ResponseError } from "vscode-languageserver-protocol";

// A restart or reload drops the connection under requests in flight, and a cancelled request
// was cancelled on purpose: neither is news to the user.
const QUIET_CODES = new Set<number>([
  ErrorCodes.PendingResponseRejected,
  ErrorCodes.ConnectionInactive,
  LSPErrorCodes.RequestCancelled,
]);

export function endedByRestartOrCancel(error: unknown): boolean {
  return error instanceof ResponseError && QUIET_CODES.has(error.code);
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}
