"""Sign in, sign out, change password."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from training.auth import accounts
from training.auth.access import roles_required
from training.auth.forms import LoginForm, PasswordChangeForm
from training.extensions import db, limiter

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    """Rate-limit key for the account being tried (lower-cased login id)."""
    return "account:" + (request.form.get("login_id") or "").strip().lower()[:64]


def _failed(response) -> bool:
    """A sign-in attempt counts toward the limits unless it succeeded (redirect)."""
    return response.status_code != 302


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after sign-in (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], key_func=get_remote_address,
               methods=["POST"], deduct_when=_failed, scope="login-address")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_account_key,
               methods=["POST"], deduct_when=_failed, scope="login-account")
def login():
    """Sign in with login id and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.login_id.data, form.password.data)
        db.session.commit()
        if user is not None:
            session.clear()  # a fresh session on sign-in
            login_user(user)
            session.permanent = True
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
        flash("ログインIDまたはパスワードが正しくありません。", "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@roles_required()
def logout():
    """Sign out (POST only, with CSRF, so a link elsewhere cannot sign anyone out)."""
    logout_user()
    session.clear()
    flash("ログアウトしました。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@roles_required()
def change_password():
    """Change one's own password; other sessions of the user end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.new.data)
        except accounts.AccountError as exc:
            form.new.errors.append(str(exc))
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # keep this session, under the new token
            flash("パスワードを変更しました。", "info")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form)
