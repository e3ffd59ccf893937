import assert from "node:assert/strict";
import { test } from "node:test";
import { chatTools, tokenUsage, traceTokenUsage } from "../../src/webview/trace/attributes";
import {
  contentText,
  extractConversation,
  prettyArguments,
  spanTurns,
  type Conversation,
  type Turn,
} from "../../src/webview/trace/conversation";
import { completionSpan, span } from "./traceFixtures";

function chat(conversation: Conversation | undefined): Extract<Conversation, { kind: "chat" }> {
  if (conversation?.kind !== "chat") {
    return assert.fail(`not a chat: ${JSON.stringify(conversation)}`);
  }
  return conversation;
}

// The turns in a line each: role[reply] text {calls} <- tool result.
function outline(turns: Turn[]): string[] {
  return turns.map((t) => {
    const calls = t.toolCalls.map((c) => `${c.name}(${c.arguments})#${c.id ?? "-"}`).join(",");
    return (
      `${t.role}${t.reply ? "*" : ""}: ${t.text}` +
      (calls !== "" ? ` {${calls}}` : "") +
      (t.toolCallId !== null ? ` <- ${t.toolName ?? "?"}#${t.toolCallId}` : "")
    );
  });
}

const TOOLS = [
  {
    type: "function",
    function: { name: "lookup", description: "Finds a product", parameters: { type: "object" } },
  },
];

test("chat completions: history, tool calls, tool results named by their call, and the reply", () => {
  const chatSpan = completionSpan(
    "c1",
    "root",
    [
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: "How much is a microwave?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "lookup", arguments: '{"q":"microwave"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "$89 to $249" },
    ],
    { content: "They cost $89 to $249." },
    { attributes: { "mlflow.chat.tools": TOOLS } },
  );
  const conversation = chat(extractConversation([span("root", null, { end: 10 }), chatSpan]));
  assert.equal(conversation.spanId, "c1");
  assert.equal(conversation.spanName, "Completions");
  assert.deepEqual(outline(conversation.turns), [
    "system: You are a helpful assistant.",
    "user: How much is a microwave?",
    'assistant:  {lookup({"q":"microwave"})#call_1}',
    "tool: $89 to $249 <- lookup#call_1",
    "assistant*: They cost $89 to $249.",
  ]);
  assert.deepEqual(conversation.tools, [{ name: "lookup", description: "Finds a product" }]);
});

test("a reply that calls tools, content parts, and the older function calling", () => {
  const turns = spanTurns(
    completionSpan(
      "c",
      null,
      [
        {
          role: "user",
          content: [
            { type: "text", text: "What is in this picture?" },
            { type: "image_url", image_url: { url: "data:..." } },
          ],
        },
        { role: "assistant", content: "", function_call: { name: "old", arguments: "{}" } },
        { role: "function", name: "old", content: "done" },
      ],
      {
        content: null,
        tool_calls: [
          { id: "a", type: "function", function: { name: "f", arguments: "{}" } },
          { id: "b", type: "function", function: { name: "g", arguments: { x: 1 } } },
        ],
      },
    ),
  );
  assert.deepEqual(outline(turns ?? []), [
    "user: What is in this picture?\n[image_url]",
    "assistant:  {old({})#-}",
    "function: done",
    'assistant*:  {f({})#a,g({"x":1})#b}',
  ]);
  assert.equal(turns?.[2]?.toolName, "old");
});

test("Responses API: instructions, input items, function calls and outputs, reasoning", () => {
  const responses = span("r", null, {
    type: "CHAT_MODEL",
    name: "Responses",
    inputs: {
      model: "o4-mini",
      instructions: "Be brief.",
      input: [
        { role: "user", content: [{ type: "input_text", text: "Return my microwave?" }] },
        { type: "function_call", call_id: "c1", name: "policy", arguments: '{"item":"microwave"}' },
        { type: "function_call_output", call_id: "c1", output: "30 days" },
      ],
      tools: [{ type: "function", name: "policy", description: "Return rules" }],
    },
    outputs: {
      object: "response",
      output: [
        {
          type: "reasoning",
          id: "rs",
          summary: [{ type: "summary_text", text: "Policy says 30." }],
        },
        { type: "web_search_call", id: "ws_1", status: "completed", action: { query: "x" } },
        {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text: "Within 30 days.", annotations: [] }],
        },
      ],
      usage: { input_tokens: 8, output_tokens: 28, total_tokens: 36 },
    },
  });
  const conversation = chat(extractConversation([responses]));
  assert.deepEqual(outline(conversation.turns), [
    "system: Be brief.",
    "user: Return my microwave?",
    'assistant:  {policy({"item":"microwave"})#c1}',
    "tool: 30 days <- policy#c1",
    "reasoning*: Policy says 30.",
    'assistant*:  {web_search_call({"action":{"query":"x"}})#ws_1}',
    "assistant*: Within 30 days.",
  ]);
  // Without mlflow.chat.tools, the request's own tools (flat, as the Responses API has them).
  assert.deepEqual(conversation.tools, [{ name: "policy", description: "Return rules" }]);
  assert.deepEqual(tokenUsage(responses), { input: 8, output: 28, total: 36 });
});

