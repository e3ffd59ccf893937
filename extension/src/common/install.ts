// Installing the scorelens Python package the VSIX carries into the user's interpreter.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { outputChannel } from "./logging";

export function bundledWheel(extensionPath: string): string | undefined {
  const folder = path.join(extensionPath, "bundled");
  if (!fs.existsSync(folder)) {
    return undefined;
  }
  const wheel = fs.readdirSync(folder).find((name) => name.endsWith(".whl"));
  return wheel === undefined ? undefined : path.join(folder, wheel);
}

/** Runs pip for the user, its output in the ScoreLens log; resolves true on success. */
export function installScorelens(python: string, wheel: string, cwd: string): Thenable<boolean> {
  const channel = outputChannel();
  channel.show(true);
  channel.info(`Installing ${path.basename(wheel)} with ${python} -m pip`);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "Installing scorelens…" },
    () =>
      new Promise<boolean>((resolve) => {
        const pip = spawn(python, ["-m", "pip", "install", "--upgrade", wheel], { cwd });
        pip.stdout.on("data", (chunk: Buffer) => {
          channel.info(chunk.toString().trimEnd());
        });
        pip.stderr.on("data", (chunk: Buffer) => {
          channel.warn(chunk.toString().trimEnd());
        });
        pip.on("error", (error) => {
          channel.error(`pip could not start: ${error.message}`);
          resolve(false);
        });
        pip.on("close", (code) => {
          channel.info(`pip exited with code ${String(code)}`);
          resolve(code === 0);
        });
      }),
  );
}
