"""The campaigns blueprint, shared by the view modules, and what every page shows."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user

from servicestelle.auth.models import User
from servicestelle.campaigns import codes
from servicestelle.campaigns.forms import euros
from servicestelle.stats.content import localised_label
from servicestelle.stats.periods import Period
from servicestelle.stats.presentation import SUPPRESSED

bp = Blueprint("campaigns", __name__, url_prefix="/kampagnen")


def me() -> User:
    return current_user


def period_label(code: str) -> str:
    return Period.parse(code).label()


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "status_labels": codes.STATUS_LABELS,
        "direction_labels": codes.DIRECTION_LABELS,
        "audience_labels": codes.AUDIENCE_LABELS,
        "ground_labels": codes.GROUND_LABELS,
        "life_area_labels": codes.LIFE_AREA_LABELS,
        "code_label": codes.label,
        # Evidence and indicators keep the German label of the figure they were linked with.
        "figure_label": localised_label,
        "euros": euros,
        "period_label": period_label,
        "SUPPRESSED": SUPPRESSED,
    }
