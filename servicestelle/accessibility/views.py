"""/barrierefreiheit: the accessibility statement, reachable without a login."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from importlib import metadata

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from servicestelle import services
from servicestelle.config import AccessibilityEnforcement

bp = Blueprint("accessibility", __name__)

#: The statement describes this version of the software, so its dates travel with the code:
#: with every release, walk the pages again (axe-core checks in tests/browser, keyboard only),
#: update the known barriers in templates/accessibility/statement.html and this date.
STATEMENT_PREPARED_ON = date(2026, 12, 6)
STATEMENT_REVIEWED_ON = date(2026, 12, 6)

_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class EnforcementBody:
    """Where a user turns when the operator leaves a reported barrier unresolved."""

    #: German proper name (shown as such, marked lang="de", in every interface language).
    name: str
    legal_basis: str
    #: Postal address lines, e-mail and web site as published by the body.
    address: tuple[str, ...]
    email: str
    website: str
    applies_to: LazyString


ENFORCEMENT_BODIES: dict[AccessibilityEnforcement, EnforcementBody] = {
    # §§ 10d, 10e BGG NRW, §§ 9 ff. BITV NRW; attached to the Landesbeauftragte für Menschen
    # mit Behinderung (lbbp.nrw.de). Contact as published by the Ombudsstelle (checked 2026-12).
    "nrw": EnforcementBody(
        name="Ombudsstelle für barrierefreie Informationstechnik des Landes Nordrhein-Westfalen",
        legal_basis="§§ 10d, 10e BGG NRW, §§ 9 ff. BITV NRW",
        address=(),
        email="ombudsstelle-barrierefreie-it@mags.nrw.de",
        website="https://www.lbbp.nrw.de/ombudsstelle",
        applies_to=_l(
            "Zuständig für öffentliche Stellen des Landes Nordrhein-Westfalen und der Kommunen "
            "in Nordrhein-Westfalen."
        ),
    ),
    # § 16 BGG: at the Federal Government Commissioner for Matters relating to Persons with
    # Disabilities; free of charge.
    "bund": EnforcementBody(
        name="Schlichtungsstelle nach dem Behindertengleichstellungsgesetz (§ 16 BGG)",
        legal_basis="§ 16 BGG",
        address=(
            "bei der oder dem Beauftragten der Bundesregierung für die Belange von Menschen "
            "mit Behinderungen",
            "Mauerstraße 53",
            "10117 Berlin",
        ),
        email="info@schlichtungsstelle-bgg.de",
        website="https://www.schlichtungsstelle-bgg.de",
        applies_to=_l("Zuständig für öffentliche Stellen des Bundes."),
    ),
}


@dataclass(frozen=True)
class ContactLine:
    text: str
    is_email: bool


def contact_lines(contact: str) -> list[ContactLine]:
    """The configured contact, line by line; a line that is one e-mail address gets a link."""
    return [ContactLine(line, bool(_EMAIL.match(line))) for line in contact.splitlines() if line]


def software_version() -> str | None:
    try:
        return metadata.version("servicestelle")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return None


@bp.get("/barrierefreiheit")
def statement() -> ResponseReturnValue:
    """The accessibility statement of this installation (public, no data)."""
    settings = services.settings()
    return render_template(
        "accessibility/statement.html",
        contact=contact_lines(settings.accessibility_contact),
        enforcement=ENFORCEMENT_BODIES[settings.accessibility_enforcement],
        other_enforcement=[
            body
            for key, body in ENFORCEMENT_BODIES.items()
            if key != settings.accessibility_enforcement
        ],
        prepared_on=STATEMENT_PREPARED_ON,
        reviewed_on=STATEMENT_REVIEWED_ON,
        version=software_version(),
        idle_minutes=settings.session_idle_minutes,
        pending_minutes=settings.pending_login_minutes,
        reauth_minutes=settings.reauth_minutes,
    )
