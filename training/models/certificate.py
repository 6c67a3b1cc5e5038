"""Certificates (修了証) issued on course completion."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from training.models.base import Base, UTCDateTime, utcnow


class Certificate(Base):
    """A certificate with a readable serial and an unguessable verification code.

    The recipient name and course title are copied at issue time: the certificate states
    what was true when it was issued. A reissue creates a new row pointing at the old one.
    """

    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("fiscal_year", "sequence", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # 2, 3… for reissues
    verification_code: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    course_completion_id: Mapped[int] = mapped_column(
        ForeignKey("course_completion.id", ondelete="RESTRICT"), index=True
    )
    course_id: Mapped[str] = mapped_column(String(64))
    recipient_name: Mapped[str] = mapped_column(String(100))
    course_title: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(32))
    completed_on: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    content_version: Mapped[str] = mapped_column(String(64))
    # The signatory in office when the certificate was issued (settings may change later).
    issuer_title: Mapped[str | None] = mapped_column(String(100))
    issuer_name: Mapped[str | None] = mapped_column(String(100))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reissue_of_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
