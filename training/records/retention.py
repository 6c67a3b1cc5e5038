"""Retention: after N years, trainees' personal data is removed; the anonymous records that
the yearly counts are made of (completions with course, audience and department) stay."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import func, select, update

from training import audit
from training.extensions import db
from training.models import (Certificate, CheckIn, CourseCompletion, QuizAttempt, QuizSitting, SectionView,
                             SurveyResponse, TalkRequest, User, UserRole)

ERASED_NAME = "（保存期間経過により削除）"


def _due(years: int, now: dt.datetime, columns: str = "user"):
    """The trainees (no staff role) whose last sign-in (or registration) and last completion are
    older than ``years``: as User rows (``columns="user"``), ids, or (id, last sign-in or
    registration, last completion) (``"activity"``)."""
    cutoff = now - dt.timedelta(days=round(365.25 * years))
    staff = select(UserRole.user_id).where(UserRole.role.in_(("instructor", "personnel", "admin")))
    last_completion = (select(CourseCompletion.user_id, func.max(CourseCompletion.completed_at).label("last"))
                       .group_by(CourseCompletion.user_id).subquery())
    seen = func.coalesce(User.last_login_at, User.created_at)
    chosen = {"user": (User,), "id": (User.id,), "activity": (User.id, seen, last_completion.c.last)}[columns]
    return (select(*chosen).outerjoin(last_completion, last_completion.c.user_id == User.id)
            .where(User.id.not_in(staff), User.login_id.not_like("erased-%"), seen < cutoff,
                   (last_completion.c.last.is_(None)) | (last_completion.c.last < cutoff)))


def due_for_erasure(years: int, now: dt.datetime) -> list[User]:
    """Trainees (no staff role) whose last sign-in and last completion are older than ``years``."""
    return list(db.session.scalars(_due(years, now)))


def due_ids(years: int, now: dt.datetime) -> list[int]:
    """The ids of :func:`due_for_erasure`, in id order (what a retention job erases)."""
    return list(db.session.scalars(_due(years, now, "id").order_by(User.id)))


def due_summary(years: int, now: dt.datetime) -> tuple[int, dt.datetime | None, dt.datetime | None]:
    """(how many are due, the oldest and the newest last activity among them): what the admin
    page shows before a run; no names."""
    count, oldest, newest = 0, None, None
    for _id, seen, completed in db.session.execute(_due(years, now, "activity")):
        last = max(t for t in (seen, completed) if t is not None)
        count += 1
        oldest = last if oldest is None or last < oldest else oldest
        newest = last if newest is None or last > newest else newest
    return count, oldest, newest


def erase_people(users: list[User]) -> int:
    """Remove names, contact details, answers, check-ins and requests to talk; keep completions
    for the counts. Not audited (the caller writes one entry per run)."""
    ids = [u.id for u in users]
    for user in users:
        user.display_name, user.name_kana, user.email, user.employee_no = ERASED_NAME, None, None, None
        user.login_id = f"erased-{user.id}"
        user.password_hash = "!" + secrets.token_hex(16)  # matches no password
        user.active = False
        user.end_sessions()
    if ids:
        db.session.execute(update(Certificate).where(Certificate.user_id.in_(ids)).values(recipient_name=ERASED_NAME))
        for model in (SurveyResponse, QuizAttempt, QuizSitting, SectionView, CheckIn, TalkRequest):
            db.session.execute(model.__table__.delete().where(model.user_id.in_(ids)))
    return len(ids)


def erase(users: list[User]) -> int:
    """:func:`erase_people`, audited as one ``retention.erase`` (the CLI's run)."""
    count = erase_people(users)
    audit.record("retention.erase", users=count)
    return count
