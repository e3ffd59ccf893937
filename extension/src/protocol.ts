// ScoreLens's custom LSP protocol: every request and notification, with its payload types.
// This file mirrors `server/scorelens/lsp/protocol.py` name for name; tests on both sides fail
// when the two drift apart. Callers use the typed `requests` and `notifications` at the end, so
// params and results are checked by the compiler, never a bare method string.
import { NotificationType, RequestType } from "vscode-languageserver-protocol";

// -- shared shapes ------------------------------------------------------------------------------

export interface TraceSet {
  runId: string | null; // null: every trace in the store
  traceCount: number;
}

export interface RunInfo {
  runId: string;
  name: string;
  startTime: number; // ms since the epoch
  status: string;
  traceCount: number;
}

export interface Aggregate {
  name: string;
  value: number;
  previous: number | null;
}

export interface ScorerSummary {
  uri: string;
  name: string;
  line: number;
  hash: string;
  state: "unscored" | "scored" | "error" | "running" | "untrusted";
  scored: number;
  total: number;
  errors: number;
  passed: number | null;
  failed: number | null;
  aggregates: Aggregate[];
  message: string | null;
  stale: boolean;
}

export interface ScorerRef {
  uri: string;
  name: string;
}

export interface Cell {
  value: unknown;
  rationale: string | null;
  error: string | null;
  previous: unknown;
  previousError: string | null;
  changed: boolean;
}

export interface ResultRow {
  traceId: string;
  inputPreview: string;
  outputPreview: string;
  state: string;
  cells: Record<string, Cell>; // by column key, "<scorer file uri>#<scorer name>"
}

// -- requests (client -> server) ----------------------------------------------------------------
// Requests without a params interface take an empty object: always send one, so the request is
// well-formed for any server (the ScoreLens server also answers one without params).
export type NoParams = Record<string, never>;

export const LIST_RUNS = "scorelens/listRuns";

export interface ListRunsResult {
  runs: RunInfo[];
  active: TraceSet;
}

export const LIST_SCORERS = "scorelens/listScorers";

export interface ListScorersResult {
  scorers: ScorerSummary[];
}

export const LIST_APPS = "scorelens/listApps";

export interface AppInfo {
  uri: string;
  name: string;
  line: number;
  reference: string;
}

export interface ListAppsResult {
  apps: AppInfo[];
}

export const SELECT_TRACE_SET = "scorelens/selectTraceSet";

export interface SelectTraceSetParams {
  runId: string | null;
}

export const RESCORE = "scorelens/rescore";

export interface RescoreParams {
  uri?: string;
  name?: string;
}

export interface RescoreResult {
  scorers: ScorerSummary[];
}

export const GENERATE_TRACES = "scorelens/generateTraces";

export interface GenerateTracesParams {
  dataset: string;
  app: string;
}

export interface GenerateTracesResult {
  runId: string;
  traceCount: number;
  failed: number;
}

export const RESULT_ROWS = "scorelens/resultRows";

export type RowFilter = "all" | "failing" | "errors" | "changed";

export interface ResultRowsParams {
  scorers?: ScorerRef[];
  offset?: number;
  limit?: number;
  filter?: RowFilter;
  sortBy?: string | null; // a column key
  descending?: boolean;
}

export interface Bucket {
  label: string;
  count: number;
}

export interface ResultRowsResult {
  total: number;
  offset: number;
  rows: ResultRow[];
  columns: ScorerSummary[];
  distributions: Record<string, Bucket[]>; // by column key
}

export const GET_TRACE = "scorelens/getTrace";

export interface GetTraceParams {
  traceId: string;
}

export interface SpanData {
  trace_id: string;
  span_id: string;
  parent_id: string | null;
  name: string;
  span_type: string;
  start_time_ns: number;
  end_time_ns: number | null;
  status: { code: string; message: string };
  inputs: unknown;
  outputs: unknown;
  attributes: Record<string, unknown>;
  events: { name: string; timestamp_ns: number; attributes: Record<string, unknown> }[];
}

// An assessment as MLflow's `Assessment.to_dictionary()` writes it: scorer feedback, human
// labels (log_feedback) and expectations.
export interface AssessmentData {
  assessment_id?: string;
  assessment_name: string;
  source: { source_type: string; source_id?: string };
  feedback?: { value?: unknown; error?: { error_code?: string; error_message?: string } };
  expectation?: {
    value?: unknown;
    serialized_value?: { serialization_format: string; value: string };
  };
  rationale?: string;
}

export interface TraceData {
  info: {
    trace_id: string;
    experiment_id: string;
    run_id: string | null;
    request_time: number;
    execution_duration: number | null;
    state: string;
    expectations: Record<string, unknown>;
    tags: Record<string, string>;
    assessments?: AssessmentData[];
  };
  spans: SpanData[];
}

export interface GetTraceResult {
  trace: TraceData;
}

export const CLEAR_RESULTS = "scorelens/clearResults";

export interface ClearResultsResult {
  cleared: number;
}

// -- notifications (server -> client) -----------------------------------------------------------

export const SCORES_CHANGED = "scorelens/scoresChanged";

export interface ScoresChangedParams {
  uri: string;
  changed: ScorerSummary[];
  durationMs: number;
  workerCalled: boolean;
}

export const STATUS = "scorelens/status";

export interface StatusParams {
  state: "ready" | "running" | "error";
  message: string;
  traceSet: TraceSet;
}

export const REQUESTS = [
  LIST_RUNS,
  LIST_SCORERS,
  LIST_APPS,
  SELECT_TRACE_SET,
  RESCORE,
  GENERATE_TRACES,
  RESULT_ROWS,
  GET_TRACE,
  CLEAR_RESULTS,
] as const;
export const NOTIFICATIONS = [SCORES_CHANGED, STATUS] as const;

// The typed declarations every caller uses: one per method, params and result together.
export const requests = {
  listRuns: new RequestType<NoParams, ListRunsResult, void>(LIST_RUNS),
  listScorers: new RequestType<NoParams, ListScorersResult, void>(LIST_SCORERS),
  listApps: new RequestType<NoParams, ListAppsResult, void>(LIST_APPS),
  selectTraceSet: new RequestType<SelectTraceSetParams, TraceSet, void>(SELECT_TRACE_SET),
  rescore: new RequestType<RescoreParams, RescoreResult, void>(RESCORE),
  generateTraces: new RequestType<GenerateTracesParams, GenerateTracesResult, void>(
    GENERATE_TRACES,
  ),
  resultRows: new RequestType<ResultRowsParams, ResultRowsResult, void>(RESULT_ROWS),
  getTrace: new RequestType<GetTraceParams, GetTraceResult, void>(GET_TRACE),
  clearResults: new RequestType<NoParams, ClearResultsResult, void>(CLEAR_RESULTS),
} as const;

export const notifications = {
  scoresChanged: new NotificationType<ScoresChangedParams>(SCORES_CHANGED),
  status: new NotificationType<StatusParams>(STATUS),
} as const;

// Client-side commands the server puts on code lenses; registered by the extension only.
// The score command takes RescoreParams: one scorer ({uri, name}) or a whole file ({uri}).
export const LENS_SCORE_COMMAND = "scorelens.lens.score";
export const LENS_SHOW_RESULTS_COMMAND = "scorelens.lens.showResults";
// The palette's Generate Traces…, on a scorer's lens while there is nothing to score.
export const LENS_GENERATE_COMMAND = "scorelens.generateTraces";
