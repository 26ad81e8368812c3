"""Synthetic demo data: one centre and one login per role, usable without a phone."""

from __future__ import annotations

from dataclasses import dataclass

from servicestelle.auth import operations
from servicestelle.auth.models import User
from servicestelle.auth.queries import get_user_by_username
from servicestelle.centres.models import Centre
from servicestelle.centres.operations import add_district, create_centre
from servicestelle.centres.queries import districts_of, get_centre_by_code
from servicestelle.demo_cases import ensure_demo_cases
from servicestelle.demo_history import ensure_demo_history
from servicestelle.extensions import db
from servicestelle.instance_state import DEMO_FLAG, set_fact
from servicestelle.roles import Role

DEMO_CENTRE_CODE = "DEMO"
DEMO_CENTRE_NAME = "Servicestelle Musterstadt (Demo)"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: Role
    #: Published in the README and printed at start: this is a demo, not a secret.
    password: str


DEMO_LOGINS = (
    DemoLogin("beraterin", "Aylin Demir (Demo)", Role.COUNSELLOR, "demo-beratung-musterstadt"),
    DemoLogin("leitung", "Jonas Weber (Demo)", Role.SUPERVISOR, "demo-leitung-musterstadt"),
    # Publishing statistics needs four eyes: a second supervisor approves.
    DemoLogin(
        "leitung2", "Sabine Hoffmann (Demo)", Role.SUPERVISOR, "demo-zweite-leitung-musterstadt"
    ),
    DemoLogin("dsb", "Miriam Kaya (Demo)", Role.DPO, "demo-datenschutz-musterstadt"),
    DemoLogin("admin", "Lukas Schmidt (Demo)", Role.ADMIN, "demo-verwaltung-musterstadt"),
)


#: The demo centre's district register (names of Dortmund's districts; codes as a centre
#: might choose them).
DEMO_DISTRICTS = (
    ("innenstadt_nord", "Innenstadt-Nord"),
    ("innenstadt_west", "Innenstadt-West"),
    ("hombruch", "Hombruch"),
    ("eving", "Eving"),
    ("scharnhorst", "Scharnhorst"),
)


def ensure_demo_districts(supervisor: User) -> None:
    """Add the demo districts the supervisor's centre does not have yet."""
    existing = {district.code for district in districts_of(supervisor.centre_id)}
    for code, name in DEMO_DISTRICTS:
        if code not in existing:
            add_district(supervisor, code, name)


def ensure_demo_data() -> Centre:
    """Create what is missing; running it again changes nothing."""
    centre = get_centre_by_code(DEMO_CENTRE_CODE) or create_centre(
        DEMO_CENTRE_CODE, DEMO_CENTRE_NAME
    )
    for login in DEMO_LOGINS:
        if get_user_by_username(login.username) is None:
            operations.create_user(
                centre=centre,
                username=login.username,
                display_name=login.display_name,
                password=login.password,
                roles=[login.role],
                with_second_factor=True,
            )
    set_fact(DEMO_FLAG, "yes")
    db.session.commit()
    supervisor = get_user_by_username(DEMO_LOGINS[1].username)
    if supervisor is not None and supervisor.centre_id == centre.id:
        ensure_demo_districts(supervisor)  # before the cases, which name them
    counsellor = get_user_by_username(DEMO_LOGINS[0].username)
    if counsellor is not None and counsellor.centre_id == centre.id:
        ensure_demo_cases(counsellor)
        second = get_user_by_username(DEMO_LOGINS[2].username)
        if (
            supervisor is not None
            and second is not None
            and supervisor.centre_id == second.centre_id == centre.id
        ):
            ensure_demo_history(counsellor, supervisor, second)  # after the cases (see there)
    return centre
