"""Automatic tracing of the openai SDK: `scorelens.openai.autolog()`."""

from scorelens.openai.autolog import autolog

__all__ = ["autolog"]
