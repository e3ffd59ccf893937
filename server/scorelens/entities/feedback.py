"""Kept for imports written before Feedback moved to `scorelens.entities.assessment`."""

from scorelens.entities.assessment import Feedback, describe_exception

__all__ = ["Feedback", "describe_exception"]
