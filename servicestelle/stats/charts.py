"""Horizontal bar charts of one-dimensional release tables, drawn on the server as SVG.

The chart repeats its table (which stays beside it as the accessible data); it is one image
with a title and a description that lists every value. Bars are a dark fill on white, so the
chart reads the same in greyscale; a suppressed figure gets no bar and the label "•" — never
a bar of length 0, which would claim a zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from servicestelle.stats.presentation import SUPPRESSED, TableView

WIDTH = 480
PADDING = 8
ROW_HEIGHT = 52
#: Room to the right of the longest bar for its number.
VALUE_ROOM = 64
BAR_MAX = WIDTH - 2 * PADDING - VALUE_ROOM
#: Labels are drawn on one line above their bar; longer ones are shortened (the table and the
#: description carry them whole).
LABEL_MAX = 52


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | None
    #: Top of the row; the label sits on it, the bar below.
    y: int
    width: float

    @property
    def text(self) -> str:
        return SUPPRESSED if self.value is None else str(self.value)

    @property
    def label_y(self) -> int:
        return self.y + 18

    @property
    def bar_y(self) -> int:
        return self.y + 25

    @property
    def value_x(self) -> float:
        return PADDING + self.width + 6

    @property
    def value_y(self) -> int:
        return self.y + 40


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    desc: str
    bars: tuple[Bar, ...]
    width: int = WIDTH
    padding: int = PADDING
    bar_height: int = 18
    font_size: int = 15

    @property
    def height(self) -> int:
        return len(self.bars) * ROW_HEIGHT + PADDING


def _short(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1].rstrip() + "…"


def bar_chart(table: TableView, period_label: str) -> BarChart | None:
    """The chart of a one-dimensional table (None for a cross table)."""
    if not table.chartable:
        return None
    figures = [(row.label, row.margin.value if row.margin else None) for row in table.rows]
    largest = max((value for _label, value in figures if value is not None), default=0)
    scale = BAR_MAX / largest if largest else 0.0
    bars = tuple(
        Bar(
            label=_short(label),
            value=value,
            y=index * ROW_HEIGHT + PADDING // 2,
            width=round((value or 0) * scale, 1),
        )
        for index, (label, value) in enumerate(figures)
    )
    values = "; ".join(
        f"{label}: {_('nicht veröffentlicht') if value is None else value}"
        for label, value in figures
    )
    return BarChart(
        id=f"diagramm-{table.id}",
        title=_("Balkendiagramm: %(title)s, %(period)s", title=table.title, period=period_label),
        desc=_(
            "Ein waagerechter Balken je Zeile der Tabelle. %(values)s.",
            values=values,
        ),
        bars=bars,
    )
