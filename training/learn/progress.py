"""Where a trainee stands in a course: which step is next, what is done, percentages.

``load_records`` reads everything about one user in one query (however many courses,
modules or attempts there are); ``course_progress`` is a pure function over those
records and the content.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import (Boolean, Integer, String, bindparam, func, literal_column, null, select, type_coerce,
                        union_all)

from training.content.model import Content, Course, Module
from training.database import driver_rows
from training.extensions import db
from training.models import (CourseCompletion, ModuleCompletion, QuizAttempt, SectionView, SurveyResponse,
                             UTCDateTime)
from training.models.base import as_utc


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
    #: Courses taken again (training.learn.cycle): only records from ``since`` on are above.
    refresher: dict[str, object] = field(default_factory=dict)


def _touch(records: Records, course_id: str, moment: dt.datetime | None) -> None:
    if moment and (course_id not in records.last_activity or moment > records.last_activity[course_id]):
        records.last_activity[course_id] = moment


def _records_query(by_course: bool, many: bool = False, views: bool = True):
    """Every record of a user as one UNION ALL: (kind, course, a, b, id, score, max, passed, at).

    Built once per process with bound parameters ``user_id`` (and ``course_id``), so each
    request only binds values and reuses SQLAlchemy's compiled statement.
    """
    def part(kind, model, a, b, row_id, score, max_score, passed, at):
        stmt = select(literal_column(f"'{kind}'", String).label("kind"), model.course_id.label("course"),
                      a.label("a"), b.label("b"), row_id.label("id"), score.label("score"),
                      max_score.label("max_score"), passed.label("passed"), at.label("at"),
                      model.user_id.label("user_id"))
        if many:
            stmt = stmt.where(model.user_id.in_(bindparam("user_ids", expanding=True)))
        else:
            stmt = stmt.where(model.user_id == bindparam("user_id"))
        return stmt.where(model.course_id == bindparam("course_id")) if by_course else stmt

    none_text, none_int = null().cast(String), null().cast(Integer)
    none_bool = null().cast(Boolean)
    parts = [part("view", SectionView, SectionView.module_id, SectionView.section_id, none_int, none_int, none_int,
                  none_bool, SectionView.viewed_at)] if views else []
    query = union_all(
        *parts,
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
                   query.c.max_score, query.c.passed, type_coerce(query.c.at, UTCDateTime()), query.c.user_id)
            .order_by(query.c.at, query.c.id))


_QUERIES: dict[tuple[bool, bool, bool], object] = {}


def _query(by_course: bool, many: bool, views: bool = True):
    key = (by_course, many, views)
    if key not in _QUERIES:
        _QUERIES[key] = _records_query(by_course, many, views)
    return _QUERIES[key]


def load_records(user_id: int, course_id: str | None = None) -> Records:
    """One query, whatever the size of the course or the number of attempts.

    A course the person takes again (training.learn.cycle) keeps only the records from the
    refresher's start on; a person with no completion costs no further query."""
    by_course = course_id is not None
    params = {"user_id": user_id, "course_id": course_id} if by_course else {"user_id": user_id}
    records = Records()
    rows = [(kind, course, a, b, row_id, score, max_score, passed, as_utc(at))
            for kind, course, a, b, row_id, score, max_score, passed, at, _user in driver_rows(
                db.session, _query(by_course, False), params)]
    latest = {row[1]: row[8] for row in rows if row[0] == "course"}  # rows are in time order
    if latest:
        from training.learn.cycle import refreshers

        records.refresher = refreshers(user_id, latest)
    since = {course: found.since for course, found in records.refresher.items()}
    for row in rows:
        if since and row[1] in since and row[8] < since[row[1]]:
            continue
        _add(records, *row)
    return records


