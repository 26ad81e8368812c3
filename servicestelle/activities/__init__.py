"""Activities beyond cases and the annual activity report for the funder (DOMAIN.md A9)."""
