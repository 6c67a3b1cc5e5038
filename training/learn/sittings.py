"""The trainee's open sitting of a check quiz: found or drawn when the page is shown, graded on submit.

One query reads every sitting this trainee has had at this quiz in this course, each with the
attempt that submitted it (if any): the open one is reused (a reload shows the same page), the
submitted ones say which questions were already met (a retry prefers the others) and which
order was shown last (a retry never repeats it). Drawing and shuffling then cost no query; a
new or re-drawn sitting is the one row written.
"""
from __future__ import annotations

import random
import secrets
from collections import Counter

from sqlalchemy import select

from training.content.model import Course, Quiz
from training.extensions import db
from training.learn.quiz_layout import Layout, draw_layout, fits
from training.models import QuizAttempt, QuizSitting, utcnow

#: Randomness for draws and shuffles: the system's, so no one can predict a layout.
_RANDOM = random.SystemRandom()


def new_token() -> str:
    """A sitting's one-time submission token (32 characters, within the token columns)."""
    return secrets.token_urlsafe(24)


def _history(user_id: int, course_id: str, quiz_id: str) -> list[tuple[QuizSitting, int | None]]:
    """Every sitting of the user at the quiz, oldest first, each with its attempt id or None."""
    return list(db.session.execute(
        select(QuizSitting, QuizAttempt.id)
        .outerjoin(QuizAttempt, QuizAttempt.submission_token == QuizSitting.token)
        .where(QuizSitting.user_id == user_id, QuizSitting.course_id == course_id, QuizSitting.quiz_id == quiz_id)
        .order_by(QuizSitting.id)).tuples())


def open_sitting(user_id: int, course: Course, quiz: Quiz,
                 rng: random.Random | None = None) -> tuple[QuizSitting, bool]:
    """The user's open sitting of ``quiz`` and whether it was drawn now (then it is added and
    flushed, not committed), because there was none or it was drawn on other content.

    A sitting drawn on another content version is drawn again in place, with a new token, so
    a page still open on the old version cannot submit positions against the new layout.
    """
    rng = rng or _RANDOM
    history = _history(user_id, course.id, quiz.id)
    seen: Counter = Counter()
    previous: Layout | None = None
    sitting = None
    for row, attempt_id in history:
        layout = Layout.from_json(row.layout)
        if attempt_id is None:
            sitting = row  # the newest open one wins (two tabs opened at once on PostgreSQL)
        elif layout is not None:
            seen.update(layout.question_ids)
            previous = layout
    if sitting is not None:
        current = Layout.from_json(sitting.layout)
        if sitting.content_version == quiz.version and current is not None and fits(quiz, current):
            return sitting, False
    layout = draw_layout(quiz.for_audience(course.audience), rng, seen, previous).to_json()
    if sitting is None:
        sitting = QuizSitting(user_id=user_id, course_id=course.id, quiz_id=quiz.id, content_version=quiz.version,
                              token=new_token(), layout=layout)
        db.session.add(sitting)
    else:
        sitting.content_version, sitting.layout = quiz.version, layout
        sitting.token, sitting.started_at = new_token(), utcnow()
    db.session.flush()
    return sitting, True


def sitting_by_token(token: str) -> tuple[QuizSitting | None, int | None]:
    """The sitting a form's token names and the id of the attempt that submitted it (one query)."""
    if not token:
        return None, None
    row = db.session.execute(
        select(QuizSitting, QuizAttempt.id)
        .outerjoin(QuizAttempt, QuizAttempt.submission_token == QuizSitting.token)
        .where(QuizSitting.token == token)).first()
    return (row[0], row[1]) if row else (None, None)
