"""Enrolment by CSV (名簿): decode, parse, check every row, preview, import all-or-nothing.

The same functions serve the instructor's upload page and `training users import`.
Header row in Japanese (職員番号, 氏名, ふりがな, 所属, メールアドレス, 受講区分) or English
aliases; UTF-8 with or without BOM, or CP932 (Shift_JIS); CRLF and quoted fields.
Line numbers are those of the file, the header being line 1.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import func, select

from werkzeug.security import generate_password_hash

from training import audit, departments
from training.dates import fiscal_year_of, today_jst
from training.auth.employee_numbers import EMPLOYEE_NO_RE, employee_no_problem, printable, zero_stripped
from training.email_addresses import EmailAddressError, normalise_email
from training.extensions import db
from training.models import AUDIENCES, CohortMember, CohortOwner, User
from training.teach.slips import first_login_password

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
#: First-login passwords are 75-bit random strings (training/teach/slips.py), not chosen by people: brute force is out
#: of reach whatever the hash cost, so a light hash keeps a 1,000-row import fast. They must
#: be changed at the first sign-in, when the new password gets the full configured hash.
FIRST_LOGIN_HASH_METHOD = "pbkdf2:sha256:1000"
MAX_BYTES = 2 * 1024 * 1024
KEEP_AS_TEXT = ("Excel で開いて保存すると先頭の0が消えることがあります。職員番号の列を文字列（テキスト）に"
                "して保存し直してください")


class RosterError(ValueError):
    """The file as a whole cannot be read (encoding, header); a Japanese message."""


#: Fields a roster may change on an existing trainee, with their labels and column lengths.
PROFILE_FIELDS = {
    "display_name": ("氏名", "name", 100),
    "name_kana": ("ふりがな", "name_kana", 100),
    "email": ("メールアドレス", "email", 254),
    "department": ("所属", "department", 100),
    "audience": ("受講区分", "audience", 32),
}
PRIVILEGED_ROLES = ("instructor", "personnel", "admin")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Change:
    """One field of an existing person that the row would change (or would, if allowed)."""

    field: str
    before: str | None
    after: str

    @property
    def label(self) -> str:
        return PROFILE_FIELDS[self.field][0]

    def shown(self, value: str | None) -> str:
        if self.field == "audience":
            return AUDIENCES.get(value or "", value or "（なし）")
        return value or "（なし）"

    def __str__(self) -> str:
        return f"{self.label}：{self.shown(self.before)} → {self.shown(self.after)}"


@dataclass
class Row:
    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    status: str = ""            # new | update (existing, to be enrolled) | enrolled (already in the class) | error
    user_id: int | None = None
    #: Changes to an existing person's details that the import makes.
    changes: list[Change] = field(default_factory=list)
    #: Changes the file asks for but the importer may not make (the person is enrolled unchanged).
    withheld: list[Change] = field(default_factory=list)
    #: An existing person with the same name and email under another number: confirm first.
    similar_to: str | None = None
    #: The master department the 所属 cell names (None: empty cell, or no master yet).
    department_id: int | None = None

    @property
    def label(self) -> str:
        if self.status == "new":
            return "新規登録"
        if self.status == "error":
            return "エラー"
        base = "登録済み" if self.status == "enrolled" else "クラスに登録"
        if self.changes:
            return base + "・登録情報を更新"
        if self.withheld:
            return base + "（登録情報は変更しません）"
        return base + "（変更なし）"

    @property
    def notes(self) -> list[str]:
        """What the preview says about the row besides its status."""
        notes = []
        if self.withheld:
            notes.append("他の研修担当のクラスにも所属しているため、登録情報は変更しません"
                         "（変更はシステム管理者に依頼してください）: "
                         + "、".join(str(c) for c in self.withheld))
        if self.similar_to:
            notes.append(f"同じ氏名とメールアドレスの利用者（職員番号 {self.similar_to}）がいます。"
                         "別の人であることを確かめてから登録してください。")
        return notes


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


def _name_key(name: str) -> str:
    """A name compared loosely: NFKC, no spaces (全角/半角 spaces vary between systems)."""
    return "".join(unicodedata.normalize("NFKC", name).split())


def _cell_problems(values: dict[str, str]) -> list[str]:
    """Control characters (NUL included) and values longer than their column."""
    problems = []
    for key, value in values.items():
        label = COLUMNS[key][0]
        if key != "employee_no" and CONTROL_CHARACTERS.search(value):
            problems.append(f"{label}に使えない文字（制御文字）が含まれています")
        limit = next((size for _label, column, size in PROFILE_FIELDS.values() if column == key), None)
        if key != "email" and limit and len(value) > limit:
            problems.append(f"{label}が長すぎます（{limit}文字まで）")
    return problems


def _may_edit(importer, user: User, classes_of: dict[int, set[int]], owned: set[int]) -> bool:
    """An admin (or the CLI's operator) may; an instructor only if every class of the person is theirs."""
    if importer is None or importer.has_role("admin"):
        return True
    return classes_of.get(user.id, set()) <= owned


def check(roster: Roster, cohort, importer=None) -> Roster:
    """Check every row against the rules and the database; set each row's status and changes.

    ``importer`` is the person importing (None: the CLI, run by the system's operator). A roster
    never changes an account with a role besides trainee; it changes an existing trainee's
    details only when the importer is an admin or runs every class the person belongs to.
    """
    numbers = [r.values.get("employee_no", "") for r in roster.rows]
    valid_numbers = [n for n in numbers if n and EMPLOYEE_NO_RE.fullmatch(n)]
    existing = {u.employee_no: u for u in db.session.scalars(
        select(User).where(User.employee_no.in_(valid_numbers)))}
    login_ids = {u.login_id.lower(): u for u in db.session.scalars(
        select(User).where(func.lower(User.login_id).in_([n.lower() for n in valid_numbers])))}
    # Numbers that match an existing one once leading zeros are restored (Excel drops them).
    stripped = {zero_stripped(n) for n in valid_numbers if n.isdigit()}
    zero_twins: dict[str, str] = {}
    if stripped:
        for number in db.session.scalars(select(User.employee_no).where(
                func.ltrim(User.employee_no, "0").in_(stripped | {""}))):
            if number and number.isdigit():
                zero_twins.setdefault(zero_stripped(number), number)
    emails = {v.lower() for r in roster.rows if (v := r.values.get("email", ""))}
    same_email: dict[str, list[User]] = {}
    if emails:
        for user in db.session.scalars(select(User).where(func.lower(User.email).in_(emails))):
            same_email.setdefault(user.email.lower(), []).append(user)
    members = set(db.session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id))) \
        if cohort is not None else set()
    owned = set(db.session.scalars(select(CohortOwner.cohort_id).where(CohortOwner.user_id == importer.id))) \
        if importer is not None else set()
    classes_of: dict[int, set[int]] = {}
    if existing:
        for user_id, cohort_id in db.session.execute(select(CohortMember.user_id, CohortMember.cohort_id).where(
                CohortMember.user_id.in_([u.id for u in existing.values()]))):
            classes_of.setdefault(user_id, set()).add(cohort_id)
    first_line: dict[str, int] = {}
    first_stripped: dict[str, tuple[int, str]] = {}
    resolver = departments.Resolver(fiscal_year_of(today_jst()))
    for row in roster.rows:
        v = row.values
        for key in REQUIRED:
            if not v.get(key):
                row.errors.append(f"{COLUMNS[key][0]}が空です")
        row.errors.extend(_cell_problems(v))
        number = v.get("employee_no", "")
        if number:
            problem = employee_no_problem(number)
            if problem:
                row.errors.append(problem)
            elif number in first_line:
                row.errors.append(f"職員番号「{number}」が{first_line[number]}行目と重複しています")
            else:
                first_line[number] = row.line
                if number.isdigit():
                    twin_line, twin = first_stripped.setdefault(zero_stripped(number), (row.line, number))
                    if twin != number:
                        row.errors.append(f"職員番号「{number}」は{twin_line}行目の職員番号「{twin}」と先頭の0だけが"
                                          "違います。" + KEEP_AS_TEXT)
                    registered = zero_twins.get(zero_stripped(number))
                    if registered and registered != number and number not in existing:
                        row.errors.append(f"職員番号「{number}」は登録済みの職員番号「{registered}」と先頭の0だけが"
                                          "違います。" + KEEP_AS_TEXT)
        audience = v.get("audience", "")
        if audience:
            if audience not in AUDIENCE_BY_LABEL:
                row.errors.append(f"受講区分「{printable(audience)}」は使えません（{'・'.join(AUDIENCES.values())}）")
            else:
                v["audience"] = AUDIENCE_BY_LABEL[audience]
        if v.get("department"):
            # By code or name in the master (free text while the master is empty).
            try:
                found = resolver.resolve(v["department"])
            except departments.DepartmentError as exc:
                row.errors.append(str(exc))
            else:
                v["department"] = found.text or ""
                row.department_id = found.department.id if found.department else None
        email = v.get("email", "")
        if email:
            try:
                v["email"] = normalise_email(email)  # the one check for every stored address
            except EmailAddressError as exc:
                row.errors.append(str(exc))
        user = existing.get(number)
        clash = login_ids.get(number.lower()) if number else None
        if user is None and clash is not None:
            row.errors.append(f"ログインID「{number}」は別の利用者（職員番号 {clash.employee_no or 'なし'}）が使っています")
        if user is not None:
            if user.roles & set(PRIVILEGED_ROLES):
                row.errors.append(f"職員番号 {number} は研修担当・人事・管理者の権限を持つ利用者です。"
                                  "システム管理者に依頼してください")
            if not user.active:
                row.errors.append(f"職員番号「{number}」の利用者は無効になっています（管理者にご相談ください）")
        if row.errors:
            row.status = "error"
            continue
        if user is None:
            row.status = "new"
            v["audience"] = v.get("audience") or (cohort.audience if cohort is not None else "")
            if email:
                twin = next((u for u in same_email.get(v["email"].lower(), [])
                             if _name_key(u.display_name) == _name_key(v["name"])), None)
                if twin is not None:
                    row.similar_to = twin.employee_no or f"なし・ログインID {twin.login_id}"
            continue
        row.user_id = user.id
        row.status = "enrolled" if user.id in members else "update"
        asked = [Change(name, getattr(user, name), v[column])
                 for name, (_label, column, _size) in PROFILE_FIELDS.items()
                 if v.get(column) and v[column] != getattr(user, name)]
        if _may_edit(importer, user, classes_of, owned):
            row.changes = asked
        else:
            row.withheld = asked
    return roster


