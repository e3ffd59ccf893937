// Which value of a setting applies, and which interpreter may run the server. Pure (no vscode
// import), so the rules are unit-tested.
import * as path from "node:path";

/** What `WorkspaceConfiguration.inspect` reports for one setting. */
export interface Inspected<T> {
  defaultValue?: T;
  globalValue?: T; // user settings
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

// Settings that name a program or a path. In an untrusted workspace only the user's own
// values count: a workspace must not choose what runs, or where ScoreLens writes.
export const RESTRICTED_IN_UNTRUSTED = ["python", "trackingUri"] as const;

export function effectiveValue<T>(
  inspected: Inspected<T> | undefined,
  fallback: T,
  trusted: boolean,
  restricted: boolean,
): T {
  if (inspected === undefined) {
    return fallback;
  }
  const candidates =
    trusted || !restricted
      ? [
          inspected.workspaceFolderValue,
          inspected.workspaceValue,
          inspected.globalValue,
          inspected.defaultValue,
        ]
      : [inspected.globalValue, inspected.defaultValue];
  return candidates.find((value) => value !== undefined) ?? fallback;
}

function isInside(file: string, folder: string): boolean {
  const relative = path.relative(folder, file);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/**
 * The interpreter for the server: the scorelens.python setting, else the Python extension's
 * selection, else python3. In an untrusted workspace a selection inside the workspace (a
 * virtualenv it ships) is not run.
 */
export function chooseInterpreter(
  configured: string,
  selected: string | undefined,
  workspaceFolders: string[],
  trusted: boolean,
): string {
  if (configured.trim() !== "") {
    return configured.trim();
  }
  if (selected !== undefined && selected !== "") {
    const fromWorkspace = workspaceFolders.some((folder) => isInside(selected, folder));
    if (trusted || !fromWorkspace) {
      return selected;
    }
  }
  return "python3";
}
