"""Campaign planning from published figures: suggestions, campaigns, evidence, review (DESIGN.md §7)."""
