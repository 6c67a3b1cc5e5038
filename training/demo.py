"""Demo data for `training demo`: an account per role and audience, and a class."""
from __future__ import annotations

import datetime as dt
import random
import secrets

from sqlalchemy import select

from training.auth.accounts import find_by_login_id
from training.auth.passwords import hash_password
from training.extensions import db
from training.dates import fiscal_year_of
from training.content import current_content
from training.learn.completion import record_completions
from training.learn.quiz_layout import Layout, draw_layout
from training.models import (Cohort, CohortMember, CohortOwner, QuizAttempt, SectionView, SurveyResponse,
                             User)

#: login id, name, kana, roles, audience, department, employee number
DEMO_ACCOUNTS = (
    ("demo-admin", "管理 花子", "かんり はなこ", ("admin",), None, "情報政策課", "000101"),
    ("demo-personnel", "人事 一郎", "じんじ いちろう", ("personnel",), None, "人材育成課", "000102"),
    ("demo-instructor", "研修 律子", "けんしゅう りつこ", ("instructor", "trainee"), "counter_staff",
     "保健予防課", "000103"),
    ("demo-resident", "練馬 太郎", "ねりま たろう", ("trainee",), "residents", None, None),
    ("demo-teacher", "石神井 恵", "しゃくじい めぐみ", ("trainee",), "teachers", "区立中学校", "000201"),
    ("demo-counter", "光が丘 健", "ひかりがおか けん", ("trainee",), "counter_staff", "税務課", "000301"),
    ("demo-counselor", "大泉 真理", "おおいずみ まり", ("trainee",), "counselors", "経済課", "000401"),
    ("demo-student", "高校生デモ", "こうこうせい でも", ("trainee",), "high_school", None, None),
)

DEMO_CLASS_NAME = "窓口職員向けゲートキーパー研修（デモ）"


def create_demo(password: str | None = None) -> tuple[str, list[tuple[str, str]]]:
    """Create or refresh the demo accounts and class; return the password and logins.

    Running it twice updates the same accounts (no duplicates).
    """
    password = password or secrets.token_urlsafe(9)
    password_hash = hash_password(password)
    logins = []
    users = {}
    for login_id, name, kana, roles, audience, department, employee_no in DEMO_ACCOUNTS:
        user = find_by_login_id(login_id) or User(login_id=login_id)
        user.display_name, user.name_kana = name, kana
        user.audience, user.department, user.employee_no = audience, department, employee_no
        user.password_hash = password_hash
        user.active, user.must_change_password = True, False
        user.set_roles(set(roles))
        db.session.add(user)
        users[login_id] = user
        logins.append((login_id, "・".join(_role_labels(roles, audience))))
    db.session.flush()

    today = dt.date.today()
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == DEMO_CLASS_NAME))
    if cohort is None:
        cohort = Cohort(name=DEMO_CLASS_NAME, audience="counter_staff", fiscal_year=fiscal_year_of(today),
                        starts_on=today, due_on=today + dt.timedelta(days=60))
        db.session.add(cohort)
        db.session.flush()
    owner_ids = {o.user_id for o in cohort.owners}
    if users["demo-instructor"].id not in owner_ids:
        cohort.owners.append(CohortOwner(user_id=users["demo-instructor"].id))
    member_ids = {m.user_id for m in cohort.members}
    for login_id in ("demo-counter", "demo-instructor"):
        if users[login_id].id not in member_ids:
            cohort.members.append(CohortMember(user_id=users[login_id].id, via="demo"))
    db.session.commit()
    add_demo_progress(users)
    return password, logins


def _correct_answers(quiz, layout: Layout) -> dict:
    """The right answer, by choice id, to every question the layout asks."""
    answers = {}
    for q in (quiz.question(i) for i in layout.question_ids):
        if q.kind == "single":
            answers[q.id] = q.answer
        elif q.kind in ("multiple", "ordering"):
            answers[q.id] = list(q.answer)
        else:
            answers[q.id] = q.answer_map
    return answers


