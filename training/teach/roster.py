"""Enrolment by CSV (名簿): decode, parse, check every row, preview, import all-or-nothing.

The same functions serve the instructor's upload page and `training users import`.
Header row in Japanese (職員番号, 氏名, ふりがな, 所属, メールアドレス, 受講区分) or English
aliases; UTF-8 with or without BOM, or CP932 (Shift_JIS); CRLF and quoted fields.
Line numbers are those of the file, the header being line 1.
"""
from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from training import audit
from werkzeug.security import generate_password_hash
from training.extensions import db
from training.models import AUDIENCES, CohortMember, User

COLUMNS = {
    "employee_no": ("職員番号", "employee_no"),
    "name": ("氏名", "name"),
    "name_kana": ("ふりがな", "name_kana"),
    "department": ("所属", "department"),
    "email": ("メールアドレス", "email"),
    "audience": ("受講区分", "audience"),
}
REQUIRED = ("employee_no", "name")
AUDIENCE_BY_LABEL = {label: key for key, label in AUDIENCES.items()} | {key: key for key in AUDIENCES}
MAX_ROWS = 5000
#: First-login passwords are 72-bit random strings, not chosen by people: brute force is out
#: of reach whatever the hash cost, so a light hash keeps a 1,000-row import fast. They must
#: be changed at the first sign-in, when the new password gets the full configured hash.
FIRST_LOGIN_HASH_METHOD = "pbkdf2:sha256:1000"
MAX_BYTES = 2 * 1024 * 1024


class RosterError(ValueError):
    """The file as a whole cannot be read (encoding, header); a Japanese message."""


@dataclass
class Row:
    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    status: str = ""            # new | update | enrolled (already in the class) | error
    user_id: int | None = None

    @property
    def label(self) -> str:
        return {"new": "新規登録", "update": "更新して登録", "enrolled": "登録済み（更新）", "error": "エラー"}[self.status]


