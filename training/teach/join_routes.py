"""Self-enrolment with a class's join code: for signed-in people, and for new residents and
students (high-school classes ask for no email, only a nickname or student number).

Staff classes (窓口業務等の職員, 相談支援職員, 教職員) also ask for 職員番号 and 所属 (issue 16):
the number is checked as the roster and the admin forms check it (format, unique, and refused
when it differs from a registered number only by leading zeros), and 所属 is chosen from this
fiscal year's departments in the master (free text while the master is empty). A signed-in
person joining a staff class is asked only for what their account lacks; a value already on
the account is never changed here (that is the instructor's or the admin's job).
"""
from __future__ import annotations

import unicodedata

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from training import audit, departments
from training.audit import client_address
from training.auth import accounts, limits, sessions
from training.auth.employee_numbers import employee_no_problem
from training.auth.passwords import password_problem
from training.dates import fiscal_year_of, today_jst
from training.email_addresses import EmailAddressError, optional_email
from training.extensions import db
from training.models import CohortMember, User
from training.teach import classes
from training.text_fold import number_key
from training.text_input import too_long

bp = Blueprint("join", __name__)

#: Wrong join codes per address (counted in the database: training.auth.limits). A right code
#: gives its attempt back, so a class of forty behind one school address can all register.
JOIN_LIMIT = "10 per minute"
#: The width of user.display_name: a longer name is a field error, not a database error (issue 12).
DISPLAY_NAME_MAX = User.__table__.c.display_name.type.length
WRONG_CODE = "参加コードが正しくないか、受付が終わっています。研修担当から案内されたコードを確認してください。"
#: Audiences that are ward staff: their classes ask for 職員番号 and 所属. Residents and
#: high-school students are not staff and are asked for neither.
STAFF_AUDIENCES = frozenset({"counter_staff", "counselors", "teachers"})
ASK_THE_LEAD = "すでにアカウントがある可能性が高いので、新しく登録せず、研修担当にお問い合わせください。"


def _employee_no_problem(number: str) -> str | None:
    """The roster's and admin forms' rule for a new 職員番号, as a message for the person typing it."""
    if not number:
        return "職員番号を入力してください。"
    problem = employee_no_problem(number)
    if problem:
        return problem + "。"
    if db.session.scalar(select(User.id).where(User.employee_no == number)) is not None:
        return f"職員番号「{number}」はすでに登録されています。" + ASK_THE_LEAD
    if number.isdigit():
        twin = db.session.scalar(select(User.employee_no).where(  # the indexed zero-stripped number
            User.employee_no_digits == number_key(number)).limit(1))
        if twin and twin.isdigit():
            # The registered form is not shown: this page is open to anyone with the class's code.
            return f"職員番号「{number}」は、先頭の0を除くと登録済みの職員番号と同じです。" + ASK_THE_LEAD
    return None


class StaffFields:
    """職員番号 and 所属 on the join form of a staff class: what is asked, the department
    choices, and the checks (each message stands beside its field)."""

    def __init__(self, cohort, user: User | None = None):
        self.asked = cohort.audience in STAFF_AUDIENCES
        self.ask_number = self.asked and not (user and user.employee_no)
        self.ask_department = self.asked and not (user and user.department)
        self.resolver = departments.Resolver(fiscal_year_of(today_jst())) if self.ask_department else None

    @property
    def any(self) -> bool:
        return self.ask_number or self.ask_department

    def choices(self) -> list[tuple[str, list]]:
        """This fiscal year's master departments grouped by 部: [(部, [Department, ...])]."""
        if self.resolver is None or self.resolver.empty:
            return []
        groups: dict[str, list] = {}
        for dept in sorted(self.resolver.all, key=lambda d: d.name):
            if departments.Span(dept.id, dept.valid_from_fy, dept.valid_to_fy).valid_in(self.resolver.fy):
                groups.setdefault(dept.name.split(" ", 1)[0], []).append(dept)
        return list(groups.items())

    def check(self, values: dict, errors: dict):
        """Read and check the fields into ``values``/``errors``; the resolved department (or None)."""
        resolved = None
        if self.ask_number:
            values["employee_no"] = unicodedata.normalize("NFKC", request.form.get("employee_no") or "").strip()
            problem = _employee_no_problem(values["employee_no"])
            if problem:
                errors["employee_no"] = problem
        if self.ask_department:
            values["department"] = (request.form.get("department") or "").strip()
            if not values["department"]:
                errors["department"] = "所属を選んでください。" if not self.resolver.empty else "所属を入力してください。"
            elif too_long(values["department"], User.__table__.c.department.type.length):
                errors["department"] = too_long(values["department"], User.__table__.c.department.type.length)
            else:
                try:
                    resolved = self.resolver.resolve(values["department"])
                except departments.DepartmentError as exc:
                    errors["department"] = f"{exc}。"
        return resolved


