"""The activities blueprint, on its own so that views.py and views_report.py share it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("activities", __name__, url_prefix="/aktivitaeten")
