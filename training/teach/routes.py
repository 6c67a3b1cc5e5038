"""Instructor pages: the classes one runs, their members' completions and certificates."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import noload

from training import audit, clock
from training.auth.access import roles_required
from training.certificates.issue import STATE_LABELS, state
from training.certificates.service import certificate_data, current_certificates, file_name, stream_zip
from training.content import current_content
from training.database import writes_on_get
from training.dates import today_jst
from training.extensions import db
from training.learn.progress import load_records_for
from training.inperson.rules import label as attendance_label
from training.models import (Cohort, CohortMember, CohortOwner, CourseCompletion, ModuleCompletion, SessionParticipant,
                             TrainingSession, User)
from training.site_settings import load as load_settings
from training.learn import checkins
from training.teach import analysis as insights
from training.teach import matrix
from training.teach import years
from training.teach.forms import ConfirmForm, assignment_form
from training.teach.targets import choose as choose_target, cohort_targets

bp = Blueprint("teach", __name__, url_prefix="/teach")


def visible_cohorts(fiscal_year: int | None = None, state: str = "all"):
    """The classes the user runs (admins: all), of one fiscal year and state if asked."""
    stmt = select(Cohort).order_by(Cohort.fiscal_year.desc(), Cohort.name)
    if not current_user.has_role("admin"):
        stmt = stmt.join(CohortOwner).where(CohortOwner.user_id == current_user.id)
    return db.session.scalars(years.filter_statement(stmt, fiscal_year=fiscal_year, state=state)).all()


def _visible_years() -> list[int]:
    stmt = select(Cohort.fiscal_year).distinct().order_by(Cohort.fiscal_year.desc())
    if not current_user.has_role("admin"):
        stmt = stmt.join(CohortOwner).where(CohortOwner.user_id == current_user.id)
    return list(db.session.scalars(stmt))


def load_cohort(cohort_id: int) -> Cohort:
    """The class, if the user runs it (or is an admin); otherwise 404 (no hint that it exists)."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        abort(404)
    if not current_user.has_role("admin") and current_user.id not in {o.user_id for o in cohort.owners}:
        abort(404)
    return cohort


def cohort_courses(cohort: Cohort):
    content = current_content()
    ids = [a.course_id for a in cohort.assignments if a.module_id is None and content.course(a.course_id)]
    if not ids and content.course_for_audience(cohort.audience):
        ids = [content.course_for_audience(cohort.audience).id]
    return [content.course(i) for i in dict.fromkeys(ids)]


@bp.route("/")
@roles_required("instructor", "admin")
def classes():
    """The classes one runs; by default the active ones of every year. Filtered by a GET form
    (fiscal year, state: active / archived / all); a bad value is ignored with a message."""
    state = request.args.get("state") or "active"
    year_text = (request.args.get("year") or "").strip()
    fiscal_year, problems = None, []
    if state not in years.STATES:
        state = "active"
        problems.append("状態は一覧から選んでください（実施中のクラスを表示しています）。")
    if year_text:
        if year_text.isascii() and year_text.isdigit() and len(year_text) == 4:
            fiscal_year = int(year_text)
        else:
            problems.append("年度は西暦4桁で選んでください（すべての年度を表示しています）。")
    return render_template("teach/classes.html", cohorts=visible_cohorts(fiscal_year, state),
                           years=_visible_years(), year=fiscal_year, state=state, states=years.STATES,
                           problems=problems)


@bp.route("/classes/<int:cohort_id>")
@roles_required("instructor", "admin")
def cohort(cohort_id: int):
    """Members with their completions and certificates."""
    return cohort_page(load_cohort(cohort_id))


