"""Behind a TLS proxy, `servicestelle run` sees each client's own address and https.

Waitress strips X-Forwarded-* by default before the application sees them; the app's ProxyFix
then had nothing to read, every client shared the proxy's address (one attacker's failed
logins throttled everyone) and https looked like http. These tests serve the app through
waitress with the options `servicestelle run` uses and read the address the login throttle
counted (it stores an HMAC of the address, recomputed here).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from servicestelle import create_app
from servicestelle.auth import throttle
from servicestelle.auth.models import LoginThrottle
from servicestelle.cli import waitress_options
from servicestelle.extensions import db
from tests.conftest import make_settings
from tests.support.served import failed_login, serving

only_sqlite = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
CLIENT = "203.0.113.9"
PROXY_HEADERS = {"X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "https"}


def _counted_addresses(app, candidates: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    settings = app.extensions["servicestelle.settings"]
    with app.app_context():
        hashes = set(
            db.session.scalars(
                sa.select(LoginThrottle.key_hash).where(LoginThrottle.scope == throttle.CLIENT)
            )
        )
    return [
        address
        for address in candidates
        if throttle.make_key(
            settings.secret_key, throttle.CLIENT, address, settings.client_throttle
        ).key_hash
        in hashes
    ]


@only_sqlite
@pytest.mark.parametrize(("proxies", "counted"), [(1, CLIENT), (0, "127.0.0.1")])
def test_the_throttle_counts_the_address_the_trusted_proxy_reports(
    tmp_path, backend, clock, proxies, counted
):
    settings = make_settings(tmp_path, backend.url, trusted_proxies=proxies)
    app = create_app(settings, clock=clock)
    with serving(app, **waitress_options(settings, threads=2)) as port:
        failed_login(port, "niemand", "falsch-falsch", headers=PROXY_HEADERS)
    # Trusted: the client's own address. Not trusted: nobody may claim an address.
    assert _counted_addresses(app, [CLIENT, "127.0.0.1"]) == [counted]
    with app.app_context():
        db.engine.dispose()
