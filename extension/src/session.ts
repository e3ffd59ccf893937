// The language server's lifecycle in this window: find Python, check scorelens, start, restart.
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { bundledWheel, installScorelens } from "./common/install";
import { log, logError } from "./common/logging";
import { processFolder } from "./common/processFolder";
import { findInterpreter, onInterpreterChange } from "./common/python";
import { checkScorelens } from "./common/scorelensCheck";
import { createClient } from "./common/server";
import { readSettings, restartKey, SECTION } from "./common/settings";
import { notifications, type ScoresChangedParams, type StatusParams } from "./protocol";

export interface SessionEvents {
  onStatus(status: StatusParams): void;
  onScoresChanged(change: ScoresChangedParams): void;
  onStopped(reason: string): void;
}

export class Session implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<void> | undefined;
  private settingsKey = "";
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly events: SessionEvents,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((change) => {
        if (!change.affectsConfiguration(SECTION)) {
          return;
        }
        if (this.needsRestart()) {
          void this.restart("settings changed");
        } else {
          // The server pulls the new values (workspace/configuration) when told they changed.
          void this.languageClient?.sendNotification("workspace/didChangeConfiguration", {
            settings: null,
          });
        }
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        void this.restart("workspace trusted");
      }),
    );
    void onInterpreterChange(() => {
      if (readSettings().python === "") {
        void this.restart("the selected Python interpreter changed");
      }
    }).then((disposable) => this.disposables.push(disposable));
  }

  get languageClient(): LanguageClient | undefined {
    return this.client?.isRunning() ? this.client : undefined;
  }

  private needsRestart(): boolean {
    return restartKey(readSettings(this.folder()?.uri)) !== this.settingsKey;
  }

  private folder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
  }

  start(): Promise<void> {
    this.starting ??= this.doStart().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const folder = this.folder();
    if (folder === undefined) {
      this.events.onStopped("Open a folder to use ScoreLens");
      return;
    }
    this.settingsKey = restartKey(readSettings(folder.uri));
    const python = await findInterpreter(folder.uri);
    log(`Python interpreter: ${python}`);
    const cwd = await processFolder(this.context);
    const check = await checkScorelens(python, [], cwd);
    if (!check.ok) {
      // Not awaited: installing restarts the session, which must not wait on this start.
      void this.offerInstall(python, check.problem ?? "scorelens is missing", cwd);
      return;
    }
    log(`scorelens ${check.version ?? "?"} found`);
    const client = createClient(python, folder, cwd);
    client.onNotification(notifications.status, (params) => {
      this.events.onStatus(params);
    });
    client.onNotification(notifications.scoresChanged, (params) => {
      this.events.onScoresChanged(params);
    });
    this.client = client;
    try {
      await client.start();
      log("ScoreLens server started");
    } catch (error) {
      logError(`The ScoreLens server failed to start: ${String(error)}`);
      this.events.onStopped("server failed to start");
    }
  }

  private async offerInstall(python: string, problem: string, cwd: string): Promise<void> {
    const message = `ScoreLens needs the scorelens package in ${python}: ${problem}`;
    logError(message);
    this.events.onStopped("scorelens is not installed");
    const wheel = bundledWheel(this.context.extensionPath);
    if (wheel === undefined) {
      void vscode.window.showErrorMessage(message, "Show Log").then((choice) => {
        if (choice) {
          vscode.commands.executeCommand("scorelens.showLog");
        }
      });
      return;
    }
    const choice = await vscode.window.showErrorMessage(message, "Install scorelens", "Show Log");
    if (choice === "Show Log") {
      void vscode.commands.executeCommand("scorelens.showLog");
    } else if (choice === "Install scorelens") {
      if (await installScorelens(python, wheel, cwd)) {
        await this.restart("scorelens installed");
      } else {
        void vscode.window.showErrorMessage("Installing scorelens failed; see the ScoreLens log.");
      }
    }
  }

  async restart(reason: string): Promise<void> {
    log(`Restarting the ScoreLens server: ${reason}`);
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop();
      } catch (error) {
        logError(`Stopping the server: ${String(error)}`);
      }
    }
  }

  dispose(): void {
    void this.stop();
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
