"""Instructor pages of in-person sessions (集合研修), on the teach blueprint (issue 17).

Load, check access, then process: a session is seen by its owners (creator and co-owners) and
admins; anyone else gets 404, with no hint that it exists.
"""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import noload
from wtforms.fields.choices import SelectChoice

from training import audit
from training.auth.access import roles_required
from training.content import current_content
from training.extensions import db
from training.inperson import attendance, participants as people
from training.inperson.forms import ClassPickForm, FileForm, OwnerForm, SessionForm, WalkInForm
from training.inperson.rules import STATUSES, counts, label as status_label
from training.models import (AUDIENCES, COMPLETION_KINDS, Cohort, CourseCompletion, SessionOwner,
                             SessionParticipant, TrainingSession, User)
from training.teach.forms import ConfirmForm
from training.teach.routes import bp, visible_cohorts

#: Fields whose change is audited with before and after.
EDITABLE = ("title", "course_id", "held_on", "starts_at", "ends_at", "venue", "capacity", "lecturer", "mode",
            "cohort_id")


def load_session(session_id: int) -> TrainingSession:
    """The session, if the user runs it (or is an admin); otherwise 404."""
    session = db.session.get(TrainingSession, session_id)
    if session is None:
        abort(404)
    if not current_user.has_role("admin") and current_user.id not in {o.user_id for o in session.owners}:
        abort(404)
    return session


def _session_form(session: TrainingSession | None = None) -> SessionForm:
    form = SessionForm(obj=session) if session is not None else SessionForm()
    content = current_content()
    form.course_id.choices = [SelectChoice(c.id, f"{c.title}（{AUDIENCES.get(c.audience, c.audience)}）") for c in content.courses]
    cohorts = list(visible_cohorts(state="active"))
    if session is not None and session.cohort_id and session.cohort_id not in {c.id for c in cohorts}:
        linked = db.session.get(Cohort, session.cohort_id)  # another owner's class, linked by them: kept
        cohorts.append(linked)
    form.cohort_id.choices = [SelectChoice("", "ひも付けない")] + [
        SelectChoice(str(c.id), f"{c.name}（{c.fiscal_year}年度）") for c in cohorts]
    if session is not None and not form.is_submitted():
        form.cohort_id.data = str(session.cohort_id or "")
    return form


def _values(form: SessionForm) -> dict:
    return {"title": form.title.data.strip(), "course_id": form.course_id.data, "held_on": form.held_on.data,
            "starts_at": form.starts_at.data, "ends_at": form.ends_at.data, "venue": form.venue.data.strip(),
            "capacity": form.capacity.data, "lecturer": form.lecturer.data.strip(), "mode": form.mode.data,
            "cohort_id": int(form.cohort_id.data) if form.cohort_id.data else None}


def _completions_recorded(session: TrainingSession) -> int:
    return db.session.scalar(select(func.count(SessionParticipant.id)).where(
        SessionParticipant.session_id == session.id, SessionParticipant.completion_id.is_not(None))) or 0


@bp.route("/sessions")
@roles_required("instructor", "admin")
def sessions():
    """The sessions one runs (admins: all), newest first."""
    stmt = select(TrainingSession).order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())
    if not current_user.has_role("admin"):
        stmt = stmt.join(SessionOwner).where(SessionOwner.user_id == current_user.id)
    rows = db.session.scalars(stmt).all()
    counts_by = dict(db.session.execute(select(SessionParticipant.session_id, func.count(SessionParticipant.id))
                                        .where(SessionParticipant.session_id.in_([s.id for s in rows]))
                                        .group_by(SessionParticipant.session_id)).all()) if rows else {}
    return render_template("teach/sessions.html", sessions=rows, counts=counts_by, content=current_content())


