"""Setting up a class directly in the database for tests that are about something else."""
from __future__ import annotations

from sqlalchemy import select

from training.extensions import db
from training.models import Cohort, CohortMember, CohortOwner, User


def make_class(app, owner_login: str, *, name: str = "テストクラス", audience: str = "counter_staff",
               member_ids=(), fiscal_year: int = 2026, due_on=None) -> int:
    """A class run by the user ``owner_login`` with the given members; returns its id."""
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.login_id == owner_login))
        cohort = Cohort(name=name, audience=audience, fiscal_year=fiscal_year, due_on=due_on)
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortOwner(cohort_id=cohort.id, user_id=owner.id))
        db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=u) for u in member_ids])
        db.session.commit()
        return cohort.id
