// Sending a typed request to the server from a command: an answer, or one clear non-modal error.
import * as vscode from "vscode";
import type { LanguageClient, RequestType } from "vscode-languageclient/node";
import { log, logError } from "./logging";
import { describeError, endedByRestartOrCancel } from "./requestErrors";

/** The result, or undefined when the request failed (reported) or ended with a restart (not). */
export async function ask<P, R>(
  client: LanguageClient,
  type: RequestType<P, R, void>,
  params: P,
  what: string,
  token?: vscode.CancellationToken,
): Promise<R | undefined> {
  try {
    return await (token === undefined
      ? client.sendRequest(type, params)
      : client.sendRequest(type, params, token));
  } catch (error) {
    if (token?.isCancellationRequested === true || endedByRestartOrCancel(error)) {
      log(`${what}: ended without an answer (${describeError(error)})`);
      return undefined;
    }
    const message = `ScoreLens: ${what} failed: ${describeError(error)}`;
    logError(message);
    void vscode.window.showErrorMessage(message, "Show Log").then((choice) => {
      if (choice !== undefined) {
        void vscode.commands.executeCommand("scorelens.showLog");
      }
    });
    return undefined;
  }
}
