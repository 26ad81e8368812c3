"""Real-browser tests: Chromium driven by Playwright against the app served by waitress."""
