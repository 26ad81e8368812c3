"""Statistics: the pseudonymised store, releases with proven disclosure control."""
