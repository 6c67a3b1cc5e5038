"""Self-enrolment with a class's join code: for signed-in people, and for new residents and
students (high-school classes ask for no email, only a nickname or student number)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from training import audit
from training.audit import client_address
from training.auth import accounts, limits, sessions
from training.auth.passwords import password_problem
from training.email_addresses import EmailAddressError, optional_email
from training.extensions import db
from training.models import User
from training.teach import classes
from training.text_input import too_long

bp = Blueprint("join", __name__)

#: Wrong join codes per address (counted in the database: training.auth.limits). A right code
#: gives its attempt back, so a class of forty behind one school address can all register.
JOIN_LIMIT = "10 per minute"
#: The width of user.display_name: a longer name is a field error, not a database error (issue 12).
DISPLAY_NAME_MAX = User.__table__.c.display_name.type.length
WRONG_CODE = "参加コードが正しくないか、受付が終わっています。研修担当から案内されたコードを確認してください。"


@bp.route("/join", methods=["GET", "POST"])
def join():
    """Step 1: the code. Signed in: enrolled at once. Not signed in: step 2, a new account."""
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
        if "trainee" not in user.roles:
            user.set_roles(user.roles | {"trainee"})
        if not user.audience:
            user.audience = cohort.audience
        added = classes.enrol(cohort, user, via="join_code")
        db.session.commit()
        flash(f"クラス「{cohort.name}」に登録しました。" if added else f"すでにクラス「{cohort.name}」に登録されています。", "info")
        return redirect(url_for("main.home"))
    if request.form.get("step") != "register":
        return render_template("teach/join.html", step="register", code=cohort.join_code, cohort=cohort,
                               errors={}, values={})
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
    if not errors:
        try:
            user = accounts.create_user(accounts.NewUser(
                login_id=values["login_id"], display_name=values["display_name"], password=password,
                roles=("trainee",), audience=cohort.audience, email=values["email"] or None,
                self_registered=True))
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
                           errors=errors, values=values)
