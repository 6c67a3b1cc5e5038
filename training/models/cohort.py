"""Classes (cohorts), their owners, members and assignments."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, false, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.models.base import Base, UTCDateTime, utcnow


class Cohort(Base):
    """A class of trainees of one audience in one fiscal year (年度)."""

    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    audience: Mapped[str] = mapped_column(String(32))
    fiscal_year: Mapped[int] = mapped_column(Integer, index=True)
    join_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    join_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Archived: out of the default list, no joins, read-only; records stay viewable.
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Whether completions from before the class's start (``starts_on``, else 1 April of its
    #: fiscal year) count; by default they do not, so a yearly refresher asks for the course again.
    counts_earlier_completions: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owners: Mapped[list[CohortOwner]] = relationship(back_populates="cohort", cascade="all, delete-orphan")
    members: Mapped[list[CohortMember]] = relationship(back_populates="cohort", cascade="all, delete-orphan")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="cohort", cascade="all, delete-orphan")


class CohortOwner(Base):
    """An instructor who manages a class."""

    __tablename__ = "cohort_owner"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)

    cohort: Mapped[Cohort] = relationship(back_populates="owners")


class CohortMember(Base):
    """A trainee enrolled in a class; ``via`` is how (csv, join_code, admin, demo)."""

    __tablename__ = "cohort_member"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    via: Mapped[str] = mapped_column(String(16), default="admin")
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="members")


class Assignment(Base):
    """A course (or a single module of it) assigned to a class with a due date."""

    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("cohort_id", "course_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64))
    module_id: Mapped[str | None] = mapped_column(String(64))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="assignments")


class RosterUpload(Base):
    """An uploaded roster CSV awaiting the instructor's confirmation after the preview.

    Kept in the database (not the session cookie or a local file) so that the preview and the
    confirmation may be served by different app servers. Removed once imported.
    """

    __tablename__ = "roster_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reminder(Base):
    """A reminder to a trainee: sent through SMTP, or queued in the outbox when no mail server
    is configured (the instructor then sends it by other means). Every one is recorded.

    ``batch_key`` comes from the form the instructor sent: one person has at most one
    reminder per batch, so a resubmitted form or a retry finds the row and sends nothing.
    Rows from before batches existed have none (NULLs never clash)."""

    __tablename__ = "reminder"
    __table_args__ = (UniqueConstraint("batch_key", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    batch_key: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    channel: Mapped[str] = mapped_column(String(16))   # smtp | outbox
    #: pending (recorded, not yet tried) -> sending (committed just before the SMTP call) ->
    #: sent | failed; or queued (outbox) | no_email | failed (malformed address) at once.
    status: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: What the reminder asks for: a teach.targets.Target key (``course`` or ``course/module``);
    #: None on rows recorded before it was stored (they count for every target of the class).
    target_key: Mapped[str | None] = mapped_column(String(140))
    #: An outbox row the instructor marked as sent by other means: when and by whom.
    marked_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    marked_sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
