"""Server-side, revocable sessions."""
