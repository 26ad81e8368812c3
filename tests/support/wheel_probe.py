"""Run by tests/test_wheel.py in a subprocess against an installed wheel; prints JSON.

Only the installed package may be importable here: the test puts the install target on
PYTHONPATH and runs this file from a temporary folder, away from the source tree.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def main() -> None:
    import sqlalchemy as sa

    import audit
    import crypto
    import servicestelle
    from servicestelle import create_app, migrate, paths
    from servicestelle.auth import passwords
    from servicestelle.config import TEST_ONLY_CHEAP, Settings

    report: dict[str, object] = {
        "servicestelle": servicestelle.__file__,
        "crypto": crypto.__file__,
        "audit": audit.__file__,
        "templates": str(paths.templates_dir()),
        "migrations": str(paths.migrations_dir()),
        "script_location": migrate.alembic_config().get_main_option("script_location"),
        "blocklist_size": len(passwords.blocklist()),
        "blocklist_has_password": "password" in passwords.blocklist(),
        "head": migrate.head_revision(),
    }
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'probe.sqlite3'}"
        engine = sa.create_engine(url)
        migrate.upgrade(engine)
        report["current"] = migrate.current_revision(engine)
        report["tables"] = sorted(sa.inspect(engine).get_table_names())
        engine.dispose()
        settings = Settings(
            profile="test",
            instance_path=Path(folder) / "instance",
            database_url=url,
            secret_key=b"wheel-probe-secret-0123456789abcdef-0123456789",
            password_hash=TEST_ONLY_CHEAP,
        )
        app = create_app(settings)
        client = app.test_client()
        client.environ_base["wsgi.url_scheme"] = "https"
        login = client.get("/anmelden")
        report["login_status"] = login.status_code
        report["login_has_title"] = "Anmelden" in login.get_data(as_text=True)
        report["template_file"] = app.jinja_env.get_template("base.html").filename
        report["static_status"] = client.get("/static/style.css").status_code
        report["health"] = client.get("/healthz").get_json()
        from servicestelle.extensions import db

        with app.app_context():
            db.engine.dispose()
    report["sys_path"] = sys.path
    print(json.dumps(report))


if __name__ == "__main__":
    main()
