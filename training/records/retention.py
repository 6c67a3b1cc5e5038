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


def due_for_erasure(years: int, now: dt.datetime) -> list[User]:
    """Trainees (no staff role) whose last sign-in and last completion are older than ``years``."""
    cutoff = now - dt.timedelta(days=round(365.25 * years))
    staff = select(UserRole.user_id).where(UserRole.role.in_(("instructor", "personnel", "admin")))
    last_completion = (select(CourseCompletion.user_id, func.max(CourseCompletion.completed_at).label("last"))
                       .group_by(CourseCompletion.user_id).subquery())
    stmt = (select(User).outerjoin(last_completion, last_completion.c.user_id == User.id)
            .where(User.id.not_in(staff), User.login_id.not_like("erased-%"),
                   func.coalesce(User.last_login_at, User.created_at) < cutoff,
                   (last_completion.c.last.is_(None)) | (last_completion.c.last < cutoff)))
    return list(db.session.scalars(stmt))


def erase(users: list[User]) -> int:
    """Remove names, contact details, answers, check-ins and requests to talk; keep completions for the counts."""
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
    audit.record("retention.erase", users=len(ids))
    return len(ids)
