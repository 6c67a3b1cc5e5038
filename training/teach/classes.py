"""Classes (cohorts) as plain functions: create, join codes, enrolment by code."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from training import audit
from training.certificates.codes import ALPHABET
from training.extensions import db
from training.models import Assignment, Cohort, CohortMember, CohortOwner

JOIN_CODE_LENGTH = 8


class ClassError(ValueError):
    """A Japanese message explaining why the operation was refused."""


def new_join_code() -> str:
    """``ABCD-EFGH``: 40 random bits, unambiguous letters, easy to read out in a classroom."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(JOIN_CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_join_code(text: str) -> str | None:
    cleaned = "".join(ch for ch in (text or "").upper() if ch not in " -　").translate(
        str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(cleaned) != JOIN_CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return f"{cleaned[:4]}-{cleaned[4:]}"


def create_class(*, name: str, audience: str, fiscal_year: int, owner, course_id: str | None,
                 starts_on: dt.date | None = None, due_on: dt.date | None = None,
                 join_enabled: bool = False) -> Cohort:
    """A class owned by ``owner``; it gets its audience's course (with the class due date)."""
    cohort = Cohort(name=name.strip(), audience=audience, fiscal_year=fiscal_year, starts_on=starts_on,
                    due_on=due_on, join_enabled=join_enabled, join_code=new_join_code())
    db.session.add(cohort)
    db.session.flush()
    db.session.add(CohortOwner(cohort_id=cohort.id, user_id=owner.id))
    if course_id:
        db.session.add(Assignment(cohort_id=cohort.id, course_id=course_id, due_on=due_on))
    audit.record("class.create", target_type="cohort", target_id=cohort.id, name=cohort.name, audience=audience)
    return cohort


def rotate_join_code(cohort: Cohort) -> str:
    cohort.join_code = new_join_code()
    audit.record("class.join_code_rotate", target_type="cohort", target_id=cohort.id)
    return cohort.join_code


def find_by_join_code(code: str) -> Cohort | None:
    """The open class with this code (disabled codes and archived classes find nothing)."""
    normal = normalise_join_code(code)
    if normal is None:
        return None
    return db.session.scalar(select(Cohort).where(Cohort.join_code == normal, Cohort.join_enabled.is_(True),
                                                  Cohort.archived.is_(False)))


def enrol(cohort: Cohort, user, via: str) -> bool:
    """Add a member once; False if already a member."""
    try:
        with db.session.begin_nested():
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, via=via))
    except IntegrityError:
        return False
    audit.record("class.join", actor=user, target_type="cohort", target_id=cohort.id, via=via)
    return True
