"""Who takes part in a session: members of a class, a roster CSV, walk-ins at the door (issue 17).

A roster CSV uses the class roster's reading and checks (training.teach.roster: encodings,
header, 職員番号 rules, department master) and its all-or-nothing rule. A session roster only
registers people who already have an account (matched by 職員番号): a person not found is an
error row, and the file is refused whole. New people come through a class roster (which makes
their first-login slip) or at the door as walk-ins. It never changes anyone's details.

Capacity is not enforced: the page warns when registrations pass it (the door decides).
"""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from training import audit, departments
from training.auth.employee_numbers import employee_no_problem
from training.dates import fiscal_year_of, today_jst
from training.extensions import db
from training.models import CohortMember, SessionParticipant, TrainingSession, User
from training.teach import roster as rosters

#: A password hash no password matches: a walk-in resident has no sign-in.
NO_PASSWORD = "!"


class ParticipantError(ValueError):
    """A Japanese message: why nobody was added."""


def registered(session: TrainingSession) -> set[int]:
    return set(db.session.scalars(select(SessionParticipant.user_id)
                                  .where(SessionParticipant.session_id == session.id)))


def _add(session: TrainingSession, user_ids, via: str) -> list[int]:
    have = registered(session)
    added = [u for u in dict.fromkeys(user_ids) if u not in have]
    db.session.add_all([SessionParticipant(session_id=session.id, user_id=u, via=via, roleplay=[]) for u in added])
    db.session.flush()
    return added


def add_class_members(session: TrainingSession, cohort) -> list[int]:
    """Every member of the class not yet registered (the caller checked the class is the asker's)."""
    members = db.session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)
                                 .order_by(CohortMember.id)).all()
    added = _add(session, members, "class")
    audit.record("session.participants_add", target_type="training_session", target_id=session.id,
                 via="class", cohort_id=cohort.id, added=added)
    return added


def check_roster(data: bytes, importer) -> rosters.Roster:
    """The class roster's checks; people without an account are error rows here."""
    try:
        roster = rosters.check(rosters.parse(data), None, importer)
    except rosters.RosterError as exc:
        raise ParticipantError(str(exc)) from None
    for row in roster.rows:
        if row.status == "new":
            row.status = "error"
            row.errors.append(f"職員番号「{row.values.get('employee_no', '')}」の利用者が登録されていません"
                              "（クラスの名簿で登録するか、当日受付で追加してください）")
    return roster


def add_roster(session: TrainingSession, data: bytes, importer) -> list[int]:
    """All rows or none: ParticipantError lists every error row."""
    roster = check_roster(data, importer)
    if not roster.ok:
        lines = [f"{r.line}行目: {'、'.join(r.errors)}" for r in roster.errors[:20]]
        more = len(roster.errors) - 20
        raise ParticipantError("名簿を取り込めませんでした（誰も追加していません）。" + " / ".join(lines)
                               + (f" / ほか{more}行" if more > 0 else ""))
    added = _add(session, [r.user_id for r in roster.rows], "csv")
    audit.record("session.participants_add", target_type="training_session", target_id=session.id,
                 via="csv", rows=len(roster.rows), added=added)
    return added


def add_walk_in(session: TrainingSession, *, name: str, department: str = "", employee_no: str = "",
                resident: bool = False, audience: str | None = None) -> tuple[User, bool]:
    """A person at the door: an existing account found by 職員番号, or a new trainee-only account
    without a password (staff: name, 所属 from the master, 職員番号; residents: name only).
    Returns (the person, whether the account is new)."""
    name = " ".join(name.split())
    if not name:
        raise ParticipantError("氏名を入力してください。")
    if len(name) > 100:
        raise ParticipantError("氏名が長すぎます（100文字まで）。")
    user, created = None, False
    if not resident:
        employee_no = employee_no.strip()
        if not employee_no:
            raise ParticipantError("職員番号を入力してください（区民の方は「区民（氏名のみ）」を選んでください）。")
        problem = employee_no_problem(employee_no)
        if problem:
            raise ParticipantError(problem + "。")
        user = db.session.scalar(select(User).where(User.employee_no == employee_no))
        if user is not None and not user.active:
            raise ParticipantError(f"職員番号「{employee_no}」の利用者は無効になっています（管理者にご相談ください）。")
        if user is None:
            if db.session.scalar(select(User.id).where(User.login_id == employee_no)) is not None:
                raise ParticipantError(f"ログインID「{employee_no}」は別の利用者が使っています（管理者にご相談ください）。")
            try:
                resolved = departments.Resolver(fiscal_year_of(today_jst())).resolve(department)
            except departments.DepartmentError as exc:
                raise ParticipantError(f"{exc}。") from None
            if not resolved.text:
                raise ParticipantError("所属を入力してください。")
            user = User(login_id=employee_no, display_name=name, employee_no=employee_no,
                        department=resolved.text, department_id=resolved.department.id if resolved.department else None,
                        audience=audience, password_hash=NO_PASSWORD)
            created = True
    else:
        user = User(login_id=f"walkin-{secrets.token_hex(6)}", display_name=name, audience="residents",
                    password_hash=NO_PASSWORD)
        created = True
    if created:
        user.set_roles({"trainee"})
        db.session.add(user)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            raise ParticipantError("この職員番号はいま別の操作で登録されました。もう一度お試しください。") from None
        audit.record("user.create", target_type="user", target_id=user.id, via="walk_in", session_id=session.id)
    added = _add(session, [user.id], "walk_in")
    if not added:
        raise ParticipantError(f"{user.display_name} さんはすでに参加者に登録されています。")
    audit.record("session.participants_add", target_type="training_session", target_id=session.id,
                 via="walk_in", added=added, created=created)
    return user, created


def issue_sign_in(session: TrainingSession, user: User, actor) -> tuple[object, object]:
    """A first-login password for a person registered at the door (their account has none yet),
    so they can take the e-learning part or see their certificate: shown once, with its slip
    (PDF and CSV, each once, within 24 hours; training/teach/slips.py). The password must be
    changed at the first sign-in. An account that can already sign in is left alone (its
    password is reset by its class's instructor or an admin), as are accounts the instructor
    may not edit (training.teach.members.account_problem)."""
    from werkzeug.security import generate_password_hash

    from training.teach import slips
    from training.teach.members import account_problem
    from training.teach.roster import FIRST_LOGIN_HASH_METHOD

    if user.password_hash != NO_PASSWORD:
        raise ParticipantError(f"{user.display_name} さんはすでにログインできます。パスワードを忘れた場合は、"
                               "所属するクラスの研修担当かシステム管理者に再発行を依頼してください。")
    if not user.active:
        raise ParticipantError("この方の利用は停止されています。システム管理者にご相談ください。")
    problem = account_problem(actor, user)
    if problem:
        raise ParticipantError(problem)
    password = slips.first_login_password()
    user.password_hash = generate_password_hash(password, method=FIRST_LOGIN_HASH_METHOD)
    user.must_change_password = True
    slip = slips.Slip(user.display_name, user.login_id, password, user.audience)
    batch = slips.create_batch([slip], cohort_id=None, created_by=actor, kind="walk_in")
    audit.record("session.walk_in_sign_in", target_type="user", target_id=user.id, session_id=session.id,
                 slip_batch=batch.id)
    return slip, batch
