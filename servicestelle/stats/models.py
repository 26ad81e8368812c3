"""The statistics store: one row per case, categorical values only (DESIGN.md §6).

A row is keyed by a pseudonym (HMAC of the case id under the keyring's "statistics" key), so a
case's next save overwrites its row and nothing links a row back to its case without that key.
Besides the centre it holds months, a district code, the case status and the codes of the
case's classification, never free text, a name, an exact date, a case id or a blind index
(tests/test_stats_store.py inspects the schema and fails on any other column).

Every release table is a GROUP BY over these columns, up to a million rows at once: so one
table, no joins. A multi-select dimension holds its codes sorted and joined with ";" in one
column ("arbeit;wohnen"); an empty selection is "keine_angabe", so every record counts in
every dimension. A sub-item column is "" when no sub-item was chosen.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped

from servicestelle.catalogue import KEINE_ANGABE
from servicestelle.db import Base, classified

#: Codes joined in one column; ";" never occurs in a code.
SEPARATOR = ";"
#: The code of an empty selection (catalogue.KEINE_ANGABE), in every dimension.
NO_ANSWER = KEINE_ANGABE.code
PSEUDONYM_BYTES = 32
RESPONDENT_TOKEN_BYTES = 16

#: The multi-select code columns, in the order of DOMAIN.md (a): each holds one or more
#: codes joined with SEPARATOR, and "keine_angabe" when nothing was chosen.
CODE_COLUMNS = (
    "grounds",
    "life_areas",
    "forms",
    "level",
    "agg_relevance",
    "interventions",
    "intervention_groups",
    "outcomes",
    "respondent_type",
    "age_band",
    "gender",
    "requester_type",
    "channel",
    "referral_source",
)
#: Sub-item columns: the chosen sub-items joined, "" when none was chosen.
SUB_COLUMNS = ("ground_subs", "life_area_subs")


def _code() -> Mapped[str]:
    return classified("statistical", String(), nullable=False)


class StatsRecord(Base):
    """The statistical figures of one case; rewritten whenever the case is saved."""

    __tablename__ = "stats_records"
    __table_args__ = (
        CheckConstraint("went_to_court IN ('ja', 'nein')", name="went_to_court"),
        CheckConstraint("status IN ('open', 'waiting', 'closed')", name="status"),
        # Every release filters by centre and period: by month of first contact or of closing.
        Index("ix_stats_records_centre_opened", "centre_id", "opened_month"),
        Index("ix_stats_records_centre_closed", "centre_id", "closed_month"),
    )

    #: HMAC-SHA256 of the case id under the "statistics" key: overwritten by the next save
    #: of the same case, links back to no case without the key.
    pseudonym: Mapped[bytes] = classified(
        "pseudonym", LargeBinary(PSEUDONYM_BYTES), primary_key=True
    )
    centre_id: Mapped[int] = classified("none", ForeignKey("centres.id"))
    #: The version of the code lists the codes were derived with (stats.CATALOGUE_VERSION);
    #: `servicestelle stats rebuild` brings older rows to the current one.
    catalogue_version: Mapped[int] = classified("none", Integer)
    #: 'YYYY-MM': the month of first contact, never the day.
    opened_month: Mapped[str] = classified("statistical", String(7))
    closed_month: Mapped[str | None] = classified("statistical", String(7))
    #: A district code of the centre's register, or "keine_angabe"; never the typed place.
    district: Mapped[str] = _code()
    status: Mapped[str] = classified("statistical", String(16))
    grounds: Mapped[str] = _code()
    ground_subs: Mapped[str] = _code()
    life_areas: Mapped[str] = _code()
    life_area_subs: Mapped[str] = _code()
    forms: Mapped[str] = _code()
    level: Mapped[str] = _code()
    agg_relevance: Mapped[str] = _code()
    #: "ja" when the case has an intervention klage_prozessbegleitung, else "nein".
    went_to_court: Mapped[str] = classified("statistical", String(4))
    interventions: Mapped[str] = _code()
    intervention_groups: Mapped[str] = _code()
    outcomes: Mapped[str] = _code()
    respondent_type: Mapped[str] = _code()
    age_band: Mapped[str] = _code()
    gender: Mapped[str] = _code()
    requester_type: Mapped[str] = _code()
    channel: Mapped[str] = _code()
    referral_source: Mapped[str] = _code()
    #: 16 bytes of an HMAC, under the "statistics" key, of the respondent's blind digest:
    #: equal for cases against the same respondent (repeated-respondent counts), NULL when
    #: no respondent was named. Not the case table's blind index, which is short and keyed
    #: apart: the two cannot be joined.
    respondent_token: Mapped[bytes | None] = classified(
        "pseudonym", LargeBinary(RESPONDENT_TOKEN_BYTES)
    )

    def __repr__(self) -> str:
        return f"<StatsRecord centre={self.centre_id} opened={self.opened_month}>"
