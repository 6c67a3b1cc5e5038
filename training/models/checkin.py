"""Check-ins 「いまの気持ちは？」: one private answer per trainee, course and place.

A place is where the check-in was offered: ``scenario:<scenario id>`` (after an ending),
``module:<module id>`` (at a module's end) or ``section:<module id>#<section id>``. Answering
again at the same place replaces the answer (the newest counts); the unique constraint keeps a
double click from storing two rows. Levels: 4 落ち着いている … 1 とてもつらい (see
training/learn/checkins.py). Nobody but the trainee ever sees one answer: instructors and
personnel see counts, and only where enough people answered.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from training.models.base import Base, UTCDateTime, utcnow


class CheckIn(Base):
    __tablename__ = "check_in"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "place"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64), index=True)
    place: Mapped[str] = mapped_column(String(160))
    level: Mapped[int] = mapped_column(Integer)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="SET NULL"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
