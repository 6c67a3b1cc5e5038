"""Setting up an in-person session directly in the database (browser tests, issue 17)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from training.extensions import db
from training.models import CohortMember, SessionOwner, SessionParticipant, TrainingSession, User


def make_session(app, owner_login: str, *, cohort_id: int | None = None, title: str = "集合研修（確認用）",
                 course_id: str = "counter-staff", mode: str = "in_person") -> int:
    """A session run by ``owner_login``; the members of ``cohort_id`` (if given) are its participants."""
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.login_id == owner_login))
        session = TrainingSession(title=title, course_id=course_id, held_on=dt.date(2026, 11, 20),
                                  starts_at=dt.time(14, 0), ends_at=dt.time(16, 0), venue="区役所 研修室",
                                  capacity=30, lecturer="研修 律子", mode=mode, cohort_id=cohort_id)
        db.session.add(session)
        db.session.flush()
        db.session.add(SessionOwner(session_id=session.id, user_id=owner.id))
        if cohort_id is not None:
            for user_id in db.session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)):
                db.session.add(SessionParticipant(session_id=session.id, user_id=user_id, via="class", roleplay=[]))
        db.session.commit()
        return session.id
