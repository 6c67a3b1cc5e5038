"""Where a trainee stands in a course: which step is next, what is done, percentages.

``load_records`` reads everything about one user in one query (however many courses,
modules or attempts there are); ``course_progress`` is a pure function over those
records and the content.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Boolean, Integer, String, bindparam, literal_column, null, select, type_coerce, union_all

from training.content.model import Content, Course, Module
from training.extensions import db
from training.models import (CourseCompletion, ModuleCompletion, QuizAttempt, SectionView, SurveyResponse,
                             UTCDateTime)


@dataclass
class AttemptSummary:
    count: int = 0
    best_percent: int = 0
    passed: bool = False
    last_at: dt.datetime | None = None
    last_id: int | None = None


@dataclass
class Records:
    """One user's learning records, grouped by course id."""

    viewed: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    attempts: dict[str, dict[str, AttemptSummary]] = field(default_factory=lambda: defaultdict(dict))
    module_done: dict[str, dict[str, dt.datetime]] = field(default_factory=lambda: defaultdict(dict))
    course_done: dict[str, dt.datetime] = field(default_factory=dict)
    surveys: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    last_activity: dict[str, dt.datetime] = field(default_factory=dict)


def _touch(records: Records, course_id: str, moment: dt.datetime | None) -> None:
    if moment and (course_id not in records.last_activity or moment > records.last_activity[course_id]):
        records.last_activity[course_id] = moment


def _records_query(by_course: bool):
    """Every record of a user as one UNION ALL: (kind, course, a, b, id, score, max, passed, at).

    Built once per process with bound parameters ``user_id`` (and ``course_id``), so each
    request only binds values and reuses SQLAlchemy's compiled statement.
    """
    def part(kind, model, a, b, row_id, score, max_score, passed, at):
        stmt = select(literal_column(f"'{kind}'", String).label("kind"), model.course_id.label("course"),
                      a.label("a"), b.label("b"), row_id.label("id"), score.label("score"),
                      max_score.label("max_score"), passed.label("passed"), at.label("at"))
        stmt = stmt.where(model.user_id == bindparam("user_id"))
        return stmt.where(model.course_id == bindparam("course_id")) if by_course else stmt

    none_text, none_int = null().cast(String), null().cast(Integer)
    none_bool = null().cast(Boolean)
    query = union_all(
        part("view", SectionView, SectionView.module_id, SectionView.section_id, none_int, none_int, none_int,
             none_bool, SectionView.viewed_at),
        part("attempt", QuizAttempt, QuizAttempt.quiz_id, none_text, QuizAttempt.id, QuizAttempt.score,
             QuizAttempt.max_score, QuizAttempt.passed, QuizAttempt.submitted_at),
        part("module", ModuleCompletion, ModuleCompletion.module_id, none_text, none_int, ModuleCompletion.score,
             none_int, none_bool, ModuleCompletion.completed_at),
        part("course", CourseCompletion, none_text, none_text, none_int, CourseCompletion.score, none_int,
             none_bool, CourseCompletion.completed_at),
        part("survey", SurveyResponse, SurveyResponse.phase, none_text, none_int, none_int, none_int, none_bool,
             SurveyResponse.submitted_at),
    ).subquery()
    return (select(query.c.kind, query.c.course, query.c.a, query.c.b, query.c.id, query.c.score,
                   query.c.max_score, query.c.passed, type_coerce(query.c.at, UTCDateTime()))
            .order_by(query.c.at, query.c.id))


_QUERIES: dict[bool, object] = {}


def load_records(user_id: int, course_id: str | None = None) -> Records:
    """One query, whatever the size of the course or the number of attempts."""
    records = Records()
    by_course = course_id is not None
    if by_course not in _QUERIES:
        _QUERIES[by_course] = _records_query(by_course)
    params = {"user_id": user_id, "course_id": course_id} if by_course else {"user_id": user_id}
    rows = db.session.execute(_QUERIES[by_course], params)
    for kind, course, a, b, row_id, score, max_score, passed, at in rows:
        if kind == "view":
            records.viewed[course].add((a, b))
        elif kind == "attempt":
            summary = records.attempts[course].setdefault(a, AttemptSummary())
            summary.count += 1
            percent = round(100 * score / max_score) if max_score else 0
            summary.best_percent = max(summary.best_percent, min(percent, 100))
            summary.passed = summary.passed or bool(passed)
            summary.last_at, summary.last_id = at, row_id
        elif kind == "module":
            records.module_done[course][a] = at
            continue
        elif kind == "course":
            records.course_done[course] = at
            continue
        else:
            records.surveys[course].add(a)
        _touch(records, course, at)
    return records


