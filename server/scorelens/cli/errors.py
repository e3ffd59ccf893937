"""The error every command raises for a failure the user can fix: one line, exit status 1."""

from __future__ import annotations


class CliError(Exception):
    pass
