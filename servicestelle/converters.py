"""URL converters: ids are bounded so that a huge number is a 404, not a database error."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

#: Largest value of a 32-bit signed INTEGER column (PostgreSQL's serial / SQLite's fast path).
MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)
