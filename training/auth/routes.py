"""Sign in, sign out, change password."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from training.audit import client_address
from training.auth import accounts, limits, sessions
from training.auth.access import roles_required
from training.auth.forms import LoginForm, PasswordChangeForm
from training.extensions import db

bp = Blueprint("auth", __name__)

#: Wrong current passwords on the password-change page, per user (an open session someone
#: else sits at must not become a way to guess the password).
PASSWORD_CHANGE_LIMIT = "5 per 15 minutes"


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after sign-in (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with login id and password; failures count per account and per address."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        # Counted before the password is looked at, so parallel guesses cannot overtake the limit.
        reservation = limits.reserve(
            limits.Check("login-account", limits.account_subject(form.login_id.data),
                         current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]),
            limits.Check("login-address", client_address() or "", current_app.config["LOGIN_LIMIT_PER_ADDRESS"]))
        user = accounts.authenticate(form.login_id.data, form.password.data)
        if user is not None:
            limits.forgive(reservation)  # only failures count
            sessions.start(user)
            db.session.commit()
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
        db.session.commit()
        flash("ログインIDまたはパスワードが正しくありません。", "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@roles_required()
def logout():
    """Sign out (POST only, with CSRF): this device's session ends on the server."""
    sessions.end_current()
    db.session.commit()
    flash("ログアウトしました。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@roles_required()
def change_password():
    """Change one's own password; every other session of the user ends, this one continues."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        reservation = limits.reserve(limits.Check("password-change", str(user.id), PASSWORD_CHANGE_LIMIT))
        try:
            accounts.change_password(user, form.current.data, form.new.data)
        except accounts.WrongCurrentPassword as exc:
            db.session.commit()  # the audit entry; the attempt stays counted
            form.current.errors.append(str(exc))
        except accounts.AccountError as exc:
            db.session.rollback()
            limits.forgive(reservation)  # the current password was right: not a guess
            db.session.commit()
            form.new.errors.append(str(exc))
        else:
            limits.forgive(reservation)
            sessions.start(user)  # this device goes on, under a new session
            db.session.commit()
            flash("パスワードを変更しました。", "info")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form)
