"""Rendering a certificate to PDF: a pure function from the certificate's data to bytes.

Layout lives in templates/certificates/template.html and theme.css. Fonts come from the
system (fonts-noto-cjk: Noto Serif CJK JP) and are embedded, subset, in the PDF. The URL fetcher refuses every
URL except inline ``data:`` ones, so a certificate can never read a local file or reach out.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from training.dates import format_date, format_wareki

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "certificates"


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


@dataclass(frozen=True)
class CertificateData:
    serial: str
    verification_code: str
    recipient_name: str
    course_title: str
    audience_label: str
    completed_on: dt.date
    issued_on: dt.date
    valid_until: dt.date | None
    organisation_name: str
    issuer_title: str
    issuer_name: str
    seal_data_uri: str
    date_style: str            # wareki | seireki
    verify_url: str
    content_version: str


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))


@lru_cache(maxsize=1)
def _stylesheet() -> CSS:
    return CSS(string=(TEMPLATES / "theme.css").read_text(encoding="utf-8"), url_fetcher=safe_url_fetcher)


def format_day(day: dt.date | None, style: str) -> str:
    if day is None:
        return ""
    return format_wareki(day) if style == "wareki" else format_date(day)


def qr_data_uri(url: str) -> str:
    """The verification URL as a QR code (PNG, inline; cheaper to lay out than an SVG of modules)."""
    return segno.make(url, error="m", micro=False).png_data_uri(scale=6, border=0, dark="#1f2a30")


def render_html(data: CertificateData) -> str:
    return _environment().get_template("template.html").render(
        c=data, completed=format_day(data.completed_on, data.date_style),
        issued=format_day(data.issued_on, data.date_style),
        valid_until=format_day(data.valid_until, data.date_style), qr=qr_data_uri(data.verify_url),
    )


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


def render_pdf(data: CertificateData) -> bytes:
    """The certificate as PDF bytes (A4 landscape, one page)."""
    html = HTML(string=render_html(data), url_fetcher=safe_url_fetcher, base_url=None)
    return html.write_pdf(stylesheets=[_stylesheet()], font_config=_font_config())