def load_records_for(user_ids: list[int], course_id: str, since: dt.datetime | None = None) -> dict[int, Records]:
    """Records of many users in one course, in three queries whatever their number (a class's
    progress matrix). Section views, by far the most rows, are read as bare ids, with one
    latest time per user, instead of converting a timestamp per row.

    ``since`` (a class that does not count earlier completions, training.teach.years.counts_since):
    a member whose latest completion is before it is taking the course again for the class, and
    only their records from then on count (as on their own pages, training.learn.cycle)."""
    result: dict[int, Records] = {uid: Records() for uid in user_ids}
    if not user_ids:
        return result
    params = {"user_ids": list(user_ids), "course_id": course_id}
    rows = list(db.session.execute(_query(True, True, views=False), params))
    again: set[int] = set()
    if since is not None:
        latest: dict[int, dt.datetime] = {}
        for row in rows:
            if row[0] == "course":
                latest[row[9]] = as_utc(row[8])
        again = {uid for uid, at in latest.items() if at < since}
        from training.learn.cycle import Refresher

        for uid in again:
            result[uid].refresher[course_id] = Refresher(since=since, previous=latest[uid], classes=())
    for row in rows:
        if row[9] in again and as_utc(row[8]) < since:
            continue
        _add(result[row[9]], *row[:9])
    in_course = (SectionView.user_id.in_(bindparam("user_ids", expanding=True)),
                 SectionView.course_id == bindparam("course_id"))
    if again:
        fresh = (SectionView.viewed_at >= since).label("fresh")
        for user_id, module_id, section_id, is_fresh in db.session.execute(
                select(SectionView.user_id, SectionView.module_id, SectionView.section_id, fresh)
                .where(*in_course), params):
            if is_fresh or user_id not in again:
                result[user_id].viewed[course_id].add((module_id, section_id))
    else:
        for user_id, module_id, section_id in db.session.execute(
                select(SectionView.user_id, SectionView.module_id, SectionView.section_id).where(*in_course), params):
            result[user_id].viewed[course_id].add((module_id, section_id))
    for user_id, latest_view in db.session.execute(
            select(SectionView.user_id, type_coerce(func.max(SectionView.viewed_at), UTCDateTime()))
            .where(*in_course).group_by(SectionView.user_id), params):
        if user_id not in again or latest_view >= since:
            _touch(result[user_id], course_id, latest_view)
    return result


def _add(records: Records, kind, course, a, b, row_id, score, max_score, passed, at) -> None:
    """Fold one record row into ``records``."""
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
        return
    elif kind == "course":
        records.course_done[course] = at
        return
    else:
        records.surveys[course].add(a)
    _touch(records, course, at)


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
    #: Taking the course again for a class (training.learn.cycle.Refresher), else None.
    refresher: object = None

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


#: Read-only stand-in for "no attempt yet" (never mutated: _add creates its own summaries).
_NO_ATTEMPTS = AttemptSummary()
_EMPTY: frozenset = frozenset()


def _layout(course: Course, content: Content):
    """Per course version, computed once: each module with its section keys and quiz id."""
    key = ("layout", course.id, course.version)
    if key not in _STEPS:
        _STEPS[key] = tuple(
            (content.module(m), tuple((m, s.id) for s in content.module(m).sections_for(course.audience)))
            for m in course.modules)
    return _STEPS[key]


def course_progress(course: Course, content: Content, records: Records) -> CourseProgress:
    """Pure computation of a course's progress from the records (hot: the class matrix calls it
    once per trainee, so it works from precomputed per-course layouts)."""
    viewed = records.viewed.get(course.id, _EMPTY)
    attempts = records.attempts.get(course.id, {})
    surveys = records.surveys.get(course.id, _EMPTY)
    module_done = records.module_done.get(course.id, {})
    done = ["pre" in surveys]
    modules = []
    for module, keys in _layout(course, content):
        seen = [k in viewed for k in keys]
        quiz = attempts.get(module.quiz, _NO_ATTEMPTS)
        done.extend(seen)
        done.append(quiz.passed)
        modules.append(ModuleStatus(module=module, sections_total=len(keys), sections_viewed=sum(seen), quiz=quiz,
                                    completed_at=module_done.get(module.id)))
    scenarios = {s: attempts.get(s, _NO_ATTEMPTS) for s in course.scenarios}
    done.extend(a.passed for a in scenarios.values())
    done.append("post" in surveys)
    return CourseProgress(
        course=course, steps=course_steps(course, content), done=tuple(done), modules=tuple(modules),
        scenarios=scenarios, pre_survey_done="pre" in surveys, post_survey_done="post" in surveys,
        completed_at=records.course_done.get(course.id),
        last_activity=records.last_activity.get(course.id), refresher=records.refresher.get(course.id),
    )