def cohort_page(cohort: Cohort, form=None, status: int = 200):
    """The class page: each assignment (a course, or a single module) with every member's completion.
    ``form`` is the assignment form to show again with its messages."""
    content = current_content()
    targets = cohort_targets(cohort, content)
    members = db.session.scalars(select(User).join(CohortMember).where(CohortMember.cohort_id == cohort.id)
                                 .options(noload(User.role_rows)).order_by(User.name_kana, User.display_name)).all()
    ids = [m.id for m in members]
    # A person may have completed a course more than once (a refresher): the latest counts.
    completions = {(c.user_id, c.course_id): c for c in db.session.scalars(
        select(CourseCompletion).where(CourseCompletion.user_id.in_(ids))
        .order_by(CourseCompletion.completed_at, CourseCompletion.id))}
    module_ids = {t.module.id for t in targets if t.module}
    module_done = {(c.user_id, c.course_id, c.module_id): c.completed_at for c in db.session.scalars(
        select(ModuleCompletion).where(ModuleCompletion.user_id.in_(ids), ModuleCompletion.module_id.in_(module_ids))
        .order_by(ModuleCompletion.completed_at, ModuleCompletion.id))
    } if module_ids and ids else {}
    # The certificate of the completion shown (each completion has its own).
    members_certificates = current_certificates(ids)
    by_completion = {c.course_completion_id: c for c in members_certificates}
    zip_count = len(zip_filter(cohort, members_certificates))
    # The class's rule: completions from before its start count only if the class says so.
    since = years.counts_since(cohort)
    earlier = {key: c.completed_at for key, c in completions.items() if not years.counts(c.completed_at, since)}
    completions = {key: c for key, c in completions.items() if key not in earlier}
    module_done = {key: at for key, at in module_done.items() if years.counts(at, since)}
    certificates = {key: by_completion[c.id] for key, c in completions.items() if c.id in by_completion}
    today = today_jst()
    owners = db.session.scalars(select(User).join(CohortOwner, CohortOwner.user_id == User.id)
                                .where(CohortOwner.cohort_id == cohort.id).options(noload(User.role_rows))
                                .order_by(User.display_name)).all()
    return render_template("teach/cohort.html", cohort=cohort, targets=targets, members=members, content=content,
                           owners=owners,
                           completions=completions, module_done=module_done, certificates=certificates, today=today,
                           assign_form=form or assignment_form(content, cohort), earlier=earlier,
                           zip_count=zip_count, zip_direct=zip_is_direct(zip_count),
                           class_start=years.start_date(cohort), confirm_form=ConfirmForm(),
                           sessions=db.session.scalars(select(TrainingSession).where(
                               TrainingSession.cohort_id == cohort.id).order_by(TrainingSession.held_on)).all(),
                           states={c.id: STATE_LABELS[state(c, today)] for c in certificates.values()}), status


def class_certificates(cohort: Cohort):
    """The certificates of the class's ZIP: every member's current, unrevoked certificate of
    the class's courses (a completion from before the class's start is not the class's)."""
    member_ids = db.session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)).all()
    return zip_filter(cohort, current_certificates(member_ids))


def zip_filter(cohort: Cohort, certificates):
    """Of the members' current certificates, those the class's ZIP holds."""
    course_ids = {c.id for c in cohort_courses(cohort)}
    since = years.counts_since(cohort)
    start = years.start_date(cohort)
    return [c for c in certificates
            if c.course_id in course_ids and not c.revoked_at and (since is None or c.completed_on >= start)]


def zip_is_direct(count: int) -> bool:
    """Up to CERTIFICATE_ZIP_DIRECT_MAX certificates (a few seconds of rendering) stay a direct download."""
    return count <= current_app.config["CERTIFICATE_ZIP_DIRECT_MAX"]


