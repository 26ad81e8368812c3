"""URL converters and numbers from query strings: ids are bounded so that a huge number is a
404 (or the form's refusal), not a database error."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map, ValidationError

#: Largest value of a 32-bit signed INTEGER column (PostgreSQL's serial / SQLite's fast path).
MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        # Out of range is no object, a 404. Refusing the value here instead makes werkzeug's
        # matcher answer 405 when another rule of the same path takes another method.
        try:
            return int(super().to_python(value))
        except ValidationError:
            return 0


#: Digits a number from a query string or form may have: 9 fit any INTEGER column.
MAX_DIGITS = 9


def small_int(raw: str | None) -> int | None:
    """A whole number ≥ 0 of at most MAX_DIGITS ASCII digits (an id, a year) from text a
    client sent; None for anything else. ``str.isdigit`` alone lets "²" through, which
    ``int`` refuses, and an unbounded number overflows the database's integer."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= MAX_DIGITS:
        return int(raw)
    return None