def _is_member(cohort, user: User) -> bool:
    return db.session.scalar(select(CohortMember.id).where(
        CohortMember.cohort_id == cohort.id, CohortMember.user_id == user.id)) is not None


def _fill_in(user: User, staff: StaffFields, values: dict, resolved) -> None:
    """Store what a signed-in person gave for a staff class (only fields they had none of)."""
    changes = {}
    if staff.ask_number:
        user.employee_no = values["employee_no"]
        changes["employee_no"] = {"before": None, "after": user.employee_no}
    if staff.ask_department and resolved is not None:
        before = user.department
        departments.set_user_department(user, resolved)
        changes["department"] = {"before": before, "after": user.department}
    audit.record("user.update", target_type="user", target_id=user.id, changes=changes, via="join_code")


@bp.route("/join", methods=["GET", "POST"])
def join():
    """Step 1: the code. Signed in: enrolled at once (a staff class first asks for a missing
    職員番号 or 所属). Not signed in: step 2, a new account."""
    if request.method == "GET":
        return render_template("teach/join.html", step="code", code="", errors={})
    # Counted before the code is looked up, so parallel guesses cannot overtake the limit.
    reservation = limits.reserve(limits.Check("join", client_address() or "", JOIN_LIMIT))
    code = request.form.get("code", "")
    cohort = classes.find_by_join_code(code)
    if cohort is None:
        return render_template("teach/join.html", step="code", code=code, errors={"code": WRONG_CODE})
    limits.forgive(reservation)  # only wrong codes count
    db.session.commit()
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        staff = StaffFields(cohort, user)
        if staff.any and not _is_member(cohort, user):
            values, errors = {}, {}
            resolved = None
            if request.form.get("step") == "profile":
                resolved = staff.check(values, errors)
            if request.form.get("step") != "profile" or errors:
                return render_template("teach/join.html", step="profile", code=cohort.join_code, cohort=cohort,
                                       staff=staff, errors=errors, values=values)
            _fill_in(user, staff, values, resolved)
        if "trainee" not in user.roles:
            user.set_roles(user.roles | {"trainee"})
        if not user.audience:
            user.audience = cohort.audience
        added = classes.enrol(cohort, user, via="join_code")
        db.session.commit()
        flash(f"クラス「{cohort.name}」に登録しました。" if added else f"すでにクラス「{cohort.name}」に登録されています。", "info")
        return redirect(url_for("main.home"))
    staff = StaffFields(cohort)
    if request.form.get("step") != "register":
        return render_template("teach/join.html", step="register", code=cohort.join_code, cohort=cohort,
                               staff=staff, errors={}, values={})
    values = {k: (request.form.get(k) or "").strip() for k in ("display_name", "login_id", "email")}
    password, confirm = request.form.get("password", ""), request.form.get("confirm", "")
    errors = {}
    if not values["display_name"]:
        errors["display_name"] = ("ニックネームまたは生徒番号を入力してください。" if cohort.audience == "high_school"
                                  else "氏名を入力してください。")
    elif too_long(values["display_name"], DISPLAY_NAME_MAX):
        errors["display_name"] = too_long(values["display_name"], DISPLAY_NAME_MAX)
    if password != confirm:
        errors["confirm"] = "確認用のパスワードが一致しません。"
    if cohort.audience == "high_school":
        values["email"] = ""  # students are never asked for an email address
    # Field by field first, so each message stands beside its field; create_user checks again.
    values["login_id"] = accounts.normalise_login_id(values["login_id"])
    login_problem = accounts.self_registered_login_id_problem(values["login_id"])
    if login_problem:
        errors["login_id"] = login_problem
    try:
        optional_email(values["email"])
    except EmailAddressError as exc:
        errors["email"] = f"{exc}。"
    password_error = password_problem(password, login_id=values["login_id"])
    if password_error:
        errors["password"] = password_error
    resolved = staff.check(values, errors)
    if not errors:
        try:
            user = accounts.create_user(accounts.NewUser(
                login_id=values["login_id"], display_name=values["display_name"], password=password,
                roles=("trainee",), audience=cohort.audience, email=values["email"] or None,
                employee_no=values.get("employee_no") or None,
                department=(resolved.text if resolved else None), self_registered=True))
        except accounts.AccountError as exc:
            errors["login_id"] = str(exc)
        else:
            classes.enrol(cohort, user, via="join_code")
            audit.record("user.self_register", actor=user, target_type="cohort", target_id=cohort.id)
            sessions.start(user)
            db.session.commit()
            flash(f"登録しました。クラス「{cohort.name}」の講座をはじめましょう。", "info")
            return redirect(url_for("main.home"))
    return render_template("teach/join.html", step="register", code=cohort.join_code, cohort=cohort,
                           staff=staff, errors=errors, values=values)
