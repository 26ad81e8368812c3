"""HTML to PDF with WeasyPrint, a real layout engine with print CSS (no browser).

Every PDF here is rendered from our own templates with the styles inline: no stylesheet,
image or font is ever fetched — not from the network, not from the server's disk — so a
template cannot be made to read a file into a document.
"""

from __future__ import annotations

from typing import Any


class PdfUnavailable(RuntimeError):
    """WeasyPrint cannot run here (pango or its fonts are missing)."""


def _refusing_fetcher(weasyprint: Any) -> Any:
    """A URL fetcher that refuses every URL. WeasyPrint 68 and later take a URLFetcher
    object (a plain function fails there on the first fetch); older ones a function."""

    def refuse(url: str, *_args: Any, **_kwargs: Any) -> Any:
        raise ValueError(f"resource refused: {url[:40]}")

    base = getattr(weasyprint, "URLFetcher", None)
    if base is None:
        return refuse

    class Refusing(base):  # type: ignore[misc, valid-type]
        def fetch(self, url: str, headers: Any = None) -> Any:
            return refuse(url)

    return Refusing(allowed_protocols=())


def render_pdf(html: str) -> bytes:
    """The PDF of a complete HTML document (styles inline)."""
    try:
        import weasyprint
    except OSError as exc:  # pango or its fonts are missing
        raise PdfUnavailable(str(exc)) from None
    document = weasyprint.HTML(string=html, url_fetcher=_refusing_fetcher(weasyprint))
    pdf: bytes = document.write_pdf()
    return pdf
