"""Writing a certificate's HTML as PDF with WeasyPrint.

Fonts come from the system (fonts-noto-cjk: Noto Serif CJK JP) and are embedded, subset, in
the PDF. The URL fetcher refuses every URL except inline ``data:`` ones, so a certificate can
never read a local file or reach out. Imported on the first certificate (see render.render_pdf).
"""
from __future__ import annotations

import threading
from functools import lru_cache

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from training.certificates.render import TEMPLATES


class BlockedURL(ValueError):
    """A certificate tried to load something other than inline data."""


class InlineOnlyFetcher(URLFetcher):
    """Only ``data:`` URLs; ``file://``, ``http(s)://`` and everything else are refused."""

    def __init__(self):
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)

    def fetch(self, url, headers=None):
        if not url.startswith("data:"):
            raise BlockedURL(f"certificate resources must be inline: {url[:60]}")
        return super().fetch(url, headers)


safe_url_fetcher = InlineOnlyFetcher()


@lru_cache(maxsize=1)
def _stylesheet() -> CSS:
    return CSS(string=(TEMPLATES / "theme.css").read_text(encoding="utf-8"), url_fetcher=safe_url_fetcher)


_local = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread, reused across certificates.

    Reusing it saves loading the CJK fonts for every certificate, and keeps memory flat when
    hundreds are rendered in a row (a fresh one per document leaves large font tables in
    reference cycles until the garbage collector runs).
    """
    if not hasattr(_local, "fonts"):
        _local.fonts = FontConfiguration()
    return _local.fonts


def write_pdf(html_text: str) -> bytes:
    """A certificate's HTML as PDF bytes, with the certificate stylesheet and embedded fonts."""
    html = HTML(string=html_text, url_fetcher=safe_url_fetcher, base_url=None)
    return html.write_pdf(stylesheets=[_stylesheet()], font_config=_font_config())
