"""Finding people by name, kana, login id or 職員番号, for personnel and for instructors.

The query is folded exactly as the stored ``user.search_key`` (training/text_fold.py), so
髙橋 is found by 高橋, 山﨑 by 山崎, カタカナ by ｶﾀｶﾅ or ひらがな. The number rule:

* a query of digits only matches ``employee_no_digits`` (the number without leading zeros)
  after its own leading zeros are removed: 4513 and 004513 both find 004513;
* with 3 digits or more (not counting leading zeros) it also matches inside the number (451
  finds 004513) and inside the rest of the key (a login id such as t004513); shorter digit
  queries match a whole number (or login id) only, so 7 and 007 find 007 but not 170, and
  000 does not list every number holding a 0.

Instructors search only the members of the classes they own (``within_cohorts_of``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import abort
from sqlalchemy import or_, select

from training.certificates.issue import STATE_LABELS, state
from training.content import current_content
from training.dates import today_jst
from training.extensions import db
from training.learn.progress import course_progress, load_records
from training.models import (COMPLETION_KINDS, Certificate, Cohort, CohortMember, CohortOwner, CourseCompletion,
                             SessionOwner, SessionParticipant, TrainingSession, User, UserRole)
from training.text_fold import MIN_PART_DIGITS, digits_query, fold

#: More than this and the page asks for a narrower query instead of listing everyone.
LIMIT = 50
MAX_QUERY_LENGTH = 100


@dataclass
class Found:
    people: list[User]
    more: bool          # more than LIMIT matched; only the first LIMIT are listed


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def condition(query: str):
    """The WHERE clause for ``query``, or None when nothing is left after folding."""
    digits = digits_query(query)
    if digits is not None:
        number = digits.lstrip("0") or "0"
        if len(number) >= MIN_PART_DIGITS:   # counted without the leading zeros: 000 is not a part
            return or_(User.employee_no_digits.like(_like(number), escape="\\"),
                       User.search_key.like(_like(fold(digits)), escape="\\"))
        return or_(User.employee_no_digits == number, User.login_id == digits)
    folded = fold(query)
    if not folded:
        return None
    return User.search_key.like(_like(folded), escape="\\")


def member_ids_of(instructor_id: int):
    """The ids of the members of the classes ``instructor_id`` owns (a subquery)."""
    return (select(CohortMember.user_id).join(CohortOwner, CohortOwner.cohort_id == CohortMember.cohort_id)
            .where(CohortOwner.user_id == instructor_id))


def search(query: str, *, within_cohorts_of: int | None = None, trainees_only: bool = True,
           in_any_cohort: bool = False) -> Found:
    """People matching ``query``, by kana then name, at most LIMIT of them: members of the
    classes ``within_cohorts_of`` owns, members of any class (``in_any_cohort``), or trainees."""
    where = condition(query[:MAX_QUERY_LENGTH])
    if where is None:
        return Found([], False)
    stmt = select(User).where(where)
    if within_cohorts_of is not None:
        stmt = stmt.where(User.id.in_(member_ids_of(within_cohorts_of)))
    elif in_any_cohort:
        stmt = stmt.where(User.id.in_(select(CohortMember.user_id)))
    elif trainees_only:
        stmt = stmt.where(User.id.in_(trainee_ids()))
    rows = db.session.scalars(stmt.order_by(User.name_kana, User.display_name, User.id).limit(LIMIT + 1)).all()
    return Found(list(rows[:LIMIT]), len(rows) > LIMIT)


def trainee_ids():
    return select(UserRole.user_id).where(UserRole.role == "trainee")


# The person page ---------------------------------------------------------------------------

def load_person(user_id: int, *, instructor_id: int | None = None, in_any_cohort: bool = False) -> User:
    """The person, if the asker may see them; otherwise 404 (no hint that they exist).

    ``instructor_id`` set: only a member of a class that instructor owns. Unset (personnel,
    admins): any trainee; ``in_any_cohort`` (admins on the class pages): a member of any class.
    """
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if instructor_id is not None:
        allowed = db.session.scalar(select(CohortMember.id).where(
            CohortMember.user_id == user.id, CohortMember.cohort_id.in_(
                select(CohortOwner.cohort_id).where(CohortOwner.user_id == instructor_id))).limit(1))
    elif in_any_cohort:
        allowed = db.session.scalar(select(CohortMember.id).where(CohortMember.user_id == user.id).limit(1))
    else:
        allowed = "trainee" in user.roles
    if not allowed:
        abort(404)
    return user


@dataclass
class InProgress:
    title: str
    percent: int
    last_activity: dt.datetime | None


@dataclass
class History:
    user: User
    cohorts: list[Cohort]
    in_progress: list[InProgress] = field(default_factory=list)
    completions: list[tuple[str, CourseCompletion]] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    states: dict[int, str] = field(default_factory=dict)
    #: completion id -> its kind's label (e-ラーニング, 集合研修, 集合研修＋e-ラーニング).
    kinds: dict[int, str] = field(default_factory=dict)
    #: The in-person sessions the person is registered for, newest first (an instructor sees
    #: only the sessions they own).
    sessions: list[SessionLine] = field(default_factory=list)
    #: Whether ``sessions`` (and ``cohorts``) are limited to one instructor's own.
    scoped: bool = False


@dataclass(frozen=True)
class SessionLine:
    title: str
    held_on: dt.date
    status: str          # 出席・遅刻・早退・欠席・未記録 (早退 says whether it counted)
    counted: bool        # the attendance counts towards completing the course
    session_id: int


def history(user: User, *, instructor_id: int | None = None) -> History:
    """Classes and sessions (an instructor sees only their own), work in progress, completions
    with their kind, certificates."""
    stmt = (select(Cohort).join(CohortMember).where(CohortMember.user_id == user.id)
            .order_by(Cohort.fiscal_year.desc(), Cohort.name))
    if instructor_id is not None:
        stmt = stmt.where(Cohort.id.in_(select(CohortOwner.cohort_id).where(CohortOwner.user_id == instructor_id)))
    content = current_content()
    result = History(user=user, cohorts=list(db.session.scalars(stmt)))
    completions = db.session.scalars(select(CourseCompletion).where(CourseCompletion.user_id == user.id)
                                     .order_by(CourseCompletion.completed_at)).all()
    for completion in completions:
        course = content.course(completion.course_id)
        result.completions.append((course.title if course else completion.course_id, completion))
        result.kinds[completion.id] = COMPLETION_KINDS.get(completion.kind, completion.kind)
    result.sessions = _sessions(user.id, instructor_id)
    result.scoped = instructor_id is not None
    records = load_records(user.id)
    for course_id, moment in sorted(records.last_activity.items(), key=lambda item: item[1], reverse=True):
        course = content.course(course_id)
        if course is None or course_id in records.course_done:
            continue
        progress = course_progress(course, content, records)
        result.in_progress.append(InProgress(course.title, progress.percent, moment))
    result.certificates = list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                                  .order_by(Certificate.serial)))
    today = today_jst()
    result.states = {c.id: STATE_LABELS[state(c, today)] for c in result.certificates}
    return result


def _sessions(user_id: int, instructor_id: int | None) -> list[SessionLine]:
    """The person's session registrations with their attendance (one query)."""
    from training.inperson.rules import counts, label

    stmt = (select(TrainingSession, SessionParticipant)
            .join(SessionParticipant, SessionParticipant.session_id == TrainingSession.id)
            .where(SessionParticipant.user_id == user_id)
            .order_by(TrainingSession.held_on.desc(), TrainingSession.starts_at.desc(), TrainingSession.id.desc()))
    if instructor_id is not None:
        stmt = stmt.where(TrainingSession.id.in_(
            select(SessionOwner.session_id).where(SessionOwner.user_id == instructor_id)))
    lines = []
    for session, participant in db.session.execute(stmt):
        counted = counts(participant.status, participant.left_early_confirmed)
        status = label(participant.status)
        if participant.status == "left_early":
            status += "（修了扱い）" if counted else "（修了扱いにしていません）"
        lines.append(SessionLine(session.title, session.held_on, status, counted, session.id))
    return lines