@bp.route("/sessions/new", methods=["GET", "POST"])
@roles_required("instructor", "admin")
def new_session():
    form = _session_form()
    if form.validate_on_submit():
        session = TrainingSession(**_values(form))
        db.session.add(session)
        db.session.flush()
        db.session.add(SessionOwner(session_id=session.id, user_id=current_user.id))
        audit.record("session.create", target_type="training_session", target_id=session.id, title=session.title,
                     course=session.course_id, mode=session.mode, held_on=session.held_on.isoformat())
        db.session.commit()
        flash(f"集合研修「{session.title}」を作成しました。参加者を登録してください。", "info")
        return redirect(url_for("teach.session_detail", session_id=session.id))
    return render_template("teach/session_form.html", form=form, session=None), 400 if form.errors else 200


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required("instructor", "admin")
def edit_session(session_id: int):
    """Editing after completions were recorded: those completions stay as recorded; the change
    is audited with its before and after, and the page says so."""
    session = load_session(session_id)
    recorded = _completions_recorded(session)
    form = _session_form(session)
    if form.validate_on_submit():
        values = _values(form)
        changed = {k: (getattr(session, k), v) for k, v in values.items() if getattr(session, k) != v}
        if changed:
            for key, (_before, after) in changed.items():
                setattr(session, key, after)
            audit.record("session.update", target_type="training_session", target_id=session.id,
                         fields=sorted(changed), completions_kept=recorded,
                         before={k: str(b) if b is not None else None for k, (b, _a) in changed.items()},
                         after={k: str(a) if a is not None else None for k, (_b, a) in changed.items()})
            db.session.commit()
            flash("集合研修の内容を保存しました。" + (
                f"すでに記録された修了（{recorded}人）はそのまま残ります（変更は記録されました）。" if recorded else ""), "info")
        return redirect(url_for("teach.session_detail", session_id=session.id))
    return render_template("teach/session_form.html", form=form, session=session, recorded=recorded), \
        400 if form.errors else 200


