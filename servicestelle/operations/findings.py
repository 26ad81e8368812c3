"""What a check finds: a status in words (never only a colour), the value, what to do."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from babel.dates import format_date
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from servicestelle.dpo.presentation import local_time


class Status(StrEnum):
    OK = "ok"
    NOTICE = "notice"  # worth knowing, or worth changing when convenient
    WARNING = "warning"  # to be fixed before real cases are entered (or kept)


STATUS_LABELS = {
    Status.OK: _l("in Ordnung"),
    Status.NOTICE: _l("Hinweis"),
    Status.WARNING: _l("Warnung"),
}


@dataclass(frozen=True)
class Finding:
    """One row of the page."""

    key: str  # stable, for anchors and tests
    label: str
    value: str
    status: Status
    advice: str

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    findings: list[Finding]


# --- shared wording ------------------------------------------------------------------------


def when(moment: datetime | None, now: datetime) -> str:
    """The local time and how long ago (``vor 3 Tagen``); ``nie`` without a moment."""
    if moment is None:
        return _("nie")
    days = (now - moment).days
    ago = _("heute") if days < 1 else ngettext("vor %(num)s Tag", "vor %(num)s Tagen", days)
    return f"{local_time(moment)} ({ago})"


def day(value: date) -> str:
    """A calendar day in the reader's language (``01.10.2027``)."""
    return format_date(value, "medium", locale=str(get_locale() or "de"))


def older_than(moment: datetime | None, now: datetime, days: int) -> bool:
    return moment is None or (now - moment).days >= days


@dataclass(frozen=True)
class FileState:
    """What the page may say about a file holding a secret: where, whether, how protected."""

    path: Path
    exists: bool
    private: bool  # neither group nor others may read or write it

    @classmethod
    def of(cls, path: Path) -> FileState:
        try:
            mode = path.stat().st_mode
        except OSError:
            return cls(path, exists=False, private=False)
        return cls(path, exists=True, private=not mode & (stat.S_IRWXG | stat.S_IRWXO))

    def describe(self) -> str:
        if not self.exists:
            return _("%(path)s (fehlt)", path=self.path)
        if self.private:
            return _("%(path)s (nur für den Dienst lesbar)", path=self.path)
        return _("%(path)s (auch für andere lesbar)", path=self.path)


def file_finding(key: str, label: str, state: FileState, *, missing_advice: str) -> Finding:
    """A secret's file: ok when it exists and only its owner may read it."""
    if not state.exists:
        return Finding(key, label, state.describe(), Status.WARNING, missing_advice)
    if not state.private:
        return Finding(
            key,
            label,
            state.describe(),
            Status.WARNING,
            _(
                "Gruppe oder andere Benutzer des Servers dürfen die Datei lesen. Beschränken Sie sie mit chmod 600 auf das Konto des Dienstes."
            ),
        )
    return Finding(
        key,
        label,
        state.describe(),
        Status.OK,
        _("Nur das Konto des Dienstes darf die Datei lesen."),
    )
