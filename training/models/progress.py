"""Learning records: section views, quiz attempts, completions and survey responses.

Content is referenced by string ids (course, module, section, quiz); every graded or
completed record keeps the content version (a hash) it was earned on, so later content
changes never rewrite history.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from training.dates import fiscal_year_of, to_jst
from training.models.base import Base, JSONType, UTCDateTime, utcnow


class SectionView(Base):
    """A trainee has read a section of a module within a course."""

    __tablename__ = "section_view"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "module_id", "section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64))
    module_id: Mapped[str] = mapped_column(String(64))
    section_id: Mapped[str] = mapped_column(String(64))
    viewed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QuizAttempt(Base):
    """One submitted quiz or scenario run, with the answers as given (by choice id).

    ``submission_token`` is issued with the form (for a check quiz, its QuizSitting's token); a
    second submit of the same form finds the existing attempt instead of recording another.
    ``layout`` is the check quiz as it was shown (questions drawn, option orders), copied from
    the sitting; None for scenario runs and for attempts stored before layouts existed.
    """

    __tablename__ = "quiz_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64))
    quiz_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # quiz | scenario
    answers: Mapped[dict] = mapped_column(JSONType, default=dict)
    score: Mapped[int] = mapped_column(Integer, default=0)
    max_score: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    content_version: Mapped[str] = mapped_column(String(64))
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    layout: Mapped[dict | None] = mapped_column(JSONType)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ModuleCompletion(Base):
    """A module finished within a course: all sections viewed and its quiz passed.

    ``cycle`` is the time through the course it belongs to (1, then 2 for a refresher, …; see
    training.learn.cycle); ``fiscal_year`` the 年度 (JST) of ``completed_at``.
    """

    __tablename__ = "module_completion"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "module_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64))
    module_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[int | None] = mapped_column(Integer)
    content_version: Mapped[str] = mapped_column(String(64))
    completed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cycle: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    fiscal_year: Mapped[int] = mapped_column(Integer)


#: completion kind -> label (certificates and records).
COMPLETION_KINDS: dict[str, str] = {
    "elearning": "e-ラーニング",
    "in_person": "集合研修",
    "blended": "集合研修＋e-ラーニング",
}


class CourseCompletion(Base):
    """A course finished; never rewritten when content changes (content_version is kept).

    A person completes a course once per *cycle*: 1 the first time, 2 when a class that does
    not count earlier completions asks for it again (a refresher, issue 16), and so on
    (training.learn.cycle). ``fiscal_year`` is the 年度 (JST) of ``completed_at``: the reports
    count a person once per course and fiscal year.
    """

    __tablename__ = "course_completion"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64), index=True)
    score: Mapped[int | None] = mapped_column(Integer)
    content_version: Mapped[str] = mapped_column(String(64))
    completed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    #: The person's department and audience when the course was completed (issue 16): the
    #: reports count by these, so transfers after the year do not move its figures.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    department_name: Mapped[str | None] = mapped_column(String(100))
    audience: Mapped[str | None] = mapped_column(String(32))
    cycle: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    fiscal_year: Mapped[int] = mapped_column(Integer, index=True)
    #: When the row as the API shows it last changed (issue 17, ``updated_since``): recorded,
    #: its certificate issued, reissued or revoked, its department snapshot corrected or mapped.
    #: ORM and Core UPDATEs of the row set it (onupdate); certificate changes touch it.
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, index=True)
    #: How the course was completed (issue 17): elearning | in_person (an in-person session
    #: that completes the course by itself) | blended (a session and the e-learning together).
    kind: Mapped[str] = mapped_column(String(16), default="elearning", server_default="elearning")


@event.listens_for(ModuleCompletion, "before_insert")
@event.listens_for(CourseCompletion, "before_insert")
def _fill_fiscal_year(_mapper, _connection, target) -> None:
    """The fiscal year follows the completion time, however the row was made."""
    if target.completed_at is None:
        target.completed_at = utcnow()
    if target.fiscal_year is None:
        target.fiscal_year = fiscal_year_of(to_jst(target.completed_at).date())


class SurveyResponse(Base):
    """Pre- or post-course survey answers of one trainee for one course, once per cycle (the
    cycle of the completion it leads to; a refresher answers both surveys again)."""

    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "phase", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64))
    phase: Mapped[str] = mapped_column(String(8))  # pre | post
    answers: Mapped[dict] = mapped_column(JSONType, default=dict)
    content_version: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cycle: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class ScenarioRun(Base):
    """A trainee's way through a branching scenario, one decision at a time.

    ``steps`` is the path as it stands (a retried moment is removed from it); ``history``
    keeps every choice ever made, retried ones included, for the instructors' analysis.
    The run is kept in the database so it resumes on any device and any app server.

    ``layout`` is the order the options of every decision are shown in, drawn when the run
    starts ({node id: [choice ids]}); the form posts a position, mapped back through it, so no
    choice id reaches the page. ``state`` holds the values the scenario remembers (e.g.
    {"trust": 1}) as they stand; each step also keeps the values after it, for retry and review.
    Both are None only for runs started before they existed (such a run is started again).
    """

    __tablename__ = "scenario_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64))
    scenario_id: Mapped[str] = mapped_column(String(64))
    content_version: Mapped[str] = mapped_column(String(64))
    steps: Mapped[list] = mapped_column(JSONType, default=list)
    history: Mapped[list] = mapped_column(JSONType, default=list)
    current_node: Mapped[str] = mapped_column(String(64))
    awaiting_feedback: Mapped[bool] = mapped_column(Boolean, default=False)
    layout: Mapped[dict | None] = mapped_column(JSONType)
    state: Mapped[dict | None] = mapped_column(JSONType)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_attempt.id", ondelete="SET NULL"))