def _survey(content, course, post: bool) -> dict:
    """Answers to the items of the course's audience, as the survey page stores them."""
    survey = content.survey.for_audience(course.audience)
    answers = {"efficacy": {i.id: 4 if post else 2 for i in survey.efficacy},
               "knowledge": {i.id: ("true" if i.answer else "false") if post else "unknown"
                             for i in survey.knowledge}}
    if post:
        answers["distress"] = content.survey.distress_options[0].id
    return answers


def simulate_learning(user, course, content, *, modules: int = 99, scenarios: bool = True, post: bool = True) -> None:
    """Record a trainee's learning as if done through the pages (pre-survey, sections, quizzes…)."""
    if db.session.scalar(select(SurveyResponse.id).where(SurveyResponse.user_id == user.id,
                                                         SurveyResponse.course_id == course.id)):
        return  # already has demo progress
    db.session.add(SurveyResponse(user_id=user.id, course_id=course.id, phase="pre",
                                  answers=_survey(content, course, False), content_version=content.version))
    for module_id in course.modules[:modules]:
        module = content.module(module_id)
        for section in module.sections_for(course.audience):
            db.session.add(SectionView(user_id=user.id, course_id=course.id, module_id=module.id,
                                       section_id=section.id))
        quiz = content.quiz(module.quiz)
        # Drawn and shuffled as the quiz page would, from a fixed seed so a demo is repeatable.
        layout = draw_layout(quiz.for_audience(course.audience), random.Random(f"{user.login_id}:{quiz.id}"))
        db.session.add(QuizAttempt(user_id=user.id, course_id=course.id, quiz_id=quiz.id, kind="quiz",
                                   answers=_correct_answers(quiz, layout), score=len(layout.questions),
                                   max_score=len(layout.questions), passed=True, content_version=quiz.version,
                                   layout=layout.to_json()))
    if scenarios:
        for scenario_id in course.scenarios:
            scenario = content.quiz(scenario_id)
            steps, values, ending = [], scenario.start_values(), ""
            for node in scenario.best_path():  # the best choice at each moment, state as the pages keep it
                best = max(node.choices, key=lambda c: c.score)
                values = scenario.after(values, best)
                steps.append({"node": node.id, "choice": best.id, "score": best.score,
                              **({"state": values} if scenario.state else {})})
                ending = best.next_for(values)
            db.session.add(QuizAttempt(user_id=user.id, course_id=course.id, quiz_id=scenario.id, kind="scenario",
                                       answers={"steps": steps, "ending": ending, "history": steps,
                                                "state": values},
                                       score=scenario.max_score, max_score=scenario.max_score, passed=True,
                                       content_version=scenario.version))
    if post:
        db.session.add(SurveyResponse(user_id=user.id, course_id=course.id, phase="post",
                                      answers=_survey(content, course, True), content_version=content.version))
    db.session.flush()
    record_completions(user.id, course, content)


def add_demo_progress(users: dict) -> None:
    """demo-counter: the counter-staff course completed with its certificate; others part-way."""
    content = current_content()
    plan = (
        ("demo-counter", "counter-staff", dict(modules=99, scenarios=True, post=True)),
        ("demo-resident", "residents", dict(modules=2, scenarios=False, post=False)),
        ("demo-teacher", "teachers", dict(modules=1, scenarios=False, post=False)),
        ("demo-counselor", "counselors", dict(modules=5, scenarios=False, post=False)),
    )
    for login_id, course_id, how in plan:
        simulate_learning(users[login_id], content.course(course_id), content, **how)
    db.session.commit()


def _role_labels(roles, audience) -> list[str]:
    from training.models import AUDIENCES, ROLES

    labels = [ROLES[r] for r in roles]
    if audience:
        labels.append(AUDIENCES[audience])
    return labels
