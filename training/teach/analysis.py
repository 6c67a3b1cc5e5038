"""Where people go wrong: per question the share answering correctly, per scenario moment the
share choosing each option, and the pre/post survey change. Each trainee's first attempt
counts (it shows what they understood before the explanations)."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from training.content.model import Content, Course, Question, Quiz, Scenario
from training.extensions import db
from training.learn.grading import is_correct
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


@dataclass(frozen=True)
class SurveyItemStat:
    text: str
    pre_mean: float | None
    post_mean: float | None
    kind: str              # efficacy (1–5 mean) | knowledge (share correct, %)

    @property
    def change(self) -> float | None:
        if self.pre_mean is None or self.post_mean is None:
            return None
        return round(self.post_mean - self.pre_mean, 2)


def survey_stats(user_ids: list[int], course: Course, content: Content) -> tuple[list[SurveyItemStat], dict]:
    """Pre/post mean per self-efficacy item, and the share answering each knowledge item correctly."""
    responses = db.session.execute(
        select(SurveyResponse.phase, SurveyResponse.answers).where(
            SurveyResponse.user_id.in_(bindparam("ids", expanding=True)), SurveyResponse.course_id == course.id),
        {"ids": list(user_ids) or [-1]}).all()
    by_phase = {"pre": [a for p, a in responses if p == "pre"], "post": [a for p, a in responses if p == "post"]}

    def mean(values):
        return round(sum(values) / len(values), 2) if values else None

    stats = []
    for item in content.survey.efficacy:
        stats.append(SurveyItemStat(item.text, *[
            mean([a["efficacy"][item.id] for a in by_phase[p] if item.id in a.get("efficacy", {})])
            for p in ("pre", "post")], kind="efficacy"))
    for item in content.survey.knowledge:
        expected = "true" if item.answer else "false"
        shares = []
        for phase in ("pre", "post"):
            given = [a["knowledge"][item.id] for a in by_phase[phase] if item.id in a.get("knowledge", {})]
            shares.append(round(100 * sum(g == expected for g in given) / len(given), 1) if given else None)
        stats.append(SurveyItemStat(item.text, *shares, kind="knowledge"))
    return stats, {p: len(v) for p, v in by_phase.items()}
