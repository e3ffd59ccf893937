// Two bundles: the extension host side (Node, CommonJS) and the results panel's webview script.
import { build } from "esbuild";

const common = { bundle: true, minify: false, sourcemap: true, logLevel: "info" };

await build({
  ...common,
  entryPoints: ["src/extension.ts"],
  outfile: "dist/extension.js",
  platform: "node",
  format: "cjs",
  target: "node18",
  external: ["vscode"],
});

await build({
  ...common,
  entryPoints: ["src/webview/main.ts"],
  outfile: "dist/webview.js",
  platform: "browser",
  format: "iife",
  target: "es2020",
});
