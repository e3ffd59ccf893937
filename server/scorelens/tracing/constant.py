"""MLflow's reserved keys for trace metadata, trace tags, span attributes and token usage.

Same names and values as `mlflow.tracing.constant`, so code reading them ports unchanged and
stored traces carry the keys MLflow's own tools look for.
"""

from __future__ import annotations


class TraceMetadataKey:
    INPUTS = "mlflow.traceInputs"
    OUTPUTS = "mlflow.traceOutputs"
    SOURCE_RUN = "mlflow.sourceRun"
    MODEL_ID = "mlflow.modelId"
    SIZE_STATS = "mlflow.trace.sizeStats"
    # Token usage summed over the trace's spans, as a JSON string.
    TOKEN_USAGE = "mlflow.trace.tokenUsage"
    COST = "mlflow.trace.cost"
    TRACE_USER = "mlflow.trace.user"
    TRACE_SESSION = "mlflow.trace.session"
    SIZE_BYTES = "mlflow.trace.sizeBytes"


class TraceTagKey:
    TRACE_NAME = "mlflow.traceName"
    EVAL_REQUEST_ID = "mlflow.eval.requestId"
    SOURCE_SCORER_NAME = "mlflow.trace.sourceScorer"
    LINKED_PROMPTS = "mlflow.linkedPrompts"


class TokenUsageKey:
    """Keys inside the `mlflow.chat.tokenUsage` span attribute and `trace.info.token_usage`."""

    INPUT_TOKENS = "input_tokens"
    OUTPUT_TOKENS = "output_tokens"
    TOTAL_TOKENS = "total_tokens"
    CACHE_READ_INPUT_TOKENS = "cache_read_input_tokens"
    CACHE_CREATION_INPUT_TOKENS = "cache_creation_input_tokens"

    @classmethod
    def all_keys(cls) -> list[str]:
        return [
            cls.INPUT_TOKENS,
            cls.OUTPUT_TOKENS,
            cls.TOTAL_TOKENS,
            cls.CACHE_READ_INPUT_TOKENS,
            cls.CACHE_CREATION_INPUT_TOKENS,
        ]


class SpanAttributeKey:
    EXPERIMENT_ID = "mlflow.experimentId"
    REQUEST_ID = "mlflow.traceRequestId"
    INPUTS = "mlflow.spanInputs"
    OUTPUTS = "mlflow.spanOutputs"
    SPAN_TYPE = "mlflow.spanType"
    FUNCTION_NAME = "mlflow.spanFunctionName"
    START_TIME_NS = "mlflow.spanStartTimeNs"
    CHAT_TOOLS = "mlflow.chat.tools"
    # {"input_tokens": int, "output_tokens": int, "total_tokens": int} of one LLM call.
    CHAT_USAGE = "mlflow.chat.tokenUsage"
    LLM_COST = "mlflow.llm.cost"
    MODEL = "mlflow.llm.model"
    MODEL_PROVIDER = "mlflow.llm.provider"
    MESSAGE_FORMAT = "mlflow.message.format"


class AssessmentMetadataKey:
    # The run that produced the assessment (an evaluation run).
    SOURCE_RUN_ID = "mlflow.assessment.sourceRunId"
    SCORER_TRACE_ID = "mlflow.assessment.scorerTraceId"


TRACE_REQUEST_ID_PREFIX = "tr-"
ASSESSMENT_ID_PREFIX = "a-"
TRACE_SCHEMA_VERSION = 3
TRACE_SCHEMA_VERSION_KEY = "mlflow.trace_schema.version"


# Streamed responses: one span event per chunk, as MLflow's autologgers record them.
STREAM_CHUNK_EVENT_NAME_FORMAT = "mlflow.chunk.item.{index}"
STREAM_CHUNK_EVENT_VALUE_KEY = "mlflow.chunk.value"
