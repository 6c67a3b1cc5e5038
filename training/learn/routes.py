"""Trainee pages: course overview, resume, surveys, lesson reader, quizzes, results, progress.

Each handler loads (course, module, …), checks access, then processes. GET handlers never
write (SQLite read transactions are deferred); every write is a POST with a CSRF token. The one
exception, the check quiz page (it draws and stores the attempt's sitting), is in quiz_routes.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from training.auth.access import roles_required
from training.certificates.issue import state
from training.certificates.service import current_certificates
from training.content import current_content
from training.dates import today_jst
from training.extensions import db
from training.learn import checkins, cycle, quiz_review, surveys
from training.learn.completion import record_completions
from training.learn.enrolment import can_take, open_modules
from training.learn.progress import course_progress, load_records
from training.learn.scenario_play import review
from training.models import QuizAttempt, SectionView, utcnow

bp = Blueprint("learn", __name__, url_prefix="/learn")


def load_course(course_id: str):
    """The course, 404 if unknown, 403 with a message if the user may not take it."""
    content = current_content()
    course = content.course(course_id)
    if course is None:
        abort(404)
    if not can_take(current_user, course, content):
        abort(403, description="このコースは受講の対象になっていません。研修担当にお問い合わせください。")
    return content, course


NOT_ASSIGNED = ("このモジュールは受講の対象になっていません（クラスで割り当てられたモジュールだけを受講できます）。"
                "研修担当にお問い合わせください。")


def load_module(content, course, module_id: str):
    """The module of the course, 404 if it has none such, 403 if only other modules are open."""
    if module_id not in course.modules:
        abort(404)
    only = open_modules(current_user, course)
    if only is not None and module_id not in only:
        abort(403, description=NOT_ASSIGNED)
    return content.module(module_id)


def next_open_step(progress, only: frozenset[str] | None, module_id: str | None = None):
    """The next unfinished step the user may take: of the whole course (``only`` None), or of
    the open modules (the content note and pre-survey come first); of one module if given."""
    if only is None and module_id is None:
        return progress.next_step
    for step, done in zip(progress.steps, progress.done):
        if done:
            continue
        if step.kind == "pre_survey":
            return step
        if step.kind in ("section", "quiz") and (only is None or step.module_id in only) \
                and module_id in (None, step.module_id):
            return step
    return None


def load_section(content, course, module_id: str, section_id: str):
    """(module, the sections this course's audience reads, the section's index), or 404."""
    module = load_module(content, course, module_id)
    sections = module.sections_for(course.audience)
    index = next((i for i, s in enumerate(sections) if s.id == section_id), None)
    if index is None:
        abort(404)
    return module, sections, index


def step_url(course, step) -> str:
    """Where a progress step is done."""
    if step is None:
        return url_for("learn.course", course_id=course.id)
    if step.kind in ("pre_survey", "post_survey"):
        return url_for("learn.survey", course_id=course.id, phase=step.kind.split("_")[0])
    if step.kind == "section":
        return url_for("learn.section", course_id=course.id, module_id=step.module_id, section_id=step.item_id)
    if step.kind == "quiz":
        return url_for("learn.quiz", course_id=course.id, module_id=step.module_id)
    return url_for("learn.scenario", course_id=course.id, scenario_id=step.item_id)


def require_pre_survey(course, progress):
    """Content opens with the content note and the pre-survey."""
    if not progress.pre_survey_done:
        flash("はじめに、この研修を受けるうえでのお願いと事前アンケートをご確認ください。", "info")
        return redirect(url_for("learn.survey", course_id=course.id, phase="pre"))
    return None


@bp.route("/<course_id>")
@roles_required("trainee")
def course(course_id):
    """Course overview: modules with status, scenarios, surveys, one button to resume."""
    content, course = load_course(course_id)
    progress = course_progress(course, content, load_records(current_user.id, course.id))
    only = open_modules(current_user, course)
    return render_template("learn/course.html", course=course, progress=progress, content=content, only=only,
                           resume_url=step_url(course, next_open_step(progress, only)))


@bp.route("/<course_id>/resume")
@roles_required("trainee")
def resume(course_id):
    """Go to the next unfinished step (of the course, or of ``?module=`` an assigned module)."""
    content, course = load_course(course_id)
    progress = course_progress(course, content, load_records(current_user.id, course.id))
    module_id = request.args.get("module")
    if module_id is not None and module_id not in course.modules:
        module_id = None
    return redirect(step_url(course, next_open_step(progress, open_modules(current_user, course), module_id)))


@bp.route("/<course_id>/survey/<phase>", methods=["GET", "POST"])
@roles_required("trainee")
def survey(course_id, phase):
    """Pre-survey (opens the course, with the content note) and post-survey (with a distress check)."""
    content, course = load_course(course_id)
    if phase not in ("pre", "post"):
        abort(404)
    progress = course_progress(course, content, load_records(current_user.id, course.id))
    done = progress.pre_survey_done if phase == "pre" else progress.post_survey_done
    if phase == "post" and not progress.learning_done:
        flash("事後アンケートは、すべてのモジュールとシナリオを終えてから回答できます。", "info")
        return redirect(url_for("learn.course", course_id=course.id))
    questions = content.survey.for_audience(course.audience)  # the course's audience answers its own items
    errors, given = {}, {}
    if request.method == "POST" and not done:
        try:
            given, errors = surveys.read(questions, request.form, with_distress=(phase == "post"))
        except surveys.TamperedSurvey:
            abort(400)
        if not errors:
            show_help = surveys.save(current_user.id, course, content, phase, given)
            if show_help is None:  # a double submit: the first one counts
                return redirect(url_for("learn.course", course_id=course.id))
            completion = record_completions(current_user.id, course, content) if phase == "post" else None
            db.session.commit()
            if phase == "pre":
                flash("ありがとうございました。それでは学習をはじめましょう。", "info")
                return redirect(url_for("learn.resume", course_id=course.id))
            return render_template("learn/survey_thanks.html", course=course, show_help=show_help,
                                   distress_help=questions.distress_help,
                                   completed=completion is not None or progress.completed_at is not None)
    return render_template("learn/survey.html", course=course, phase=phase, survey=questions,
                           done=done, errors=errors, gaps=surveys.gaps(questions, errors), given=given,
                           knowledge_options=surveys.KNOWLEDGE_OPTIONS)


@bp.route("/<course_id>/m/<module_id>/s/<section_id>")
@roles_required("trainee")
def section(course_id, module_id, section_id):
    """One section of a lesson, with previous/next, key points and sources."""
    content, course = load_course(course_id)
    module, sections, index = load_section(content, course, module_id, section_id)
    progress = course_progress(course, content, load_records(current_user.id, course.id))
    gate = require_pre_survey(course, progress)
    if gate:
        return gate
    module_index = course.modules.index(module.id)
    previous_url = None
    if index > 0:
        previous_url = url_for("learn.section", course_id=course.id, module_id=module.id, section_id=sections[index - 1].id)
    elif module_index > 0:
        only = open_modules(current_user, course)
        if only is None or course.modules[module_index - 1] in only:
            previous_url = url_for("learn.quiz", course_id=course.id, module_id=course.modules[module_index - 1])
    return render_template("learn/section.html", course=course, module=module, sections=sections, index=index,
                           section=sections[index], progress=progress, previous_url=previous_url,
                           module_number=module_index + 1,
                           checkin=checkins.after_section(course, content, module.id, sections[index].id),
                           checkin_levels=checkins.level_words(course.audience),
                           article=section_article(course, module, sections, index, module_index + 1))


#: Rendered lesson text per (course, course version, module, section); see section_article.
_ARTICLES: dict[tuple[str, str, str, str], Markup] = {}


def section_article(course, module, sections, index: int, module_number: int) -> Markup:
    """The lesson text of one section, rendered once per course version: it holds nothing
    personal (title, goals, body, key points, sources), and content never changes while the
    process runs. Roughly halves the template time of a lesson page."""
    key = (course.id, course.version, module.id, sections[index].id)
    article = _ARTICLES.get(key)
    if article is None:
        article = _ARTICLES[key] = Markup(render_template(
            "learn/_section_article.html", module=module, sections=sections, index=index,
            section=sections[index], module_number=module_number))
    return article


@bp.route("/<course_id>/m/<module_id>/s/<section_id>/next", methods=["POST"])
@roles_required("trainee")
def section_next(course_id, module_id, section_id):
    """Moving on marks the section as viewed, then shows the next section or the quiz."""
    content, course = load_course(course_id)
    module, sections, index = load_section(content, course, module_id, section_id)
    if mark_viewed(content, course, module, section_id):
        db.session.commit()
    return redirect(after_section_url(course, module, sections, index))


def mark_viewed(content, course, module, section_id: str) -> bool:
    """Record that the trainee read the section (once, or once again when taking the course
    again for a class: the reading is re-stamped, training.learn.cycle); True when something
    was recorded."""
    view = db.session.scalar(select(SectionView).where(
        SectionView.user_id == current_user.id, SectionView.course_id == course.id,
        SectionView.module_id == module.id, SectionView.section_id == section_id))
    if view is not None:
        since = cycle.since(current_user.id, course.id)
        if since is None or view.viewed_at >= since:
            return False
        view.viewed_at = utcnow()
        record_completions(current_user.id, course, content)
        return True
    try:
        with db.session.begin_nested():
            db.session.add(SectionView(user_id=current_user.id, course_id=course.id, module_id=module.id,
                                       section_id=section_id))
    except IntegrityError:
        pass  # the same click arrived twice
    record_completions(current_user.id, course, content)
    return True


def after_section_url(course, module, sections, index: int) -> str:
    """The next section of the module, or its quiz after the last one."""
    if index + 1 < len(sections):
        return url_for("learn.section", course_id=course.id, module_id=module.id, section_id=sections[index + 1].id)
    return url_for("learn.quiz", course_id=course.id, module_id=module.id)


@bp.route("/<course_id>/attempts/<int:attempt_id>")
@roles_required("trainee")
def attempt(course_id, attempt_id):
    """A marked quiz (each answer with its explanation) or a scenario's ending summary."""
    content, course = load_course(course_id)
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id or attempt.course_id != course.id:
        abort(404)
    quiz = content.quiz(attempt.quiz_id)
    progress = course_progress(course, content, load_records(current_user.id, course.id))
    next_url = step_url(course, next_open_step(progress, open_modules(current_user, course)))
    if attempt.kind == "scenario":
        steps = attempt.answers.get("steps", [])
        current = quiz is not None and quiz.version == attempt.content_version
        place = checkins.places(course, content).get(f"scenario:{attempt.quiz_id}")
        return render_template("learn/scenario_end.html", course=course, scenario=quiz, attempt=attempt,
                               ending=quiz.node(attempt.answers.get("ending", "")) if current else None,
                               review=review(quiz, steps) if current else None, next_url=next_url,
                               checkin=place, checkin_levels=checkins.level_words(course.audience))
    module = next((content.module(m) for m in course.modules if content.module(m).quiz == attempt.quiz_id), None)
    marked = None
    if quiz is not None and quiz.version == attempt.content_version:
        marked = quiz_review.review(quiz, attempt.answers, attempt.layout, course.quiz_pass_percent, module,
                                    course.audience)
    return render_template("learn/result.html", course=course, module=module, quiz=quiz, attempt=attempt,
                           review=marked, next_url=next_url, progress=progress)


@bp.route("/<course_id>/progress")
@roles_required("trainee")
def my_progress(course_id):
    """Per module status, scores, attempts and dates."""
    content, course = load_course(course_id)
    progress = course_progress(course, content, load_records(current_user.id, course.id))
    # The certificate of the latest completion (each completion has its own).
    certificate = max((c for c in current_certificates([current_user.id]) if c.course_id == course.id),
                      key=lambda c: (c.completed_on, c.id), default=None)
    return render_template("learn/progress.html", course=course, progress=progress, content=content,
                           certificate=certificate,
                           certificate_state=state(certificate, today_jst()) if certificate else None)
