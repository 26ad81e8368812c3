"""The user's own account: password, second factor, recovery codes, API tokens."""
