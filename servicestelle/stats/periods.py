"""Release periods: quarters, half-years and years — nothing else.

Every period is a union of whole quarters, so a figure of any period is the sum of the same
figure over its quarters. The disclosure model (``stats.model``) relies on that: one unknown
per figure and quarter links a year release to its quarter and half-year releases.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from flask_babel import lazy_gettext as _l

#: Years a release may cover (the case dates are bounded the same way).
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100


class PeriodKind(StrEnum):
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"


_QUARTERS_PER = {PeriodKind.QUARTER: 1, PeriodKind.HALF: 2, PeriodKind.YEAR: 4}
_PATTERN = re.compile(r"([0-9]{4})(?:-(Q[1-4]|H[12]))?")


class PeriodError(ValueError):
    """Not a release period; the message is German and names no submitted value."""


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1..4

    @property
    def code(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def months(self) -> tuple[str, str]:
        """First and last month as 'YYYY-MM' (the store's month columns compare as text)."""
        first = 3 * (self.number - 1) + 1
        return f"{self.year}-{first:02d}", f"{self.year}-{first + 2:02d}"


def quarter_of_month(month: str) -> Quarter:
    """The quarter of a 'YYYY-MM' month."""
    return Quarter(int(month[:4]), (int(month[5:7]) - 1) // 3 + 1)


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    year: int
    #: 1..4 for a quarter, 1..2 for a half-year, 1 for a year.
    index: int = 1

    def __post_init__(self) -> None:
        if not EARLIEST_YEAR <= self.year <= LATEST_YEAR:
            raise PeriodError(str(_l("Bitte wählen Sie ein Jahr von 2000 bis 2100.")))
        if not 1 <= self.index <= 4 // _QUARTERS_PER[self.kind]:
            raise PeriodError(str(_l("Diesen Zeitraum gibt es nicht.")))

    @classmethod
    def parse(cls, text: str) -> Period:
        """'2026', '2026-H1' or '2026-Q3'."""
        match = _PATTERN.fullmatch(text.strip())
        if match is None:
            raise PeriodError(
                str(_l("Zeiträume sind Quartale, Halbjahre oder Jahre, z. B. 2026-Q1."))
            )
        year, part = int(match.group(1)), match.group(2)
        if part is None:
            return cls(PeriodKind.YEAR, year)
        kind = PeriodKind.QUARTER if part[0] == "Q" else PeriodKind.HALF
        return cls(kind, year, int(part[1]))

    @property
    def code(self) -> str:
        if self.kind is PeriodKind.YEAR:
            return str(self.year)
        letter = "Q" if self.kind is PeriodKind.QUARTER else "H"
        return f"{self.year}-{letter}{self.index}"

    @property
    def quarters(self) -> tuple[Quarter, ...]:
        size = _QUARTERS_PER[self.kind]
        first = (self.index - 1) * size + 1
        return tuple(Quarter(self.year, number) for number in range(first, first + size))

    @property
    def months(self) -> tuple[str, str]:
        """First and last month as 'YYYY-MM'."""
        quarters = self.quarters
        return quarters[0].months[0], quarters[-1].months[1]

    @property
    def last_day(self) -> date:
        """The period's last calendar day."""
        last_month = self.quarters[-1].number * 3
        return date(self.year, last_month, monthrange(self.year, last_month)[1])

    def has_ended(self, today: date) -> bool:
        """Whether the period is over on ``today`` (the centre's local date, clock.today())."""
        return today > self.last_day

    def overlaps(self, other: Period) -> bool:
        return bool(set(self.quarters) & set(other.quarters))

    def contains(self, other: Period) -> bool:
        return set(other.quarters) <= set(self.quarters)

    def previous(self) -> Period:
        """The comparable period before this one (the quarter, half-year or year before)."""
        if self.kind is PeriodKind.YEAR:
            return Period(self.kind, self.year - 1)
        if self.index > 1:
            return Period(self.kind, self.year, self.index - 1)
        return Period(self.kind, self.year - 1, 4 // _QUARTERS_PER[self.kind])

    def label(self) -> str:
        if self.kind is PeriodKind.YEAR:
            return str(_l("Jahr %(year)s", year=self.year))
        if self.kind is PeriodKind.HALF:
            return str(_l("%(index)s. Halbjahr %(year)s", index=self.index, year=self.year))
        return str(_l("%(index)s. Quartal %(year)s", index=self.index, year=self.year))
