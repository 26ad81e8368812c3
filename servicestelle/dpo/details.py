"""Reading the details of stored entries without trusting them.

The library writes canonical JSON objects, but the database role can insert rows around it:
``"[1]"``, ``"{"`` or ``{"reviewed_seq": true}`` must not stop a page, nor be taken for data.
Every read of details in the workspace goes through here.
"""

from __future__ import annotations

import json

from audit import Entry


def safe_details(entry: Entry) -> dict[str, object]:
    """The entry's details as a dict; {} for anything that is not a JSON object."""
    try:
        loaded = json.loads(entry.details)
    except (TypeError, ValueError, RecursionError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def int_detail(details: dict[str, object], key: str) -> int | None:
    """An integer detail; None when missing or of another type (a bool is no number here)."""
    value = details.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def code_detail(details: dict[str, object], key: str) -> str | None:
    """A text detail (a code); None when missing or of another type."""
    value = details.get(key)
    return value if isinstance(value, str) else None