@dataclass(frozen=True)
class Step:
    """One thing to do in a course, in order."""

    kind: str            # pre_survey | section | quiz | scenario | post_survey
    module_id: str = ""
    item_id: str = ""    # section id, quiz id or scenario id
    title: str = ""


@dataclass(frozen=True)
class ModuleStatus:
    module: Module
    sections_total: int
    sections_viewed: int
    quiz: AttemptSummary
    completed_at: dt.datetime | None

    @property
    def label(self) -> str:
        if self.completed_at:
            return "修了"
        if self.sections_viewed == 0 and self.quiz.count == 0:
            return "未着手"
        if self.sections_viewed < self.sections_total:
            return "学習中"
        return "確認クイズ未合格" if self.quiz.count else "確認クイズへ"


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    steps: tuple[Step, ...]
    done: tuple[bool, ...]
    modules: tuple[ModuleStatus, ...]
    scenarios: dict
    pre_survey_done: bool
    post_survey_done: bool
    completed_at: dt.datetime | None
    last_activity: dt.datetime | None

    @property
    def percent(self) -> int:
        return round(100 * sum(self.done) / len(self.done)) if self.done else 0

    @property
    def next_step(self) -> Step | None:
        for step, done in zip(self.steps, self.done):
            if not done:
                return step
        return None

    @property
    def started(self) -> bool:
        return any(self.done)

    @property
    def learning_done(self) -> bool:
        """Every module and scenario done (the post-survey may remain)."""
        return all(d for s, d in zip(self.steps, self.done) if s.kind not in ("pre_survey", "post_survey"))


_STEPS: dict[tuple[str, str], tuple[Step, ...]] = {}


def course_steps(course: Course, content: Content) -> tuple[Step, ...]:
    """Every step of a course in order: pre-survey, each module's sections and quiz, scenarios, post-survey.

    Content never changes while the process runs, so the list is built once per course version.
    """
    key = (course.id, course.version)
    if key not in _STEPS:
        _STEPS[key] = _build_steps(course, content)
    return _STEPS[key]


def _build_steps(course: Course, content: Content) -> tuple[Step, ...]:
    steps = [Step("pre_survey", title="事前アンケート")]
    for module_id in course.modules:
        module = content.module(module_id)
        for section in module.sections_for(course.audience):
            steps.append(Step("section", module.id, section.id, section.title))
        steps.append(Step("quiz", module.id, module.quiz, f"{module.title} 確認クイズ"))
    for scenario_id in course.scenarios:
        steps.append(Step("scenario", item_id=scenario_id, title=content.quiz(scenario_id).title))
    steps.append(Step("post_survey", title="事後アンケート"))
    return tuple(steps)


def course_progress(course: Course, content: Content, records: Records) -> CourseProgress:
    """Pure computation of a course's progress from the records."""
    viewed = records.viewed.get(course.id, set())
    attempts = records.attempts.get(course.id, {})
    surveys = records.surveys.get(course.id, set())
    steps = course_steps(course, content)
    done = []
    for step in steps:
        if step.kind == "pre_survey":
            done.append("pre" in surveys)
        elif step.kind == "section":
            done.append((step.module_id, step.item_id) in viewed)
        elif step.kind in ("quiz", "scenario"):
            done.append(attempts.get(step.item_id, AttemptSummary()).passed)
        else:
            done.append("post" in surveys)
    module_done = records.module_done.get(course.id, {})
    modules = []
    for module_id in course.modules:
        module = content.module(module_id)
        sections = module.sections_for(course.audience)
        modules.append(ModuleStatus(
            module=module, sections_total=len(sections),
            sections_viewed=sum((module_id, s.id) in viewed for s in sections),
            quiz=attempts.get(module.quiz, AttemptSummary()),
            completed_at=module_done.get(module_id),
        ))
    return CourseProgress(
        course=course, steps=steps, done=tuple(done), modules=tuple(modules),
        scenarios={s: attempts.get(s, AttemptSummary()) for s in course.scenarios},
        pre_survey_done="pre" in surveys, post_survey_done="post" in surveys,
        completed_at=records.course_done.get(course.id),
        last_activity=records.last_activity.get(course.id),
    )