def fingerprint(roster: Roster) -> str:
    """A digest of what the preview showed: the apply step refuses if the check now differs."""
    shown = [(r.line, r.status, r.user_id, [(c.field, c.before, c.after) for c in r.changes],
              [(c.field, c.before, c.after) for c in r.withheld], r.similar_to) for r in roster.rows]
    return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class NewAccount:
    line: int
    login_id: str
    name: str
    password: str           # shown once to the instructor


def apply(roster: Roster, cohort, *, via: str = "csv", confirmed: frozenset[int] | set[int] = frozenset()
          ) -> list[NewAccount]:
    """Create or update every row and enrol it (the caller commits once: all or nothing).

    ``confirmed`` holds the line numbers of rows like an existing person (same name and email
    under another number) that the importer confirmed are someone else.
    """
    if not roster.ok:
        raise RosterError("エラーのある行があるため取り込めません。")
    unconfirmed = [r for r in roster.rows if r.similar_to and r.line not in confirmed]
    if unconfirmed:
        lines = "、".join(f"{r.line}行目" for r in unconfirmed[:10])
        raise RosterError(f"{lines}: 同じ氏名とメールアドレスの利用者がいます。別の人であることを確認して、"
                          "確認の欄にチェックを入れてください。")
    created: list[NewAccount] = []
    created_users, updated, withheld, enrolled = [], [], [], []
    for row in roster.rows:
        v = row.values
        if row.user_id is None:
            password = first_login_password()
            user = User(login_id=v["employee_no"], display_name=v["name"], name_kana=v.get("name_kana") or None,
                        email=v.get("email") or None, department=v.get("department") or None,
                        department_id=row.department_id,
                        employee_no=v["employee_no"], audience=v.get("audience") or None,
                        password_hash=generate_password_hash(password, method=FIRST_LOGIN_HASH_METHOD),
                        must_change_password=True)
            user.set_roles({"trainee"})
            db.session.add(user)
            db.session.flush()
            created.append(NewAccount(row.line, user.login_id, user.display_name, password))
            created_users.append({"user_id": user.id, "employee_no": user.employee_no})
        else:
            user = db.session.get(User, row.user_id)
            if row.changes:
                for change in row.changes:
                    setattr(user, change.field, change.after)
                    if change.field == "department":
                        user.department_id = row.department_id
                updated.append({"user_id": user.id, "employee_no": user.employee_no,
                                "before": {c.field: c.before for c in row.changes},
                                "after": {c.field: c.after for c in row.changes}})
            if row.withheld:
                withheld.append({"user_id": user.id, "employee_no": user.employee_no,
                                 "fields": [c.field for c in row.withheld]})
            if "trainee" not in user.roles:
                user.set_roles(user.roles | {"trainee"})
        if cohort is not None and row.status != "enrolled":
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, via=via))
            enrolled.append(user.id)
    db.session.flush()   # a number taken meanwhile fails here, inside the caller's try
    audit.record("roster.import", target_type="cohort", target_id=cohort.id if cohort else None,
                 rows=len(roster.rows), created=len(created), created_users=created_users, updated=updated, withheld=withheld, enrolled=enrolled)
    return created