test("Responses API: a string input is one user turn", () => {
  const turns = spanTurns(
    span("r", null, {
      type: "CHAT_MODEL",
      inputs: { input: "What is the capital of France?" },
      outputs: { object: "response", output: [] },
    }),
  );
  assert.deepEqual(outline(turns ?? []), ["user: What is the capital of France?"]);
});

test("mlflow.chat.messages, as JSON text or data, is the exchange; its trailing answer the reply", () => {
  const messages = [
    { role: "user", content: "hi" },
    { role: "assistant", content: "hello" },
    { role: "user", content: "bye" },
    { role: "assistant", content: "goodbye" },
  ];
  for (const recorded of [messages, JSON.stringify(messages)]) {
    const turns = spanTurns(
      span("s", null, {
        type: "LLM",
        inputs: { prompt: "ignored: the attribute wins" },
        attributes: { "mlflow.chat.messages": recorded },
      }),
    );
    assert.deepEqual(outline(turns ?? []), [
      "user: hi",
      "assistant: hello",
      "user: bye",
      "assistant*: goodbye",
    ]);
  }
});

test("a multi-turn agent: the last chat call at the root-most depth holds the whole history", () => {
  const first = completionSpan(
    "call-1",
    "agent",
    [{ role: "user", content: "Is it in stock?" }],
    { content: null, tool_calls: [{ id: "t", function: { name: "stock", arguments: "{}" } }] },
    { start: 1, end: 3 },
  );
  const second = completionSpan(
    "call-2",
    "agent",
    [
      { role: "user", content: "Is it in stock?" },
      {
        role: "assistant",
        tool_calls: [{ id: "t", function: { name: "stock", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "t", content: "3 left" },
    ],
    { content: "Yes, 3 left." },
    { start: 5, end: 8 },
  );
  // A model call inside a tool, later still but deeper: not the conversation.
  const nested = completionSpan(
    "judge",
    "tool",
    [{ role: "user", content: "inner" }],
    { content: "inner reply" },
    { start: 9, end: 10 },
  );
  const spans = [
    span("agent", null, { type: "AGENT", end: 12 }),
    nested,
    span("tool", "agent", { type: "TOOL", start: 8.5, end: 11 }),
    second,
    first,
  ];
  const conversation = chat(extractConversation(spans));
  assert.equal(conversation.spanId, "call-2");
  assert.deepEqual(outline(conversation.turns), [
    "user: Is it in stock?",
    "assistant:  {stock({})#t}",
    "tool: 3 left <- stock#t",
    "assistant*: Yes, 3 left.",
  ]);
});

test("no chat span: the root span's inputs and outputs as a request and a response", () => {
  const spans = [
    span("child", "root", { type: "TOOL", inputs: { x: 1 }, outputs: 2 }),
    span("root", null, { type: "CHAIN", name: "pipeline", inputs: { q: "hi" }, outputs: "done" }),
  ];
  assert.deepEqual(extractConversation(spans), {
    kind: "io",
    spanId: "root",
    spanName: "pipeline",
    request: { q: "hi" },
    response: "done",
  });
  assert.equal(extractConversation([]), undefined);
});

test("a chat model span without a request in chat form is no conversation", () => {
  const odd = span("m", null, { type: "CHAT_MODEL", inputs: "plain prompt", outputs: "text" });
  assert.equal(spanTurns(odd), undefined);
  assert.equal(extractConversation([odd])?.kind, "io");
});

test("content of every shape becomes text", () => {
  assert.equal(contentText("plain"), "plain");
  assert.equal(contentText(null), "");
  assert.equal(
    contentText([{ type: "refusal", refusal: "no" }, "raw", { type: "input_file" }]),
    "no\nraw\n[input_file]",
  );
  assert.equal(contentText({ a: 1 }), '{"a":1}');
});

test("tool arguments read indented when they are JSON, as written otherwise", () => {
  assert.equal(prettyArguments('{"q":"x"}'), '{\n  "q": "x"\n}');
  assert.equal(prettyArguments("not json"), "not json");
  assert.equal(prettyArguments("42"), "42");
});

test("token usage: mlflow.chat.tokenUsage (data or JSON text), else the provider's usage", () => {
  const recorded = completionSpan("c", null, [], { content: "x" });
  assert.deepEqual(tokenUsage(recorded), { input: 11, output: 14, total: 25 });
  const asText = span("t", null, {
    attributes: { "mlflow.chat.tokenUsage": '{"input_tokens": 3, "output_tokens": 4}' },
  });
  assert.deepEqual(tokenUsage(asText), { input: 3, output: 4, total: 7 });
  const fromOutputs = span("o", null, {
    outputs: { usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 } },
  });
  assert.deepEqual(tokenUsage(fromOutputs), { input: 5, output: 6, total: 11 });
  assert.equal(tokenUsage(span("none", null)), undefined);
  assert.deepEqual(
    traceTokenUsage({
      "mlflow.trace.tokenUsage": '{"input_tokens": 11, "output_tokens": 14, "total_tokens": 25}',
    }),
    { input: 11, output: 14, total: 25 },
  );
  assert.deepEqual(chatTools(span("none", null)), []);
});
