"""The read-only records API: ``GET /api/v1/completions`` with bearer tokens.

Documented in the app (/records/api-help, linked from the tokens page), docs/api.md and
docs/openapi.yaml. Unknown or revoked tokens get 401 with no
detail; every call is audited with the token's name, the filters and the row count.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select

from training import audit, clock
from training.content import current_content
from training.dates import to_jst, today_jst
from training.auth import limits
from training.database import writes_on_get
from training.extensions import csrf, db
from training.integers import MAX_INT, parse_int
from training.models import ApiToken, CourseCompletion, utcnow
from training.records import export

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

FIELDS = ("employee_no", "name", "name_kana", "department", "audience", "course", "kind", "completed_on",
          "completed_on_wareki", "score", "certificate_serial", "status", "updated_at")
#: The page cap: at most this many records per call (``per_page``); more are read page by page.
MAX_PER_PAGE = 1000
DEFAULT_PER_PAGE = 100
#: What each field of a record holds (the in-app help page lists them).
FIELD_HELP = (
    ("employee_no", "職員番号（文字列。先頭の0も含みます。ない方は空）"),
    ("name", "氏名"),
    ("name_kana", "ふりがな"),
    ("department", "所属（department_as に従い、修了した時点か現在）"),
    ("audience", "受講区分"),
    ("course", "コース名"),
    ("kind", "研修の形式：e-ラーニング・集合研修・集合研修＋e-ラーニング（kind で絞り込むときは elearning・in_person・blended）"),
    ("completed_on", "修了日（日本時間の日付、YYYY-MM-DD）"),
    ("completed_on_wareki", "修了日（和暦）"),
    ("score", "得点（ない場合は null）"),
    ("certificate_serial", "修了証番号（まだ発行していない場合は空）"),
    ("status", "修了証の状態：有効・失効・取消（修了証がない場合は空）"),
    ("updated_at", "この記録が最後に変わった日時（日本時間、ISO 8601）。updated_since で使います"),
)
#: Calls allowed per token, counted in the database like the sign-in limits (every call counts).
API_LIMIT = "120 per minute"


def new_token() -> tuple[str, str]:
    """(token shown once, its hash to store)."""
    token = "gk_" + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _unauthorized():
    response = jsonify({"error": "unauthorized"})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="records"'
    return response


@bp.before_request
def _authenticate():
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return _unauthorized()
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(header[7:].strip()),
                                                     ApiToken.revoked_at.is_(None)))
    if token is None:
        return _unauthorized()
    g.api_token = token
    return None


@bp.route("/completions")
@writes_on_get  # counts the call and audits it
def completions():
    """Completion records with the export's filters, paginated."""
    token_id = g.api_token.id
    try:
        limits.reserve(limits.Check("api", f"token:{token_id}", API_LIMIT))
    except limits.TooManyAttempts as exc:
        seconds = max(1, math.ceil((exc.retry_at - utcnow()).total_seconds()))
        return jsonify({"error": "too_many_requests", "message": "呼び出しが多すぎます。しばらくしてからもう一度お試しください。",
                        "retry_after": seconds}), 429, {"Retry-After": str(seconds)}
    g.api_token = db.session.get(ApiToken, token_id)  # reserve() committed: load it again
    try:
        filters = _filters()
        page = _positive("page", 1, MAX_INT)
        per_page = _positive("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    except (export.FilterError, ValueError) as exc:
        message = str(exc) if isinstance(exc, export.FilterError) else (
            f"page は正の整数、per_page は1〜{MAX_PER_PAGE}の整数で指定してください"
            f"（1回に返すのは{MAX_PER_PAGE}件までです。続きは page で取得してください）。")
        return jsonify({"error": "bad_request", "message": message}), 400
    # Read before the query: a record changed while this call runs is sent again next time.
    as_of = clock.now().isoformat(timespec="seconds")
    content, today = current_content(), today_jst()
    total = export.count(filters, today)
    statement = export.statement(filters, today).add_columns(CourseCompletion.updated_at)
    page_rows = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).all()
    typed = export.rows_for([row[:-1] for row in page_rows], content)
    data = [dict(zip(FIELDS, _json_row([*row, to_jst(raw[-1])]))) for row, raw in zip(typed, page_rows)]
    token = g.api_token
    token.last_used_at = utcnow()
    audit.record("api.completions", target_type="api_token", target_id=token.id, token=token.name,
                 rows=len(data), page=page, filters={k: v for k, v in request.args.items() if k not in ("page",)})
    db.session.commit()
    return jsonify({"data": data, "page": page, "per_page": per_page, "total": total,
                    "department_as": filters.department_as, "as_of": as_of,
                    "next_page": page + 1 if page * per_page < total else None})


def _positive(name: str, default: int, maximum: int) -> int:
    """A positive whole number from the query string (ASCII digits, at most ``maximum``), or ValueError."""
    raw = request.args.get(name, "")
    if raw == "":
        return default
    number = parse_int(raw, minimum=1, maximum=maximum)
    if number is None:
        raise ValueError(name)
    return number


def _filters() -> export.Filters:
    from training.records.routes import filters_from

    return filters_from(request.args)


def _json_row(row: list) -> list:
    return [cell.isoformat(timespec="seconds") if isinstance(cell, dt.datetime)
            else cell.isoformat() if hasattr(cell, "isoformat") else cell for cell in row]
