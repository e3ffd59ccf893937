// Times the messages between the workbench (in the browser) and the extension host as they
// cross code-server's websocket: VS Code telling the host a file was saved, the language
// client saying lenses changed, VS Code asking for lenses and getting them. For the
// save-to-lens breakdown only: it reads frames, it changes nothing the editor does.
//
// The wire format is VS Code's own: protocol messages with a 13-byte header (type, id, ack,
// length), whose regular messages carry RPC messages (type, request id, then for a request its
// proxy id and method name). A frame this cannot read is skipped, so a changed format makes
// the breakdown sparse, never the test wrong.

const REGULAR = 1;
const REQUEST_TYPES = new Set([1, 2, 3, 4]);
const REPLY_TYPES = new Set([7, 8, 9, 10, 11, 12]);
const TIMED = new Set([
  "$acceptModelSaved",
  "$onFileEvent",
  "$emitCodeLensEvent",
  "$provideCodeLenses",
  "$resolveCodeLens",
  "$changeMany",
]);
// Requests whose answer is timed too.
const ANSWERED = new Set(["$provideCodeLenses", "$resolveCodeLens"]);

function* rpcMessages(buffer) {
  let offset = 0;
  while (offset + 13 <= buffer.length) {
    const type = buffer.readUInt8(offset);
    const length = buffer.readUInt32BE(offset + 9);
    const start = offset + 13;
    if (start + length > buffer.length) {
      return;
    }
    if (type === REGULAR && length >= 5) {
      yield buffer.subarray(start, start + length);
    }
    offset = start + length;
  }
}

function describe(message) {
  const type = message.readUInt8(0);
  const request = message.readUInt32BE(1);
  if (REQUEST_TYPES.has(type) && message.length >= 7) {
    const size = message.readUInt8(6);
    return { request, method: message.toString("utf8", 7, 7 + size) };
  }
  return REPLY_TYPES.has(type) ? { request, reply: true } : undefined;
}

export function spyOnExtensionHost(page) {
  const events = [];
  // Per direction: request id -> method, for the requests whose answer is timed.
  const asked = { sent: new Map(), received: new Map() };
  const read = (payload, direction) => {
    if (typeof payload === "string") {
      return;
    }
    const at = Date.now();
    const other = direction === "sent" ? "received" : "sent";
    try {
      for (const message of rpcMessages(payload)) {
        const seen = describe(message);
        if (seen?.method !== undefined && TIMED.has(seen.method)) {
          events.push({ at, what: seen.method });
          if (ANSWERED.has(seen.method)) {
            asked[direction].set(seen.request, seen.method);
          }
        } else if (seen?.reply && asked[other].has(seen.request)) {
          events.push({ at, what: `${asked[other].get(seen.request)} answered` });
          asked[other].delete(seen.request);
        }
      }
    } catch {
      // Not a frame of this format (another socket, or a message split across frames).
    }
  };
  page.on("websocket", (socket) => {
    socket.on("framesent", (frame) => read(frame.payload, "sent"));
    socket.on("framereceived", (frame) => read(frame.payload, "received"));
  });
  const since = (start, until = Infinity) =>
    events
      .filter((e) => e.at >= start && e.at <= until)
      .map((e) => ({ ms: e.at - start, what: e.what }));
  return {
    /** What crossed the wire from `start` on, in ms after it. */
    since,
    /** Resolves once `what` crossed the wire after `start`. */
    async waitFor(what, start, timeout = 30000) {
      for (let waited = 0; !since(start).some((e) => e.what === what); waited += 50) {
        if (waited > timeout) {
          throw new Error(`no ${what} within ${timeout} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}
