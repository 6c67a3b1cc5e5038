"""Japanese error pages."""
from __future__ import annotations

import datetime as dt
import math

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from training.auth.limits import TooManyAttempts
from training.dates import JST
from training.extensions import db
from training.models import utcnow


MESSAGES = {
    400: ("リクエストを処理できませんでした", "入力内容を確認して、もう一度お試しください。"),
    403: ("このページを表示する権限がありません", "必要な場合は、研修担当またはシステム管理者にお問い合わせください。"),
    404: ("ページが見つかりません", "アドレスが正しいか確認してください。ページが移動または削除された可能性があります。"),
    405: ("この操作はできません", "ページを開き直して、もう一度お試しください。"),
    500: ("システムでエラーが発生しました", "しばらくしてからもう一度お試しください。入力中の内容は保存されていない場合があります。"),
    503: ("ただいまご利用いただけません", "システムが一時的に応答していません。少し待ってから、もう一度お試しください。"
                                    "入力中の内容は保存されていない場合があります。"),
}
#: Seconds a client is told to wait when the database cannot be reached (a restart takes a few).
UNAVAILABLE_RETRY_AFTER = 5


def _render(code: int, title: str | None = None, message: str | None = None):
    default_title, default_message = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title or default_title,
                           message=message or default_message), code


def retry_at(error) -> dt.datetime | None:
    """When the refused attempt may be made again (UTC), from the database-counted limits
    (training.auth.limits); None when unknown."""
    if isinstance(error, TooManyAttempts):
        return error.retry_at
    return None


def retry_time_text(when: dt.datetime | None) -> str:
    """``when`` as a Japanese clock time (JST), for 「…以降にもう一度お試しください」."""
    if when is None:
        return "しばらく時間をおいて"
    # Rounded up to the minute: 「10時05分以降」 must never be a moment too early.
    local = when.astimezone(JST)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return f"{local:%H時%M分}以降に"


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(CSRFError)
    def _csrf(_error):
        return _render(400, "フォームの有効期限が切れたか、不正な送信です",
                       "ページを読み込み直してから、もう一度送信してください。")

    @app.errorhandler(429)
    def _too_many(error):
        when = retry_at(error)
        later = retry_time_text(when)
        if request.endpoint == "auth.login":
            page = _render(429, "試行回数が上限に達しました",
                           f"安全のため、ログインを一時的に制限しています。{later}もう一度お試しください。")
        elif request.endpoint == "auth.change_password":
            page = _render(429, "試行回数が上限に達しました",
                           "現在のパスワードの誤りが続いたため、パスワードの変更を一時的に制限しています。"
                           f"{later}もう一度お試しください。")
        else:
            page = _render(429, "アクセスが集中しています",
                           f"短い時間に多くの確認がありました。{later}もう一度お試しください。")
        if isinstance(error, TooManyAttempts):
            seconds = max(1, math.ceil((when - utcnow()).total_seconds()))
            return page[0], 429, {"Retry-After": str(seconds)}
        return page

    @app.errorhandler(500)
    def _server_error(_error):
        db.session.rollback()
        return _render(500)

    @app.errorhandler(OperationalError)
    def _database_unavailable(_error):
        # The database cannot be reached (restarting, or the connection was cut): nothing was
        # done, a sign-in was neither counted nor checked (the limits fail closed), and the
        # person is told so in Japanese. The connection is dropped without a ROLLBACK, which
        # would fail on it again (and then in the request's teardown, as a bare 500).
        try:
            db.session().invalidate()  # the scoped session's Session
        except SQLAlchemyError:
            pass
        page, code = _render(503)
        return page, code, {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)}

    def _handler(code: int):
        def handle(error):
            # A view may abort with its own Japanese explanation; Werkzeug's English default is not shown.
            custom = getattr(error, "description", None)
            default = getattr(type(error), "description", None)
            return _render(code, message=custom if custom and custom != default else None)

        return handle

    for code in (400, 403, 404, 405):
        app.register_error_handler(code, _handler(code))
