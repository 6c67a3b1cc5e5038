"""Text from requests that no column can hold: NUL bytes anywhere, fields longer than their column.

PostgreSQL refuses NUL in text ("A string literal cannot contain NUL") and values longer than
a VARCHAR(n); SQLite stores both silently. Either way the request must end in a Japanese
message with nothing written, so NUL is refused for the whole request before any view runs,
and every form field carries a length limit with a Japanese message (``max_length``).

A JSON body on a POST is refused too: no page here sends one, and Flask-WTF would read it as
the form (a list, a number or nested values there raised inside WTForms: a 500).
"""
from __future__ import annotations

from flask import Flask, abort, jsonify, request
from wtforms.validators import Length

JSON_MESSAGE = ("この画面への送信は、ページのフォームからだけ受け付けています。"
                "ページを読み込み直してから、もう一度送信してください。")
#: Methods that carry a form; the API only answers GET.
_FORM_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
NUL_MESSAGE = ("入力に使用できない文字（制御文字 NUL）が含まれています。"
               "入力内容を確認して、もう一度送信してください。")


def max_length(limit: int) -> Length:
    """A WTForms length limit matching a column, with the message in Japanese."""
    return Length(max=limit, message=f"{limit}文字以内で入力してください。")


def too_long(value: str, limit: int) -> str | None:
    """The Japanese message for a hand-parsed field longer than ``limit``, or None."""
    if len(value) > limit:
        return f"{limit}文字以内で入力してください（いまは{len(value)}文字です）。"
    return None


def _has_nul(value) -> bool:
    """Whether a string, or any key or value nested in JSON, holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def request_has_nul() -> bool:
    """Whether the path, query string, form fields (names, values, file names) or JSON body hold NUL."""
    if "\x00" in request.path:
        return True
    for multidict in (request.args, request.form):
        for key, values in multidict.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return True
    if any("\x00" in (f.filename or "") for f in request.files.values()):
        return True
    if request.is_json:
        return _has_nul(request.get_json(silent=True))
    return False


def register(app: Flask) -> None:
    """Refuse NUL and JSON form bodies before every other request hook, so no handler or loader sees them."""

    def _refuse_unreadable():
        if request_has_nul():
            if request.blueprint == "api":  # the API answers in JSON, like its other errors
                return jsonify({"error": "bad_request", "message": NUL_MESSAGE}), 400
            abort(400, description=NUL_MESSAGE)
        if request.method in _FORM_METHODS and request.is_json:
            abort(400, description=JSON_MESSAGE)
        return None

    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_unreadable)
