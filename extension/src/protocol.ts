// ScoreLens's custom LSP protocol: every request and notification, with its payload types.
// Declared once on each side: here and in `server/scorelens/lsp/protocol.py`, side by side, in
// the same order. extension/test/unit/protocol.test.ts and tests/test_protocol_mirror.py compare
// the two structurally (methods, type names, field names, field types, optionality) and fail on
// any drift. Callers use the typed `requests` and `notifications`, never a bare method string.
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

export type ScorerState = "unscored" | "scored" | "error" | "running" | "untrusted";

// The model calls a scorer version made on the active traces.
export interface JudgeUsage {
  calls: number;
  newCalls: number; // not answered from the judge-call cache: requests that reached the model
  tokens: number; // input and output
  costUsd: number | null; // null: a model without a known price
}

// How the scorer's values agree with people's labels of the active traces; only labels that
// give a verdict count (not "unsure").
export interface AgreementData {
  agree: number;
  total: number; // labelled traces the scorer has a result for
  abstained: number; // of those, where the scorer failed or gave no verdict (not agreeing)
  previousAgree: number | null; // the previous version's agree count on the same labels
  disagreeing: string[]; // trace ids, the first 20
}

export interface ScorerSummary {
  uri: string;
  name: string;
  line: number;
  hash: string;
  state: ScorerState;
  scored: number;
  total: number;
  errors: number;
  passed: number | null;
  failed: number | null;
  aggregates: Aggregate[];
  message: string | null;
  stale: boolean;
  judge: JudgeUsage | null; // null: the scorer called no model
  agreement: AgreementData | null; // null: no active trace has a label for the scorer's Feedback
}

export interface ScorerRef {
  uri: string;
  name: string;
}

// A person's label: the verdict a scorer should give on a trace (a HUMAN feedback of the
// scorer's name, as MLflow stores one).
export interface LabelData {
  value: unknown; // true/false for pass/fail, else a number or text; null when unsure
  unsure: boolean;
  note: string | null;
  user: string;
}

export interface Cell {
  feedbackName: string; // the Feedback the cell shows; labels belong to this name
  value: unknown;
  rationale: string | null;
  error: string | null;
  previous: unknown;
  previousError: string | null;
  changed: boolean;
  label: LabelData | null; // a person's label of this trace for its Feedback's name
  agrees: boolean | null; // the value agrees with the label; null: no label, or "unsure"
  flipped: boolean; // agrees with the label now and did not under the previous version, or back
}

export interface ResultRow {
  traceId: string;
  inputPreview: string;
  outputPreview: string;
  state: string;
  cells: Record<string, Cell>; // by column key, "<scorer file uri>#<scorer name>"
}

// -- the trace, as MLflow writes it (Trace.to_dict() on the server) -------------------------------

export interface SpanStatus {
  code: string;
  message: string;
}

export interface SpanEventData {
  name: string;
  timestamp_ns: number;
  attributes: Record<string, unknown>;
}

export interface SpanData {
  trace_id: string;
  span_id: string;
  parent_id: string | null;
  name: string;
  span_type: string;
  start_time_ns: number;
  end_time_ns: number | null;
  status: SpanStatus;
  inputs: unknown;
  outputs: unknown;
  attributes: Record<string, unknown>;
  events: SpanEventData[];
}

export interface AssessmentSourceData {
  source_type: string; // HUMAN, LLM_JUDGE, CODE
  source_id?: string;
}

export interface AssessmentErrorData {
  error_code: string;
  error_message?: string;
  stack_trace?: string;
}

export interface FeedbackData {
  value: unknown;
  error?: AssessmentErrorData;
}

export interface SerializedValue {
  serialization_format: string;
  value: string;
}

export interface ExpectationData {
  value?: unknown;
  serialized_value?: SerializedValue;
}

// An assessment as MLflow's `Assessment.to_dictionary()` writes it: scorer feedback, human
// labels (log_feedback) and expectations.
export interface AssessmentData {
  assessment_id?: string;
  assessment_name: string;
  trace_id: string;
  source: AssessmentSourceData;
  create_time: string; // RFC 3339
  last_update_time: string;
  span_id?: string;
  feedback?: FeedbackData;
  expectation?: ExpectationData;
  rationale?: string;
  metadata?: Record<string, string>;
  overrides?: string;
  valid?: boolean;
}

export interface TraceInfoData {
  trace_id: string;
  experiment_id: string;
  run_id: string | null;
  request_time: number; // ms since the epoch
  execution_duration: number | null; // ms
  state: string;
  expectations: Record<string, unknown>;
  tags: Record<string, string>;
  trace_metadata?: Record<string, string>;
  client_request_id?: string;
  request_preview?: string;
  response_preview?: string;
  assessments?: AssessmentData[];
}

export interface TraceData {
  info: TraceInfoData;
  spans: SpanData[];
}

// -- requests (client -> server) ----------------------------------------------------------------

// The params of a request that needs none: an empty object. Always send one, so the request is
// well-formed for any server (the ScoreLens server also answers one without params).
export type NoParams = Record<string, never>;

export interface ListRunsResult {
  runs: RunInfo[];
  active: TraceSet;
}

export interface AppInfo {
  uri: string;
  name: string;
  line: number;
  reference: string; // what `generateTraces` takes as `app`: "path/to/file.py:function"
}

export interface ListAppsResult {
  apps: AppInfo[];
}

export interface SelectTraceSetParams {
  runId: string | null; // null: every trace in the store
}

// Also the argument of the `scorelens.lens.score` lens command.
export interface RescoreParams {
  uri?: string; // a scorer file; omitted: every scorer file in the workspace
  name?: string; // one scorer of that file; omitted: all of them
}

export interface RescoreResult {
  scorers: ScorerSummary[];
}

