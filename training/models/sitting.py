"""A check quiz as drawn for one trainee's next attempt, from the first showing of its page.

The sitting holds what the page shows (the drawn questions and the order of every option, the
``layout``), the content version it was drawn on, and the form's one-time ``token``. It is a
row of its own, not an unsubmitted QuizAttempt, so nothing that counts attempts (the attempt
limit, progress, the class matrix, analysis, exports) can ever count one that was only shown.
A sitting is *open* while no QuizAttempt carries its token; submitting it stores the attempt
with that token and a copy of the layout, so the attempt stands on its own (result page,
retention) and a second submit of the same form finds the attempt instead of adding one.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from training.models.base import Base, JSONType, UTCDateTime, utcnow


class QuizSitting(Base):
    """The questions and option orders drawn for one trainee's attempt at one quiz in one course."""

    __tablename__ = "quiz_sitting"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64))
    quiz_id: Mapped[str] = mapped_column(String(64))
    content_version: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    layout: Mapped[dict] = mapped_column(JSONType)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
