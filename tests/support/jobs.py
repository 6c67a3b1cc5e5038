"""A class whose members hold certificates, made directly in the database (the job tests)."""
from __future__ import annotations

from sqlalchemy import select

from training.auth.accounts import NewUser, create_user
from training.content import current_content
from training.extensions import db
from training.models import Cohort, CohortMember, CohortOwner, CourseCompletion, User

COURSE_ID = "counter-staff"


def certified_class(app, owner_login: str, count: int, *, name: str = "収納課 研修") -> int:
    """A class run by ``owner_login`` with ``count`` members who completed the counter-staff
    course and hold its certificate; returns the class's id. Issued as the app issues them
    (training.certificates.service.issue_for_completion), without walking the course."""
    from training.certificates.service import issue_for_completion

    with app.test_request_context():
        course = current_content().course(COURSE_ID)
        owner = db.session.scalar(select(User).where(User.login_id == owner_login))
        cohort = Cohort(name=name, audience="counter_staff", fiscal_year=2026)
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortOwner(cohort_id=cohort.id, user_id=owner.id))
        for n in range(1, count + 1):
            user = create_user(NewUser(login_id=f"zip{cohort.id}-{n:04d}", display_name=f"受講者 {n:04d}",
                                       password="correct-horse-42", audience="counter_staff"))
            db.session.flush()
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id))
            completion = CourseCompletion(user_id=user.id, course_id=COURSE_ID, score=100,
                                          content_version=course.version, audience="counter_staff")
            db.session.add(completion)
            db.session.flush()
            issue_for_completion(completion, course)
        db.session.commit()
        return cohort.id
