"""Fixtures: the built-ins (challenges included) loaded."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command


@pytest.fixture
def builtins(db: Any) -> None:
    call_command("loadscenarios", stdout=io.StringIO())
