"""Human feedback logged through the API reaches the editor's trace view."""

from __future__ import annotations

from pathlib import Path

import scorelens
from scorelens.entities import AssessmentSource
from scorelens.lsp import protocol
from tests.lsp.conftest import Session


async def test_logged_feedback_shows_in_the_trace_the_panel_opens(
    lsp: Session, workspace: Path
) -> None:
    rows = await lsp.request(protocol.result_rows, {})
    trace_id = rows["rows"][0]["traceId"]
    scorelens.set_tracking_uri(workspace / ".scorelens")
    scorelens.log_feedback(
        trace_id=trace_id,
        name="helpful",
        value=False,
        rationale="misses the price",
        source=AssessmentSource(source_type="HUMAN", source_id="ana"),
    )
    shown = await lsp.request(protocol.get_trace, {"traceId": trace_id})
    (assessment,) = shown["trace"]["info"]["assessments"]
    assert assessment["assessment_name"] == "helpful"
    assert assessment["feedback"]["value"] is False
    assert assessment["source"] == {"source_type": "HUMAN", "source_id": "ana"}
    assert assessment["rationale"] == "misses the price"
