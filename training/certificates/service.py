"""Certificates as the rest of the app uses them: who may see which, PDF data, ZIP streams."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator

from flask import current_app, has_request_context, request, url_for
from sqlalchemy import select

from training.certificates.issue import issue
from training.certificates.render import CertificateData, render_pdf
from training.content.model import Course
from training.dates import JST
from training.extensions import db
from training.models import AUDIENCES, COMPLETION_KINDS, Certificate, CohortMember, CohortOwner, CourseCompletion, User
from training.site_settings import SiteSettings
from training.site_settings import load as load_settings


def verify_url(code: str) -> str:
    """The public verification address printed (and QR-encoded) on the certificate."""
    base = current_app.config.get("PUBLIC_BASE_URL") or (request.url_root.rstrip("/") if has_request_context() else "")
    path = url_for("certificates.verify", code=code) if has_request_context() else f"/verify/{code}"
    return f"{base or 'http://127.0.0.1:5000'}{path}"


def certificate_data(certificate: Certificate, settings: SiteSettings) -> CertificateData:
    """The printed facts; the kind is the completion's (a blended completion made from an earlier
    e-learning one shows as blended)."""
    completion = db.session.get(CourseCompletion, certificate.course_completion_id)
    kind = completion.kind if completion is not None else "elearning"
    return CertificateData(
        kind_label=COMPLETION_KINDS.get(kind, COMPLETION_KINDS["elearning"]),
        serial=certificate.serial, verification_code=certificate.verification_code,
        recipient_name=certificate.recipient_name, course_title=certificate.course_title,
        audience_label=AUDIENCES.get(certificate.audience, certificate.audience),
        completed_on=certificate.completed_on, issued_on=certificate.issued_at.astimezone(JST).date(),
        valid_until=certificate.valid_until, organisation_name=settings.organisation_name,
        issuer_title=certificate.issuer_title or settings.issuer_title,
        issuer_name=certificate.issuer_name if certificate.issuer_title else settings.issuer_name,
        seal_data_uri=settings.seal_data_uri, date_style=settings.date_style,
        verify_url=verify_url(certificate.verification_code), content_version=certificate.content_version,
    )


def issue_for_completion(completion: CourseCompletion, course: Course) -> Certificate:
    """Called in the same transaction as the course completion."""
    user = db.session.get(User, completion.user_id)
    return issue(completion, user, course, load_settings())


def can_view(viewer, certificate: Certificate) -> bool:
    """Own certificate; personnel and admin: all; instructors: people in the classes they run."""
    if certificate.user_id == viewer.id:
        return True
    if viewer.has_role("admin", "personnel"):
        return True
    if viewer.has_role("instructor"):
        return db.session.scalar(
            select(CohortMember.id).join(CohortOwner, CohortOwner.cohort_id == CohortMember.cohort_id)
            .where(CohortOwner.user_id == viewer.id, CohortMember.user_id == certificate.user_id).limit(1)
        ) is not None
    return False


def current_certificates(user_ids: Iterable[int] | None = None) -> list[Certificate]:
    """The newest revision of each certificate (superseded ones left out), by serial."""
    stmt = select(Certificate).where(Certificate.superseded_at.is_(None)).order_by(Certificate.serial)
    if user_ids is not None:
        stmt = stmt.where(Certificate.user_id.in_(list(user_ids)))
    return list(db.session.scalars(stmt))


def file_name(certificate: Certificate) -> str:
    safe = "".join(ch for ch in certificate.recipient_name if ch not in '\\/:*?"<>| 　')
    return f"{certificate.serial}_{safe}.pdf"


class _Sink(io.RawIOBase):
    """A write-only, non-seekable stream: zipfile writes into it, we hand the bytes on."""

    def __init__(self):
        super().__init__()
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def stream_zip(items: Iterable[tuple[str, CertificateData]]) -> Iterator[bytes]:
    """A ZIP of rendered certificates, produced one PDF at a time (bounded memory)."""
    sink = _Sink()
    now = dt.datetime.now(JST).timetuple()[:6]
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in items:
            info = zipfile.ZipInfo(name, date_time=now)
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, render_pdf(data))
            yield sink.take()
    yield sink.take()