@bp.route("/sessions/<int:session_id>/delete", methods=["POST"])
@roles_required("instructor", "admin")
def delete_session(session_id: int):
    """Only an empty session (no participant) may be deleted."""
    session = load_session(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if session.participants:
        flash("参加者が登録されている集合研修は削除できません。", "error")
        return redirect(url_for("teach.session_detail", session_id=session.id))
    audit.record("session.delete", target_type="training_session", target_id=session.id, title=session.title)
    db.session.delete(session)
    db.session.commit()
    flash("集合研修を削除しました。", "info")
    return redirect(url_for("teach.sessions"))


def _rows(session: TrainingSession):
    """(participant, person) in name order, with one query."""
    return db.session.execute(
        select(SessionParticipant, User).join(User, User.id == SessionParticipant.user_id)
        .where(SessionParticipant.session_id == session.id).options(noload(User.role_rows))
        .order_by(User.name_kana, User.display_name, User.id)).all()


def _detail(session: TrainingSession, status: int = 200, walk_in: WalkInForm | None = None):
    content = current_content()
    rows = _rows(session)
    kinds = dict(db.session.execute(select(CourseCompletion.id, CourseCompletion.kind).where(
        CourseCompletion.id.in_([p.completion_id for p, _u in rows if p.completion_id]))).all()) if rows else {}
    pick = ClassPickForm()
    pick.cohort_id.choices = [SelectChoice(str(c.id), c.name) for c in visible_cohorts(state="active")]
    owners = db.session.scalars(select(User).join(SessionOwner, SessionOwner.user_id == User.id)
                                .where(SessionOwner.session_id == session.id).options(noload(User.role_rows))).all()
    course = content.course(session.course_id)
    return render_template("teach/session.html", session=session, rows=rows, course=course,
                           linked=db.session.get(Cohort, session.cohort_id) if session.cohort_id else None,
                           pick_form=pick, file_form=FileForm(), walk_in_form=walk_in or WalkInForm(),
                           owner_form=OwnerForm(), confirm_form=ConfirmForm(), owners=owners,
                           status_label=status_label, kinds=kinds, kind_labels=COMPLETION_KINDS,
                           roleplay={item.id: item.label for item in course.roleplay} if course else {},
                           attended=sum(1 for p, _u in rows if counts(p.status, p.left_early_confirmed)),
                           recorded=sum(1 for p, _u in rows if p.completion_id),
                           no_sign_in={u.id for _p, u in rows if u.password_hash == people.NO_PASSWORD}), status


@bp.route("/sessions/<int:session_id>")
@roles_required("instructor", "admin")
def session_detail(session_id: int):
    return _detail(load_session(session_id))


def _capacity_note(session: TrainingSession) -> None:
    if session.capacity and len(people.registered(session)) > session.capacity:
        flash(f"参加者が定員（{session.capacity}人）を超えています。会場の広さを確かめてください（登録はできます）。", "warning")


@bp.route("/sessions/<int:session_id>/participants/class", methods=["POST"])
@roles_required("instructor", "admin")
def add_from_class(session_id: int):
    session = load_session(session_id)
    form = ClassPickForm()
    form.cohort_id.choices = [SelectChoice(str(c.id), c.name) for c in visible_cohorts(state="active")]
    if not form.validate_on_submit():
        flash("クラスは一覧から選んでください。", "error")
        return redirect(url_for("teach.session_detail", session_id=session.id))
    cohort = db.session.get(Cohort, int(form.cohort_id.data))
    added = people.add_class_members(session, cohort)
    db.session.commit()
    flash(f"クラス「{cohort.name}」から{len(added)}人を参加者に追加しました。", "info")
    _capacity_note(session)
    return redirect(url_for("teach.session_detail", session_id=session.id))


@bp.route("/sessions/<int:session_id>/participants/csv", methods=["POST"])
@roles_required("instructor", "admin")
def add_from_csv(session_id: int):
    session = load_session(session_id)
    form = FileForm()
    if not form.validate_on_submit() or not form.file.data:
        flash("CSVファイルを選んでください。", "error")
        return redirect(url_for("teach.session_detail", session_id=session.id))
    try:
        added = people.add_roster(session, form.file.data.read(people.rosters.MAX_BYTES + 1), current_user)
    except people.ParticipantError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("teach.session_detail", session_id=session.id))
    db.session.commit()
    flash(f"名簿から{len(added)}人を参加者に追加しました。", "info")
    _capacity_note(session)
    return redirect(url_for("teach.session_detail", session_id=session.id))


@bp.route("/sessions/<int:session_id>/participants/walk-in", methods=["POST"])
@roles_required("instructor", "admin")
def add_walk_in(session_id: int):
    session = load_session(session_id)
    form = WalkInForm()
    if not form.validate_on_submit():
        return _detail(session, 400, form)
    course = current_content().course(session.course_id)
    try:
        user, created = people.add_walk_in(
            session, name=form.name.data, department=form.department.data or "", employee_no=form.employee_no.data or "",
            resident=form.kind.data == "resident", audience=course.audience if course else None)
    except people.ParticipantError as exc:
        db.session.rollback()
        form.name.errors = list(form.name.errors) + [str(exc)]
        return _detail(session, 400, form)
    db.session.commit()
    flash(f"{user.display_name} さんを当日参加として登録しました" + ("（新しい受講者として登録）。" if created else "。"), "info")
    _capacity_note(session)
    return redirect(url_for("teach.roll_call", session_id=session.id) if request.form.get("back") == "roll-call"
                    else url_for("teach.session_detail", session_id=session.id))


