// The extension's settings, read in one place, by the rules in settingRules.ts.
import * as vscode from "vscode";
import { effectiveValue, RESTRICTED_IN_UNTRUSTED } from "./settingRules";

export const SECTION = "scorelens";

export interface Settings {
  python: string;
  trackingUri: string;
  rescoreOnSave: boolean;
  scorerTimeoutSeconds: number;
}

export function readSettings(scope?: vscode.Uri): Settings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  const trusted = vscode.workspace.isTrusted;
  const restricted = new Set<string>(RESTRICTED_IN_UNTRUSTED);
  const value = <T>(key: keyof Settings, fallback: T): T =>
    effectiveValue(config.inspect<T>(key), fallback, trusted, restricted.has(key));
  return {
    python: value("python", ""),
    trackingUri: value("trackingUri", ""),
    rescoreOnSave: value("rescoreOnSave", true),
    scorerTimeoutSeconds: value("scorerTimeoutSeconds", 30),
  };
}

/** Settings that need a new server process when they change. */
export function restartKey(settings: Settings): string {
  return JSON.stringify([settings.python, settings.trackingUri]);
}
