"""The statewide coordinator: a registry of centres, their imported packages, statewide
releases summed from them (DESIGN.md §6; issue 5, "Statewide aggregation")."""
