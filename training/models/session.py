"""In-person training sessions (集合研修), their owners and participants (issue 17)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.models.base import Base, JSONType, UTCDateTime, utcnow

#: mode -> label. in_person: attending completes the course by itself; blended: attending and
#: the e-learning course together complete it.
SESSION_MODES: dict[str, str] = {
    "in_person": "集合研修のみで修了",
    "blended": "e-ラーニングと組み合わせ（ブレンド）",
}


class TrainingSession(Base):
    """One in-person session of a course, on a date (JST) at a venue."""

    __tablename__ = "training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    course_id: Mapped[str] = mapped_column(String(64), index=True)
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    #: Local times (JST) of the session; the completion is dated held_on at starts_at, JST.
    starts_at: Mapped[dt.time] = mapped_column(Time)
    ends_at: Mapped[dt.time] = mapped_column(Time)
    venue: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int | None] = mapped_column(Integer)
    lecturer: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(16))  # in_person | blended
    #: An instructor's class whose members may be added in one click (optional).
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owners: Mapped[list[SessionOwner]] = relationship(back_populates="session", cascade="all, delete-orphan")
    participants: Mapped[list[SessionParticipant]] = relationship(back_populates="session",
                                                                  cascade="all, delete-orphan")

    @property
    def mode_label(self) -> str:
        return SESSION_MODES.get(self.mode, self.mode)


class SessionOwner(Base):
    """An instructor who runs a session (its creator and co-owners)."""

    __tablename__ = "session_owner"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)

    session: Mapped[TrainingSession] = relationship(back_populates="owners")


class SessionParticipant(Base):
    """A person registered for a session, with their attendance and role-play items.

    ``status`` is None until the roll call (attended | late | left_early | absent);
    ``left_early_confirmed``: the instructor confirms a person who left early took the whole
    content (then it counts, training.inperson.rules). ``roleplay`` holds the ids of the course's
    role-play items observed. ``completion_id`` is the completion this attendance recorded."""

    __tablename__ = "session_participant"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    via: Mapped[str] = mapped_column(String(16))  # class | csv | walk_in
    status: Mapped[str | None] = mapped_column(String(16))
    left_early_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    roleplay: Mapped[list] = mapped_column(JSONType, default=list)
    marked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    completion_id: Mapped[int | None] = mapped_column(ForeignKey("course_completion.id", ondelete="SET NULL"))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    session: Mapped[TrainingSession] = relationship(back_populates="participants")
