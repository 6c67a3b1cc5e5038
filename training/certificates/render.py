"""Rendering a certificate to PDF: a pure function from the certificate's data to bytes.

Layout lives in templates/certificates/template.html and theme.css; the PDF is written by
training/certificates/pdf.py (WeasyPrint, loaded on first use).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from training.dates import format_date, format_wareki

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "certificates"


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
    #: How the course was completed (issue 17): e-ラーニング, 集合研修 or 集合研修＋e-ラーニング.
    kind_label: str = "e-ラーニング"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))


def format_day(day: dt.date | None, style: str) -> str:
    if day is None:
        return ""
    return format_wareki(day) if style == "wareki" else format_date(day)


def qr_data_uri(url: str) -> str:
    """The verification URL as a QR code (PNG, inline; cheaper to lay out than an SVG of modules)."""
    import segno  # here, not at start-up: only certificates need it

    return segno.make(url, error="m", micro=False).png_data_uri(scale=6, border=0, dark="#1f2a30")


def render_html(data: CertificateData) -> str:
    return _environment().get_template("template.html").render(
        c=data, completed=format_day(data.completed_on, data.date_style),
        issued=format_day(data.issued_on, data.date_style),
        valid_until=format_day(data.valid_until, data.date_style), qr=qr_data_uri(data.verify_url),
    )


def render_pdf(data: CertificateData) -> bytes:
    """The certificate as PDF bytes (A4 landscape, one page).

    WeasyPrint is imported on the first certificate, not with the app: it takes about 1.5 s,
    which every CLI command and every worker start would otherwise pay.
    """
    from training.certificates.pdf import write_pdf

    return write_pdf(render_html(data))
