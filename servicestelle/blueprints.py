"""Every blueprint, registered in one place."""

from __future__ import annotations

from flask import Flask

from servicestelle.accessibility.views import bp as accessibility_bp
from servicestelle.account.views import bp as account_bp
from servicestelle.activities.views import bp as activities_bp
from servicestelle.admin.views import bp as admin_bp
from servicestelle.api.views import bp as api_bp
from servicestelle.auth.views import bp as auth_bp
from servicestelle.campaigns.views import bp as campaigns_bp
from servicestelle.cases.views import bp as cases_bp
from servicestelle.centres.views import bp as centres_bp
from servicestelle.centres.views_profiles import bp as _profiles_on_centres_bp  # noqa: F401
from servicestelle.coordinator import mode as coordinator_mode
from servicestelle.coordinator.views import bp as coordinator_bp
from servicestelle.dashboard.views import bp as dashboard_bp
from servicestelle.dpo.views import bp as dpo_bp
from servicestelle.extensions import csrf
from servicestelle.health import bp as health_bp
from servicestelle.i18n import bp as i18n_bp
from servicestelle.operations.views import bp as operations_bp
from servicestelle.reports.views import bp as reports_bp
from servicestelle.stats.views import bp as stats_bp
from servicestelle.stats.views_packages import bp as _packages_on_stats_bp  # noqa: F401


def register(app: Flask) -> None:
    for blueprint in (
        auth_bp,
        accessibility_bp,
        account_bp,
        activities_bp,
        admin_bp,
        campaigns_bp,
        cases_bp,
        centres_bp,
        dashboard_bp,
        dpo_bp,
        health_bp,
        i18n_bp,
        operations_bp,
        reports_bp,
        stats_bp,
    ):
        app.register_blueprint(blueprint)
    # The API authenticates with bearer tokens only and never reads cookies, so a forged
    # cross-site request carries no credentials: CSRF tokens do not apply there.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    # A coordinator: its own pages, and no case module (coordinator/mode.py).
    if app.extensions["servicestelle.settings"].is_coordinator:
        app.register_blueprint(coordinator_bp)
    coordinator_mode.init_app(app)