@bp.route("/sessions/<int:session_id>/participants/<int:user_id>/remove", methods=["POST"])
@roles_required("instructor", "admin")
def remove_participant(session_id: int, user_id: int):
    """Remove a registration made by mistake; not once a completion was recorded from it."""
    session = load_session(session_id)
    participant = _participant(session, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    person = db.session.get(User, user_id)
    if participant.completion_id:
        flash(f"{person.display_name} さんは修了を記録済みのため、参加者から外せません。", "error")
    else:
        audit.record("session.participant_remove", target_type="training_session", target_id=session.id,
                     user_id=user_id, status=participant.status)
        db.session.delete(participant)
        db.session.commit()
        flash(f"{person.display_name} さんを参加者から外しました。", "info")
    return redirect(url_for("teach.session_detail", session_id=session.id))


@bp.route("/sessions/<int:session_id>/participants/<int:user_id>/password", methods=["POST"])
@roles_required("instructor", "admin")
def walk_in_password(session_id: int, user_id: int):
    """A first-login password for a person registered at the door, shown once with its slip."""
    session = load_session(session_id)
    _participant(session, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = db.session.get(User, user_id)
    try:
        slip, batch = people.issue_sign_in(session, user, current_user)
        db.session.commit()
    except people.ParticipantError as exc:
        db.session.rollback()
        flash(f"{exc}（何も変更していません）", "error")
        return redirect(url_for("teach.session_detail", session_id=session.id))
    response = make_response(render_template("teach/session_password.html", session=session, user=user, slip=slip,
                                             batch=batch))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/sessions/<int:session_id>/owners", methods=["POST"])
@roles_required("instructor", "admin")
def add_session_owner(session_id: int):
    session = load_session(session_id)
    form = OwnerForm()
    user = None
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(func.lower(User.login_id) == form.login_id.data.strip().lower()))
    if user is None or not user.has_role("instructor") or not user.active:
        flash("そのログインIDの研修担当は見つかりません。", "error")
    elif user.id in {o.user_id for o in session.owners}:
        flash(f"{user.display_name} さんはすでに担当です。", "info")
    else:
        db.session.add(SessionOwner(session_id=session.id, user_id=user.id))
        audit.record("session.owner_add", target_type="training_session", target_id=session.id, user_id=user.id)
        db.session.commit()
        flash(f"{user.display_name} さんを担当に加えました。", "info")
    return redirect(url_for("teach.session_detail", session_id=session.id))


@bp.route("/sessions/<int:session_id>/owners/<int:user_id>/remove", methods=["POST"])
@roles_required("instructor", "admin")
def remove_session_owner(session_id: int, user_id: int):
    """Take a co-owner off the session; never the last owner."""
    session = load_session(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    owner = next((o for o in session.owners if o.user_id == user_id), None)
    if owner is None:
        abort(404)
    person = db.session.get(User, user_id)
    if len(session.owners) == 1:
        flash("担当が1人だけのときは外せません。先に別の研修担当を加えてください。", "error")
        return redirect(url_for("teach.session_detail", session_id=session.id))
    session.owners.remove(owner)
    audit.record("session.owner_remove", target_type="training_session", target_id=session.id, user_id=user_id)
    db.session.commit()
    if user_id == current_user.id and not current_user.has_role("admin"):
        flash(f"集合研修「{session.title}」の担当から外れました。", "info")
        return redirect(url_for("teach.sessions"))
    flash(f"{person.display_name} さんを担当から外しました。", "info")
    return redirect(url_for("teach.session_detail", session_id=session.id))


# Roll call, role-play and the attendance CSV ------------------------------------------------

@bp.route("/sessions/<int:session_id>/roll-call")
@roles_required("instructor", "admin")
def roll_call(session_id: int):
    """One row per participant with big buttons; each row is its own form (works without JS)."""
    session = load_session(session_id)
    course = current_content().course(session.course_id)
    rows = _rows(session)
    return render_template("teach/roll_call.html", session=session, rows=rows, statuses=STATUSES,
                           status_label=status_label, roleplay=course.roleplay if course else (),
                           attended=sum(1 for p, _u in rows if counts(p.status, p.left_early_confirmed)),
                           walk_in_form=WalkInForm(), file_form=FileForm(), requests=checkin_requests(session))


def checkin_requests(session: TrainingSession):
    from training.inperson.checkin import requests_of  # the QR check-in module imports this one
    return requests_of(session)


def _participant(session: TrainingSession, user_id: int) -> SessionParticipant:
    found = db.session.scalar(select(SessionParticipant).where(SessionParticipant.session_id == session.id,
                                                               SessionParticipant.user_id == user_id))
    if found is None:
        abort(404)
    return found


@bp.route("/sessions/<int:session_id>/roll-call/<int:user_id>", methods=["POST"])
@roles_required("instructor", "admin")
def mark_attendance(session_id: int, user_id: int):
    """One person's status (the button pressed) and, if sent, the role-play items observed."""
    session = load_session(session_id)
    participant = _participant(session, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    status = request.form.get("status")
    if status is not None and status not in STATUSES:
        flash("出欠は一覧から選んでください。", "error")
        return redirect(url_for("teach.roll_call", session_id=session.id)), 303
    course = current_content().course(session.course_id)
    if "roleplay_sent" in request.form and course is not None:
        _set_roleplay(session, participant, course, request.form.getlist("roleplay"))
    completion = None
    if status is not None:
        try:
            completion = attendance.mark(session, participant, status,
                                         left_early_confirmed=request.form.get("left_early_confirmed") == "1",
                                         via="roll_call")
        except attendance.AttendanceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("teach.roll_call", session_id=session.id), 303)
        participant.marked_by_id = current_user.id
    db.session.commit()
    person = db.session.get(User, user_id)
    if status is not None:
        flash(f"{person.display_name} さん：{status_label(status)}を記録しました。"
              + ("修了を記録し、修了証を発行しました。" if completion else ""), "info")
    return redirect(url_for("teach.roll_call", session_id=session.id) + f"#p{user_id}", 303)


def _set_roleplay(session, participant, course, picked) -> None:
    known = [item.id for item in course.roleplay]
    chosen = [i for i in known if i in set(picked)]
    if chosen != list(participant.roleplay or []):
        audit.record("session.roleplay", target_type="training_session", target_id=session.id,
                     user_id=participant.user_id, before=list(participant.roleplay or []), after=chosen)
        participant.roleplay = chosen


@bp.route("/sessions/<int:session_id>/roleplay", methods=["POST"])
@roles_required("instructor", "admin")
def roleplay_all(session_id: int):
    """The items ticked for the whole group: every participant who attended (or all, if none yet)."""
    session = load_session(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    course = current_content().course(session.course_id)
    if course is None:
        abort(404)
    rows = [p for p, _u in _rows(session)]
    present = [p for p in rows if p.status in ("attended", "late", "left_early")] or rows
    for participant in present:
        _set_roleplay(session, participant, course, request.form.getlist("roleplay"))
    db.session.commit()
    flash(f"ロールプレイの項目を{len(present)}人に記録しました。", "info")
    return redirect(url_for("teach.roll_call", session_id=session.id), 303)


@bp.route("/sessions/<int:session_id>/attendance", methods=["POST"])
@roles_required("instructor", "admin")
def attendance_csv(session_id: int):
    """An attendance CSV from a paper list: all rows or none."""
    session = load_session(session_id)
    form = FileForm()
    if not form.validate_on_submit() or not form.file.data:
        flash("CSVファイルを選んでください。", "error")
        return redirect(url_for("teach.roll_call", session_id=session.id), 303)
    try:
        rows = attendance.check_csv(session, form.file.data.read(people.rosters.MAX_BYTES + 1))
    except attendance.AttendanceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("teach.roll_call", session_id=session.id), 303)
    for row in rows:
        row.participant.marked_by_id = current_user.id
    written = attendance.apply_csv(session, rows)
    db.session.commit()
    flash(f"出欠を{len(rows)}人分記録しました。" + (f"修了を{written}人記録しました。" if written else ""), "info")
    return redirect(url_for("teach.roll_call", session_id=session.id), 303)
