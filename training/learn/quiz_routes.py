"""The check quiz page: shown from the trainee's open sitting, graded against it on submit.

GET finds or draws the sitting (questions drawn, options shuffled, stored), so it writes and
is marked ``writes_on_get`` (SQLite begins IMMEDIATE). The form's values are display positions
and its token names the sitting; POST maps the positions back to choice ids through the stored
layout, so a reload, a resubmission and the result page all agree with what was shown.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from training.auth.access import roles_required
from training.database import writes_on_get
from training.extensions import db
from training.learn.completion import record_completions
from training.learn.grading import TamperedAnswer, grade, read_answers
from training.learn.progress import course_progress, load_records
from training.learn.quiz_layout import Layout, fits, shown_questions
from training.learn.routes import bp, load_course, load_module, require_pre_survey
from training.learn.sittings import open_sitting, sitting_by_token
from training.models import QuizAttempt, User

#: The submission token column's width: a longer token can name no attempt and cannot be stored.
TOKEN_MAX_LENGTH = QuizAttempt.__table__.c.submission_token.type.length

UNREADABLE = "回答の内容を読み取れませんでした。ページを読み込み直してから、もう一度解答してください。"
CHANGED = "確認クイズの内容が更新されました。お手数ですが、もう一度解答してください。"
STALE = "この解答用紙は古くなっています（別の画面で解答したか、出題が新しくなりました）。お手数ですが、もう一度解答してください。"
LIMIT = "この確認クイズの解答回数の上限に達しました。研修担当にご相談ください。"


def _limit_reached_locked(course, quiz_id: str, since=None) -> bool:
    """Whether the attempt limit is reached, counted under a lock on the user's row.

    Parallel submissions (each with its own token) would otherwise all count the same
    attempts and all be stored. On PostgreSQL ``FOR UPDATE`` makes them queue per user until
    this transaction commits; SQLite's ``BEGIN IMMEDIATE`` already queues every writer.
    ``since``: taking the course again (training.learn.cycle), only attempts from then on count.
    """
    db.session.execute(select(User.id).where(User.id == current_user.id).with_for_update())
    stmt = select(func.count(), func.max(case((QuizAttempt.passed, 1), else_=0))).where(
        QuizAttempt.user_id == current_user.id, QuizAttempt.course_id == course.id,
        QuizAttempt.quiz_id == quiz_id)
    if since is not None:
        stmt = stmt.where(QuizAttempt.submitted_at >= since)
    used, passed = db.session.execute(stmt).one()
    return used >= course.max_attempts and not passed


@bp.route("/<course_id>/m/<module_id>/quiz", methods=["GET", "POST"])
@writes_on_get  # the first showing draws and stores the sitting
@roles_required("trainee")
def quiz(course_id, module_id):
    """The module's check quiz. The sitting's token makes a double submit record one attempt."""
    content, course = load_course(course_id)
    module = load_module(content, course, module_id)
    quiz = content.quiz(module.quiz)
    records = load_records(current_user.id, course.id)
    progress = course_progress(course, content, records)
    gate = require_pre_survey(course, progress)
    if gate:
        return gate
    summary = records.attempts.get(course.id, {}).get(quiz.id)
    used = summary.count if summary else 0
    limit_reached = bool(course.max_attempts) and used >= course.max_attempts and not (summary and summary.passed)
    retry = redirect(url_for("learn.quiz", course_id=course.id, module_id=module.id))
    answers, problems, sitting = {}, {}, None
    if request.method == "POST":
        token = request.form.get("token", "")
        if len(token) > TOKEN_MAX_LENGTH:
            abort(400, description="送信の内容を読み取れませんでした。ページを読み込み直してから、もう一度解答してください。")
        sitting, attempt_id = sitting_by_token(token)
        if sitting is not None and sitting.user_id != current_user.id:
            abort(400, description=UNREADABLE)
        if attempt_id is not None:  # this form was submitted already: the first submit counts
            return redirect(url_for("learn.attempt", course_id=course.id, attempt_id=attempt_id))
        if sitting is None or sitting.course_id != course.id or sitting.quiz_id != quiz.id:
            flash(STALE, "error")
            return retry
        layout = Layout.from_json(sitting.layout)
        if request.form.get("version") != quiz.version or sitting.content_version != quiz.version \
                or layout is None or not fits(quiz, layout):
            flash(CHANGED, "error")
            return retry
        again = records.refresher.get(course.id)
        if limit_reached or (course.max_attempts and _limit_reached_locked(course, quiz.id,
                                                                             again.since if again else None)):
            abort(403, description=LIMIT)
        try:
            answers, problems = read_answers(quiz, layout, request.form)
        except TamperedAnswer:
            abort(400, description=UNREADABLE)
        if not problems:
            result = grade(quiz, answers, course.quiz_pass_percent, layout)
            attempt = QuizAttempt(user_id=current_user.id, course_id=course.id, quiz_id=quiz.id, kind="quiz",
                                  answers=answers, score=result.score, max_score=result.max_score,
                                  passed=result.passed, content_version=quiz.version, submission_token=token,
                                  layout=sitting.layout, started_at=sitting.started_at)
            try:
                with db.session.begin_nested():
                    db.session.add(attempt)
            except IntegrityError:  # the same form, submitted twice at once
                db.session.rollback()
                existing = db.session.scalar(select(QuizAttempt.id).where(QuizAttempt.submission_token == token))
                return redirect(url_for("learn.attempt", course_id=course.id, attempt_id=existing))
            record_completions(current_user.id, course, content)
            db.session.commit()
            return redirect(url_for("learn.attempt", course_id=course.id, attempt_id=attempt.id))
    drawn = False
    if request.method == "GET" and not limit_reached:
        sitting, drawn = open_sitting(current_user.id, course, quiz)
    shown = shown_questions(quiz, Layout.from_json(sitting.layout)) if sitting is not None else ()
    gaps = [(f"q-{s.question.id}", f"問{s.number}：{problems[s.question.id]}")
            for s in shown if s.question.id in problems]
    page = render_template("learn/quiz.html", course=course, module=module, quiz=quiz, shown=shown,
                           token=sitting.token if sitting is not None else "", answers=answers,
                           problems=problems, gaps=gaps, summary=summary, limit_reached=limit_reached,
                           used=used, module_number=course.modules.index(module.id) + 1)
    if drawn:
        # After rendering: committing first would expire the rows the page reads (a query each).
        db.session.commit()
    return page
