"""Where people go wrong: per question the share answering correctly, per scenario moment the
share choosing each option, and the pre/post survey change (paired, per item). Each trainee's first attempt
counts (it shows what they understood before the explanations)."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from training.content.model import Content, Course, Question, Quiz, Scenario
from training.extensions import db
from training.learn.grading import is_correct
from training.learn.survey_change import ItemChange, paired_change
from training.models import QuizAttempt, SurveyResponse


@dataclass(frozen=True)
class QuestionStat:
    quiz: Quiz
    question: Question
    answered: int
    correct: int

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.answered) if self.answered else 0


@dataclass(frozen=True)
class MomentStat:
    scenario: Scenario
    node_id: str
    line: str
    answered: int
    choices: tuple  # (choice, count, percent)


def first_attempts(user_ids: list[int], course: Course) -> dict[tuple[int, str], QuizAttempt]:
    """Each member's first attempt at each quiz and scenario of the course (one query)."""
    if not user_ids:
        return {}
    rows = db.session.scalars(
        select(QuizAttempt).where(QuizAttempt.user_id.in_(bindparam("ids", expanding=True)),
                                  QuizAttempt.course_id == course.id)
        .order_by(QuizAttempt.submitted_at, QuizAttempt.id), {"ids": list(user_ids)})
    first: dict[tuple[int, str], QuizAttempt] = {}
    for attempt in rows:
        first.setdefault((attempt.user_id, attempt.quiz_id), attempt)
    return first


def question_stats(first: dict, course: Course, content: Content) -> list[QuestionStat]:
    """Per question, weakest first. Attempts on another content version are left out."""
    stats = []
    for module_id in course.modules:
        quiz = content.quiz(content.module(module_id).quiz)
        attempts = [a for (uid, qid), a in first.items() if qid == quiz.id and a.content_version == quiz.version]
        for question in quiz.questions:
            given = [a.answers.get(question.id) for a in attempts if question.id in a.answers]
            stats.append(QuestionStat(quiz, question, len(given), sum(is_correct(question, g) for g in given)))
    return sorted(stats, key=lambda s: (s.percent if s.answered else 101, s.quiz.id))


def moment_stats(first: dict, course: Course, content: Content) -> list[MomentStat]:
    """Per scenario decision, the share choosing each option the first time they met it."""
    result = []
    for scenario_id in course.scenarios:
        scenario = content.quiz(scenario_id)
        chosen: dict[str, Counter] = defaultdict(Counter)
        for (uid, qid), attempt in first.items():
            if qid != scenario.id or attempt.content_version != scenario.version:
                continue
            met = set()
            for entry in attempt.answers.get("history") or attempt.answers.get("steps", []):
                if entry["node"] not in met:
                    met.add(entry["node"])
                    chosen[entry["node"]][entry["choice"]] += 1
        for node in scenario.nodes:
            if node.ending or node.id not in chosen:
                continue
            total = sum(chosen[node.id].values())
            result.append(MomentStat(scenario, node.id, node.line, total, tuple(
                (c, chosen[node.id][c.id], round(100 * chosen[node.id][c.id] / total)) for c in node.choices)))
    return result


def survey_stats(user_ids: list[int], course: Course, content: Content) -> tuple[list[ItemChange], dict]:
    """The course's own survey items, each compared on the members who answered it before and
    after (paired, with n), and how many members answered each phase (one query). A member who
    took the course again counts with their latest answers; a pair is of one cycle."""
    responses = db.session.execute(
        select(SurveyResponse.user_id, SurveyResponse.phase, SurveyResponse.answers, SurveyResponse.cycle).where(
            SurveyResponse.user_id.in_(bindparam("ids", expanding=True)), SurveyResponse.course_id == course.id)
        .order_by(SurveyResponse.cycle),
        {"ids": list(user_ids) or [-1]}).all()
    by_phase: dict[str, dict[int, tuple[int, dict]]] = {"pre": {}, "post": {}}
    for user_id, phase, answers, cycle in responses:
        by_phase.setdefault(phase, {})[user_id] = (cycle, answers or {})
    pairs = [(pre, by_phase["post"][uid][1]) for uid, (cycle, pre) in by_phase["pre"].items()
             if uid in by_phase["post"] and by_phase["post"][uid][0] == cycle]
    stats = paired_change(pairs, content.survey.for_audience(course.audience))
    return stats, {"pre": len(by_phase["pre"]), "post": len(by_phase["post"]), "paired": len(pairs)}
