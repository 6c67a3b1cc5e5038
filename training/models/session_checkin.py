"""A QR check-in by someone not registered for the session (issue 17).

Nothing is recorded as attendance: the attempt (who, when, how many times) is kept so that the
instructor's roll call lists 「受付で登録を求めた方」 with a one-click 「当日参加として追加」.
One row per session and person; the row is removed when the person is added.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from training.models.base import Base, UTCDateTime, utcnow


class SessionCheckinRequest(Base):
    __tablename__ = "session_checkin_request"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    first_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
