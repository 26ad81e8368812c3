"""Structural-discrimination reports, built only from published statistics releases (DESIGN.md §7)."""
