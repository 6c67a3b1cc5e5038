"""Where a trainee stands in a course: which step is next, what is done, percentages.

``load_records`` reads everything about one user in a fixed number of queries (however many
courses, modules or attempts there are); ``course_progress`` is a pure function over those
records and the content.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from training.content.model import Content, Course, Module
from training.extensions import db
from training.models import CourseCompletion, ModuleCompletion, QuizAttempt, SectionView, SurveyResponse


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
    module_done: dict[str, dict[str, ModuleCompletion]] = field(default_factory=lambda: defaultdict(dict))
    course_done: dict[str, CourseCompletion] = field(default_factory=dict)
    surveys: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    last_activity: dict[str, dt.datetime] = field(default_factory=dict)


def _touch(records: Records, course_id: str, moment: dt.datetime | None) -> None:
    if moment and (course_id not in records.last_activity or moment > records.last_activity[course_id]):
        records.last_activity[course_id] = moment


def load_records(user_id: int, course_id: str | None = None) -> Records:
    """Five queries, whatever the size of the course or the number of attempts."""
    records = Records()

    def where(model):
        clauses = [model.user_id == user_id]
        if course_id is not None:
            clauses.append(model.course_id == course_id)
        return clauses

    for course, module, section, viewed_at in db.session.execute(
        select(SectionView.course_id, SectionView.module_id, SectionView.section_id, SectionView.viewed_at)
        .where(*where(SectionView))
    ):
        records.viewed[course].add((module, section))
        _touch(records, course, viewed_at)
    for attempt in db.session.execute(
        select(QuizAttempt.id, QuizAttempt.course_id, QuizAttempt.quiz_id, QuizAttempt.score, QuizAttempt.max_score,
               QuizAttempt.passed, QuizAttempt.submitted_at)
        .where(*where(QuizAttempt)).order_by(QuizAttempt.submitted_at, QuizAttempt.id)
    ):
        summary = records.attempts[attempt.course_id].setdefault(attempt.quiz_id, AttemptSummary())
        summary.count += 1
        percent = round(100 * attempt.score / attempt.max_score) if attempt.max_score else 0
        summary.best_percent = max(summary.best_percent, min(percent, 100))
        summary.passed = summary.passed or attempt.passed
        summary.last_at, summary.last_id = attempt.submitted_at, attempt.id
        _touch(records, attempt.course_id, attempt.submitted_at)
    for row in db.session.scalars(select(ModuleCompletion).where(*where(ModuleCompletion))):
        records.module_done[row.course_id][row.module_id] = row
    for row in db.session.scalars(select(CourseCompletion).where(*where(CourseCompletion))):
        records.course_done[row.course_id] = row
    for course, phase, submitted_at in db.session.execute(
        select(SurveyResponse.course_id, SurveyResponse.phase, SurveyResponse.submitted_at).where(*where(SurveyResponse))
    ):
        records.surveys[course].add(phase)
        _touch(records, course, submitted_at)
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


def course_steps(course: Course, content: Content) -> tuple[Step, ...]:
    """Every step of a course in order: pre-survey, each module's sections and quiz, scenarios, post-survey."""
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
        completion = module_done.get(module_id)
        modules.append(ModuleStatus(
            module=module, sections_total=len(sections),
            sections_viewed=sum((module_id, s.id) in viewed for s in sections),
            quiz=attempts.get(module.quiz, AttemptSummary()),
            completed_at=completion.completed_at if completion else None,
        ))
    completion = records.course_done.get(course.id)
    return CourseProgress(
        course=course, steps=steps, done=tuple(done), modules=tuple(modules),
        scenarios={s: attempts.get(s, AttemptSummary()) for s in course.scenarios},
        pre_survey_done="pre" in surveys, post_survey_done="post" in surveys,
        completed_at=completion.completed_at if completion else None,
        last_activity=records.last_activity.get(course.id),
    )