export interface GenerateTracesParams {
  dataset: string; // a path, absolute or relative to the workspace
  app: string; // module:function or path.py:function
}

export interface GenerateTracesResult {
  runId: string;
  traceCount: number;
  failed: number;
}

export type RowFilter = "all" | "failing" | "errors" | "changed" | "disagrees" | "unlabelled";

export interface ResultRowsParams {
  scorers?: ScorerRef[]; // the panel's columns; omitted: every known scorer
  offset?: number;
  limit?: number;
  filter?: RowFilter;
  sortBy?: string | null; // a column key ("<uri>#<name>"); omitted: trace order
  descending?: boolean;
}

export interface Bucket {
  label: string; // "pass", "fail", a value, or a numeric range "10–20"
  count: number;
}

export interface ResultRowsResult {
  total: number; // rows matching the filter
  offset: number;
  rows: ResultRow[];
  columns: ScorerSummary[];
  distributions: Record<string, Bucket[]>; // by column key, over every active trace
}

export interface GetTraceParams {
  traceId: string;
}

export interface GetTraceResult {
  trace: TraceData;
}

export interface ClearResultsResult {
  cleared: number;
}

export interface ClearJudgeCacheResult {
  cleared: number; // cached model answers forgotten
}

export interface TraceResultsParams {
  traceId: string;
}

// What one scorer said about one trace, with the model calls it made for it.
export interface ScorerResult {
  uri: string;
  name: string;
  feedbackName: string; // the Feedback's own name; labels belong to this name
  value: unknown;
  rationale: string | null;
  error: string | null;
  durationMs: number | null;
  judge: SpanData[]; // the scorer's model calls on this trace, as CHAT_MODEL spans
  label: LabelData | null; // a person's label of this trace for its Feedback's name
}

// Label a trace for every scorer of this name; `clear` takes the user's label away.
export interface SetLabelParams {
  traceId: string;
  scorer: string;
  value: unknown;
  unsure?: boolean;
  note?: string | null;
  clear?: boolean;
}

export interface SetLabelResult {
  label: LabelData | null; // what the trace's label is now (another person's, after a clear)
}

export interface MlflowExperimentsParams {
  trackingUri: string; // an MLflow tracking server (http://host:port) or store (sqlite:///...)
}

export interface MlflowExperiment {
  id: string;
  name: string;
}

export interface MlflowExperimentsResult {
  experiments: MlflowExperiment[];
}

export interface PullFromMlflowParams {
  trackingUri: string;
  experimentId: string;
}

// The pulled run, which is then the active trace set.
export interface PullFromMlflowResult {
  runId: string;
  newTraces: number;
  totalTraces: number;
  source: string; // e.g. "mlflow support @ host:5000", the run's name
}

export interface TraceResultsResult {
  results: ScorerResult[]; // every scorer of the workspace with a result for the trace
}

export const requests = {
  listRuns: new RequestType<NoParams, ListRunsResult, void>("scorelens/listRuns"),
  listApps: new RequestType<NoParams, ListAppsResult, void>("scorelens/listApps"),
  selectTraceSet: new RequestType<SelectTraceSetParams, TraceSet, void>("scorelens/selectTraceSet"),
  rescore: new RequestType<RescoreParams, RescoreResult, void>("scorelens/rescore"),
  generateTraces: new RequestType<GenerateTracesParams, GenerateTracesResult, void>(
    "scorelens/generateTraces",
  ),
  resultRows: new RequestType<ResultRowsParams, ResultRowsResult, void>("scorelens/resultRows"),
  getTrace: new RequestType<GetTraceParams, GetTraceResult, void>("scorelens/getTrace"),
  clearResults: new RequestType<NoParams, ClearResultsResult, void>("scorelens/clearResults"),
  clearJudgeCache: new RequestType<NoParams, ClearJudgeCacheResult, void>(
    "scorelens/clearJudgeCache",
  ),
  traceResults: new RequestType<TraceResultsParams, TraceResultsResult, void>(
    "scorelens/traceResults",
  ),
  setLabel: new RequestType<SetLabelParams, SetLabelResult, void>("scorelens/setLabel"),
  mlflowExperiments: new RequestType<MlflowExperimentsParams, MlflowExperimentsResult, void>(
    "scorelens/mlflowExperiments",
  ),
  pullFromMlflow: new RequestType<PullFromMlflowParams, PullFromMlflowResult, void>(
    "scorelens/pullFromMlflow",
  ),
} as const;

// -- notifications (server -> client) -----------------------------------------------------------

// A scoring run of one file changed figures. When it ends: the scorers whose figures it
// changed. While a run lasts past 1 s, every 0.5 s as results come in: every scorer of the
// file, the running ones with their figures so far.
export interface ScoresChangedParams {
  uri: string;
  changed: ScorerSummary[];
  durationMs: number;
  workerCalled: boolean;
  running: boolean; // the run goes on: these are figures so far
}

// The server's state or the active trace set changed (also after Clear Results).
export interface StatusParams {
  state: "ready" | "running" | "error";
  message: string;
  traceSet: TraceSet;
}

export const notifications = {
  scoresChanged: new NotificationType<ScoresChangedParams>("scorelens/scoresChanged"),
  status: new NotificationType<StatusParams>("scorelens/status"),
} as const;

// Client-side commands the server puts on code lenses; registered by the extension only.
// The score command takes RescoreParams: one scorer ({uri, name}) or a whole file ({uri}).
export const LENS_SCORE_COMMAND = "scorelens.lens.score";
export const LENS_SHOW_RESULTS_COMMAND = "scorelens.lens.showResults";
// The palette's Generate Traces…, on a scorer's lens while there is nothing to score.
export const LENS_GENERATE_COMMAND = "scorelens.generateTraces";
