"""Statistics store rows for tests: categorical values straight into the store, no case."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from servicestelle.extensions import db
from servicestelle.stats.models import StatsRecord

#: A moment after every period of 2026 has ended, in the centre's time zone too: drafting
#: refuses a period that has not ended (operations.refuse_unfinished), and the tests draft
#: 2026's quarters, half-years and the year. A Monday morning, like conftest.START.
AFTER_2026 = datetime(2027, 1, 4, 9, 0, 0, tzinfo=UTC)

DEFAULTS: dict[str, Any] = {
    "catalogue_version": 1,
    "opened_month": "2026-02",
    "closed_month": None,
    "district": "keine_angabe",
    "status": "open",
    "grounds": "keine_angabe",
    "ground_subs": "",
    "life_areas": "keine_angabe",
    "life_area_subs": "",
    "forms": "keine_angabe",
    "level": "keine_angabe",
    "agg_relevance": "keine_angabe",
    "went_to_court": "nein",
    "interventions": "keine_angabe",
    "intervention_groups": "keine_angabe",
    "outcomes": "keine_angabe",
    "respondent_type": "keine_angabe",
    "age_band": "keine_angabe",
    "gender": "keine_angabe",
    "requester_type": "keine_angabe",
    "channel": "keine_angabe",
    "referral_source": "keine_angabe",
    "respondent_token": None,
}


def add_records(centre_id: int, count: int = 1, **values: Any) -> None:
    """``count`` records with these values (the rest "keine_angabe"); committed."""
    unknown = set(values) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"no such store column: {sorted(unknown)}")
    for _ in range(count):
        db.session.add(
            StatsRecord(pseudonym=os.urandom(32), centre_id=centre_id, **{**DEFAULTS, **values})
        )
    db.session.commit()
