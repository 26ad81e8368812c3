"""Accessibility checks with axe-core, injected into the page under test."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

#: WCAG 2.1 levels A and AA, as the tags axe-core uses for its rules.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Impacts that fail the test; "moderate" and "minor" findings are only printed.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def run_axe(page: Page, axe_source: str) -> dict[str, Any]:
    """Inject axe-core (the context must bypass the app's CSP) and check the whole document."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    results: dict[str, Any] = page.evaluate(
        "options => window.axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    return results


def describe(violations: list[dict[str, Any]]) -> str:
    """One block per violated rule: id, impact, help, and the offending elements."""
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation['impact']}]: {violation['help']} "
            f"({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)


def assert_accessible(page: Page, axe_source: str, what: str) -> None:
    """No serious or critical WCAG 2.1 A/AA violation on the page as it is now."""
    results = run_axe(page, axe_source)
    assert results["passes"], f"axe checked nothing on {what}: is the page empty?"
    violations = results["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    other = [v for v in violations if v["impact"] not in BLOCKING_IMPACTS]
    if other:
        print(f"axe, {what} ({page.url}), findings below 'serious':\n{describe(other)}")
    # "incomplete": axe could not decide and asks a person to look; shown, not failed.
    review = [v for v in results["incomplete"] if v["impact"] in BLOCKING_IMPACTS]
    if review:
        print(f"axe, {what} ({page.url}), to review by hand:\n{describe(review)}")
    assert not blocking, (
        f"axe found serious or critical WCAG 2.1 A/AA violations on {what} ({page.url}):\n"
        + describe(blocking)
    )
