"""The two kinds of error (after h11): the operator asked for something invalid.

A peer or packet that misbehaves is never an exception: it becomes an event in the trace.
"""

from __future__ import annotations


class LabError(Exception):
    """Base class for every error the engine raises on purpose."""


class SpecError(LabError):
    """A scenario or topology is invalid; `path` names the offending field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


class CommandError(LabError):
    """An operator command cannot be applied; the simulation is unchanged."""
