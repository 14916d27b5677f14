"""A JSONField whose objects keep their key order, on every database.

PostgreSQL's `jsonb` stores objects with their keys sorted, so a scenario exported after a
round trip would differ from the file that was imported (same content, other order). On
PostgreSQL this field is a `json` column (kept as the text it was given); elsewhere it is
Django's JSONField unchanged.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class OrderedJSONField(models.JSONField):
    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        value = super().get_db_prep_value(value, connection, prepared)
        if connection.vendor == "postgresql":
            from psycopg.types.json import Json, Jsonb

            if isinstance(value, Jsonb):  # sent as json: jsonb would sort the keys
                return Json(value.obj, dumps=value.dumps)
        return value

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is not None and not isinstance(value, str):
            return value  # psycopg decodes a `json` column itself
        return super().from_db_value(value, expression, connection)
