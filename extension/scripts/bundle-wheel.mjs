// Builds the scorelens wheel into bundled/, so the VSIX can install the package for the user.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const extension = dirname(dirname(fileURLToPath(import.meta.url)));
const repo = dirname(extension);
const out = join(extension, "bundled");
const python = process.env.SCORELENS_BUILD_PYTHON ?? "python3";

rmSync(out, { recursive: true, force: true });
mkdirSync(out);
execFileSync(python, ["-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", out, repo], {
  stdio: "inherit",
});
console.log(`bundled ${readdirSync(out).join(", ")}`);
