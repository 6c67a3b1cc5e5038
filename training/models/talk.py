"""Requests to talk (「担当者から声をかけてほしい」): a trainee asks the staff of their class to contact them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from training.models.base import Base, UTCDateTime, utcnow


class TalkRequest(Base):
    """One request of one trainee to the owners of one class; closed by a recorded follow-up.

    ``open_slot`` is True while the request is open and NULL once it is closed: with the unique
    constraint, a person has at most one open request per class (a double click or a parallel
    request inserts nothing), while closed ones (NULLs never clash) are kept side by side.

    Only the class's owners read these rows. They are never exported (records, API, class
    progress CSV) and retention deletes them with the person's other answers. What the trainee
    told in the survey or a check-in is not stored here: only that they asked, where, and when.
    """

    __tablename__ = "talk_request"
    __table_args__ = (UniqueConstraint("user_id", "cohort_id", "open_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(16))  # checkin | distress
    open_slot: Mapped[bool | None] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The mail to the class's owners: NULL (no SMTP: the home page is the channel) ->
    #: pending -> sending (committed before the SMTP call, so it is never sent twice) -> sent | failed.
    notify_status: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    followed_up_on: Mapped[dt.date | None] = mapped_column(Date)
    followed_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    follow_up_note: Mapped[str | None] = mapped_column(Text)