@dataclass
class Roster:
    encoding: str
    rows: list[Row]

    @property
    def errors(self) -> list[Row]:
        return [r for r in self.rows if r.errors]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name): UTF-8 with BOM, UTF-8, or CP932."""
    if len(data) > MAX_BYTES:
        raise RosterError("ファイルが大きすぎます（2MBまで）。分けて取り込んでください。")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8（BOM付き）"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), "Shift_JIS（CP932）"
    except UnicodeDecodeError:
        raise RosterError("文字コードを判別できません。UTF-8 または Shift_JIS（CP932）で保存してください。") from None


def _header_map(header: list[str]) -> dict[int, str]:
    lookup = {alias.strip().lower(): key for key, aliases in COLUMNS.items() for alias in aliases}
    mapping, unknown = {}, []
    for index, name in enumerate(header):
        key = lookup.get(name.strip().lstrip("\ufeff").lower())
        if key is None:
            if name.strip():
                unknown.append(name.strip())
            continue
        if key in mapping.values():
            raise RosterError(f"1行目: 列「{name.strip()}」が2つあります。")
        mapping[index] = key
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in mapping.values()]
    if missing:
        raise RosterError(f"1行目: 必須の列がありません: {'、'.join(missing)}（見出しは {'、'.join(a for a, _ in COLUMNS.values())}）")
    if unknown:
        raise RosterError(f"1行目: 知らない列があります: {'、'.join(unknown)}")
    return mapping


def parse(data: bytes) -> Roster:
    """Decode and split the file into rows (with their line numbers in the file)."""
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise RosterError("ファイルが空です。1行目に見出しを書いてください。") from None
    except csv.Error as exc:
        raise RosterError(f"1行目: CSV として読めません（{exc}）") from None
    mapping = _header_map(header)
    rows: list[Row] = []
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise RosterError(f"{line}行目: CSV として読めません（{exc}）。引用符（\"）の閉じ忘れがないか確認してください。") from None
        if any(c.strip() for c in cells):
            values = {key: (cells[i].strip() if i < len(cells) else "") for i, key in mapping.items()}
            rows.append(Row(line=line, values=values))
        line = reader.line_num + 1
        if len(rows) > MAX_ROWS:
            raise RosterError(f"行が多すぎます（{MAX_ROWS}行まで）。分けて取り込んでください。")
    if not rows:
        raise RosterError("取り込む行がありません（2行目以降に1人1行で書いてください）。")
    return Roster(encoding=encoding, rows=rows)


def check(roster: Roster, cohort) -> Roster:
    """Check every row against the rules and the database; set each row's status."""
    numbers = [r.values.get("employee_no", "") for r in roster.rows]
    existing = {u.employee_no: u for u in db.session.scalars(
        select(User).where(User.employee_no.in_([n for n in numbers if n])))}
    login_ids = {u.login_id.lower(): u for u in db.session.scalars(
        select(User).where(func.lower(User.login_id).in_([n.lower() for n in numbers if n])))}
    members = set(db.session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id))) \
        if cohort is not None else set()
    first_line: dict[str, int] = {}
    for row in roster.rows:
        v = row.values
        for key in REQUIRED:
            if not v.get(key):
                row.errors.append(f"{COLUMNS[key][0]}が空です")
        number = v.get("employee_no", "")
        if number:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}", number):
                row.errors.append(f"職員番号「{number}」は半角英数字で書いてください（32文字まで）")
            elif number in first_line:
                row.errors.append(f"職員番号「{number}」が{first_line[number]}行目と重複しています")
            else:
                first_line[number] = row.line
        audience = v.get("audience", "")
        if audience:
            if audience not in AUDIENCE_BY_LABEL:
                row.errors.append(f"受講区分「{audience}」は使えません（{'・'.join(AUDIENCES.values())}）")
            else:
                v["audience"] = AUDIENCE_BY_LABEL[audience]
        elif cohort is not None:
            v["audience"] = cohort.audience
        email = v.get("email", "")
        if email:
            try:
                v["email"] = validate_email(email, check_deliverability=False).normalized
            except EmailNotValidError:
                row.errors.append(f"メールアドレス「{email}」の形式が正しくありません")
        if len(v.get("name", "")) > 100:
            row.errors.append("氏名が長すぎます（100文字まで）")
        user = existing.get(number)
        clash = login_ids.get(number.lower()) if number else None
        if user is None and clash is not None:
            row.errors.append(f"ログインID「{number}」は別の利用者（職員番号 {clash.employee_no or 'なし'}）が使っています")
        if user is not None and not user.active:
            row.errors.append(f"職員番号「{number}」の利用者は無効になっています（管理者にご相談ください）")
        if row.errors:
            row.status = "error"
        elif user is None:
            row.status = "new"
        else:
            row.user_id = user.id
            row.status = "enrolled" if user.id in members else "update"
    return roster


@dataclass(frozen=True)
class NewAccount:
    line: int
    login_id: str
    name: str
    password: str           # shown once to the instructor


def apply(roster: Roster, cohort, *, via: str = "csv") -> list[NewAccount]:
    """Create or update every row and enrol it (the caller commits once: all or nothing)."""
    if not roster.ok:
        raise RosterError("エラーのある行があるため取り込めません。")
    created: list[NewAccount] = []
    for row in roster.rows:
        v = row.values
        if row.user_id is None:
            password = secrets.token_urlsafe(9)
            user = User(login_id=v["employee_no"], display_name=v["name"], name_kana=v.get("name_kana") or None,
                        email=v.get("email") or None, department=v.get("department") or None,
                        employee_no=v["employee_no"], audience=v.get("audience") or None,
                        password_hash=generate_password_hash(password, method=FIRST_LOGIN_HASH_METHOD),
                        must_change_password=True)
            user.set_roles({"trainee"})
            db.session.add(user)
            db.session.flush()
            created.append(NewAccount(row.line, user.login_id, user.display_name, password))
        else:
            user = db.session.get(User, row.user_id)
            user.display_name = v["name"]
            for key in ("name_kana", "email", "department"):
                if v.get(key):
                    setattr(user, key, v[key])
            if v.get("audience"):
                user.audience = v["audience"]
            if "trainee" not in user.roles:
                user.set_roles(user.roles | {"trainee"})
        if cohort is not None and row.status != "enrolled":
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, via=via))
    audit.record("roster.import", target_type="cohort", target_id=cohort.id if cohort else None,
                 rows=len(roster.rows), created=len(created))
    return created
