// The extension's settings, read in one place.
import * as vscode from "vscode";

export const SECTION = "scorelens";

export interface Settings {
  python: string;
  trackingUri: string;
  rescoreOnSave: boolean;
  scorerTimeoutSeconds: number;
}

export function readSettings(scope?: vscode.Uri): Settings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return {
    python: config.get<string>("python", ""),
    trackingUri: config.get<string>("trackingUri", ""),
    rescoreOnSave: config.get<boolean>("rescoreOnSave", true),
    scorerTimeoutSeconds: config.get<number>("scorerTimeoutSeconds", 30),
  };
}

/** Settings that need a new server process when they change. */
export function restartKey(settings: Settings): string {
  return JSON.stringify([settings.python, settings.trackingUri]);
}
