// Does an interpreter have a recent enough scorelens package? (No vscode API: unit-tested.)
import { execFile } from "node:child_process";

export interface ScorelensCheck {
  ok: boolean;
  version?: string;
  problem?: string;
}

export const MINIMUM_SCORELENS = "0.1.0";

/** Does `python` have a recent enough scorelens package? `cwd`: where Python starts. */
export function checkScorelens(
  python: string,
  flags: string[] = [],
  cwd?: string,
): Promise<ScorelensCheck> {
  return new Promise((resolve) => {
    execFile(
      python,
      [...flags, "-c", "import scorelens; print(scorelens.__version__)"],
      { timeout: 30000, cwd },
      (error, stdout, stderr) => {
        if (error) {
          const reason = stderr.trim().split("\n").pop() ?? error.message;
          resolve({ ok: false, problem: reason !== "" ? reason : error.message });
          return;
        }
        const version = stdout.trim();
        if (compareVersions(version, MINIMUM_SCORELENS) < 0) {
          resolve({
            ok: false,
            version,
            problem: `scorelens ${version} is older than ${MINIMUM_SCORELENS}`,
          });
          return;
        }
        resolve({ ok: true, version });
      },
    );
  });
}

export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => v.split(".").map((part) => parseInt(part, 10) || 0);
  const [left, right] = [parse(a), parse(b)];
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) {
      return diff;
    }
  }
  return 0;
}