@bp.route("/classes/<int:cohort_id>/certificates.zip")
@roles_required("instructor", "admin")
def certificates_zip(cohort_id: int):
    """A small class's certificates as one ZIP, streamed. A larger class's ZIP is a job (POST)."""
    cohort = load_cohort(cohort_id)
    certificates = class_certificates(cohort)
    if not zip_is_direct(len(certificates)):
        flash(f"修了証が{len(certificates)}件あり時間がかかるため、画面の裏で作成します。"
              "「修了証をまとめて作成（ZIP）」を押してください。", "info")
        return redirect(url_for("teach.cohort", cohort_id=cohort.id))
    settings = load_settings()
    items = [(file_name(c), certificate_data(c, settings)) for c in certificates]
    response = Response(stream_zip(items), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="class-{cohort.id}-certificates-{clock.file_stamp()}.zip"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/classes/<int:cohort_id>/certificates-job", methods=["POST"])
@roles_required("instructor", "admin")
def certificates_zip_job(cohort_id: int):
    """Start the class's certificate ZIP as a background job and go to its page."""
    from training import jobs

    cohort = load_cohort(cohort_id)
    job = jobs.start("certificate_zip", current_user, {"cohort_id": cohort.id},
                     title=f"修了証のZIP（{cohort.name}）",
                     file_name=f"class-{cohort.id}-certificates-{clock.file_stamp()}.zip")
    return redirect(url_for("jobs.job_page", job_id=job.id))


def _matrix(cohort, values):
    """Members, their records (one query) and the chosen assignment of the class: ``?show=``
    a course id or course/module (``?course=`` still names a whole course)."""
    content = current_content()
    targets = cohort_targets(cohort, content)
    target = choose_target(targets, values.get("show"), values.get("course"))
    if target is None:
        abort(404)
    # Roles are not shown here; not loading them keeps the query count the same for any class size
    # (roles load in batches of 500 otherwise).
    members = db.session.scalars(select(User).join(CohortMember).where(CohortMember.cohort_id == cohort.id)
                                 .options(noload(User.role_rows))).all()
    since = years.counts_since(cohort)
    records = load_records_for([m.id for m in members], target.course.id, since=since)
    rows = matrix.build(members, records, target.course, content, target.due_on, today_jst(),
                        module_id=target.module.id if target.module else None, since=since)
    return content, targets, target, rows


@bp.route("/classes/<int:cohort_id>/progress")
@roles_required("instructor", "admin")
def progress(cohort_id: int):
    """Trainees × modules: status, scores, last activity; filter and sort."""
    cohort = load_cohort(cohort_id)
    content, targets, target, rows = _matrix(cohort, request.args)
    status, sort = request.args.get("status", ""), request.args.get("sort", "name")
    shown = matrix.filter_and_sort(rows, status, sort)
    sessions, attendance = session_attendance(cohort)
    return render_template("teach/progress.html", cohort=cohort, targets=targets, target=target,
                           sessions=sessions, attendance=attendance,
                           course=target.course, rows=shown, counts=matrix.counts(rows), status=status, sort=sort,
                           content=content, statuses=matrix.STATUS_LABELS, sorts=matrix.SORTS)


@bp.route("/classes/<int:cohort_id>/progress.csv")
@roles_required("instructor", "admin")
@writes_on_get
def progress_csv(cohort_id: int):
    """The same matrix as CSV (UTF-8 with BOM, opens in Excel)."""
    cohort = load_cohort(cohort_id)
    content, _targets, target, rows = _matrix(cohort, request.args)
    shown = matrix.filter_and_sort(rows, request.args.get("status", ""), request.args.get("sort", "name"))
    sessions, attendance = session_attendance(cohort)
    response = Response(matrix.to_csv(shown, target.course, content, target.module.id if target.module else None,
                                      attendance=attendance if sessions else None),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="class-{cohort.id}-progress-{clock.file_stamp()}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    audit.record("class.progress_export", target_type="cohort", target_id=cohort.id, rows=len(shown))
    db.session.commit()
    return response


@bp.route("/classes/<int:cohort_id>/analysis")
@roles_required("instructor", "admin")
def analysis(cohort_id: int):
    """Questions people miss, moments where they slip, and the survey change."""
    cohort = load_cohort(cohort_id)
    content = current_content()
    courses = cohort_courses(cohort)
    if not courses:
        abort(404)
    course = next((c for c in courses if c.id == request.args.get("course")), courses[0])
    member_ids = db.session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)).all()
    first = insights.first_attempts(member_ids, course)
    survey, responses = insights.survey_stats(member_ids, course, content)
    return render_template("teach/analysis.html", cohort=cohort, course=course, courses=courses,
                           questions=insights.question_stats(first, course, content),
                           moments=insights.moment_stats(first, course, content), survey=survey,
                           responses=responses, members=len(member_ids),
                           checkins=checkins.class_counts(cohort.id, course, content),
                           checkin_min=checkins.MIN_ANSWERS)


def session_attendance(cohort: Cohort):
    """The in-person sessions linked to the class and each person's attendance in them
    ({user id: ["11月20日 出席", …]}), for the progress matrix (issue 17)."""
    sessions = db.session.scalars(select(TrainingSession).where(TrainingSession.cohort_id == cohort.id)
                                  .order_by(TrainingSession.held_on, TrainingSession.id)).all()
    attendance: dict[int, list[str]] = {}
    if sessions:
        for participant, held_on in db.session.execute(
                select(SessionParticipant, TrainingSession.held_on)
                .join(TrainingSession, TrainingSession.id == SessionParticipant.session_id)
                .where(TrainingSession.cohort_id == cohort.id).order_by(TrainingSession.held_on, TrainingSession.id)):
            attendance.setdefault(participant.user_id, []).append(
                f"{held_on.month}月{held_on.day}日 {attendance_label(participant.status)}")
    return sessions, attendance


# The reminders page (未修了者), its XLSX and the outbox: training/teach/unfinished_routes.py
