// The language client writes its own messages as "[Error - 2:02:11 AM] text" lines into one
// plain channel. Read back, they get the log level they name. Pure, so it is unit-tested.

export type Level = "error" | "warn" | "info" | "trace";

const PREFIX = /^\[(Error|Warn|Info|Trace|Debug) +- [^\]]*\] ?([\s\S]*)$/;
const LEVELS: Record<string, Level> = {
  Error: "error",
  Warn: "warn",
  Info: "info",
  Trace: "trace",
  Debug: "trace",
};

export function classifyClientLine(line: string): { level: Level; message: string } {
  const match = PREFIX.exec(line);
  if (match === null) {
    return { level: "info", message: line };
  }
  const message = match[2];
  // The client reports every exit as an error; exit code 0 is the orderly end of a stop or
  // restart (a crash exits non-zero or by a signal).
  if (/^Server process exited with code 0\.?$/.test(message.trim())) {
    return { level: "info", message: "Server process exited normally (code 0)." };
  }
  return { level: LEVELS[match[1]] ?? "info", message };
}
