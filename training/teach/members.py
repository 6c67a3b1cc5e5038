"""Members of a class, as plain functions: remove, move, edit details, reset the password.

The rules are those of the security review (issue 12, docs/decisions.md "Rosters"): an
instructor changes an account's details or password only when the account is trainee-only
and every class it belongs to is one of theirs (an admin always may). Removing and moving
touch only the membership, never the account or its records. Every function raises
MemberError (a Japanese message) before changing anything; the caller commits.
"""
from __future__ import annotations

import unicodedata

from sqlalchemy import delete, select
from werkzeug.security import generate_password_hash

from training import audit
from training.auth import accounts
from training.auth.employee_numbers import employee_no_problem
from training.email_addresses import EmailAddressError, optional_email
from training.extensions import db
from training.models import Cohort, CohortMember, CohortOwner, User
from training.text_fold import number_key
from training.teach import slips
from training.teach.roster import CONTROL_CHARACTERS, FIRST_LOGIN_HASH_METHOD, PRIVILEGED_ROLES


class MemberError(ValueError):
    """Why a member action was refused (nothing was changed)."""


#: Fields an instructor may edit, with their labels (lengths come from the User columns).
EDITABLE = {"display_name": "氏名", "name_kana": "ふりがな", "email": "メールアドレス",
            "department": "所属", "employee_no": "職員番号"}


def owned_ids(actor) -> set[int]:
    return set(db.session.scalars(select(CohortOwner.cohort_id).where(CohortOwner.user_id == actor.id)))


def account_problem(actor, user: User) -> str | None:
    """Why ``actor`` may not edit or reset ``user`` (None: they may). The roster import's rule."""
    if actor.has_role("admin"):
        return None
    if user.roles & set(PRIVILEGED_ROLES):
        return ("この方は研修担当・人事・管理者の権限を持つ利用者のため、研修担当は登録情報やパスワードを"
                "変更できません。システム管理者に依頼してください。")
    classes = set(db.session.scalars(select(CohortMember.cohort_id).where(CohortMember.user_id == user.id)))
    if not classes <= owned_ids(actor):
        return ("この方は他の研修担当のクラスにも所属しているため、登録情報やパスワードは変更できません。"
                "システム管理者に依頼してください。")
    return None


def membership(cohort: Cohort, user_id: int) -> CohortMember | None:
    return db.session.scalar(select(CohortMember).where(CohortMember.cohort_id == cohort.id,
                                                        CohortMember.user_id == user_id))


def remove(cohort: Cohort, user: User) -> None:
    """Take ``user`` out of the class; progress, completions and certificates stay."""
    row = membership(cohort, user.id)
    if row is None:
        raise MemberError("この方はこのクラスの受講者ではありません。")
    db.session.delete(row)
    audit.record("class.member_remove", target_type="cohort", target_id=cohort.id, user_id=user.id,
                 employee_no=user.employee_no)


def move(cohort: Cohort, user: User, target_id: int | None, actor) -> Cohort:
    """Move ``user`` from ``cohort`` to another class the actor runs (not archived)."""
    target = db.session.get(Cohort, target_id) if target_id else None
    if target is None or (not actor.has_role("admin") and target.id not in owned_ids(actor)):
        raise MemberError("移動先のクラスが見つかりません。ご自分が担当しているクラスを選んでください。")
    if target.id == cohort.id:
        raise MemberError("移動先には、いまのクラスとは別のクラスを選んでください。")
    if target.archived:
        raise MemberError(f"クラス「{target.name}」はアーカイブされているため、移動できません。")
    row = membership(cohort, user.id)
    if row is None:
        raise MemberError("この方はこのクラスの受講者ではありません。")
    if membership(target, user.id) is not None:
        raise MemberError(f"この方はすでにクラス「{target.name}」の受講者です。")
    db.session.delete(row)
    db.session.flush()
    db.session.add(CohortMember(cohort_id=target.id, user_id=user.id, via="move"))
    audit.record("class.member_move", target_type="cohort", target_id=cohort.id, user_id=user.id,
                 to_cohort=target.id, employee_no=user.employee_no)
    return target


def _clean(value: str | None) -> str:
    return unicodedata.normalize("NFC", (value or "").strip())


def edit(cohort: Cohort, user: User, values: dict[str, str], actor) -> dict[str, tuple]:
    """Change the member's details; returns {field: (before, after)}. MemberError lists every problem."""
    problem = account_problem(actor, user)
    if problem:
        raise MemberError(problem)
    new = {name: _clean(values.get(name)) for name in EDITABLE}
    problems = []
    for name, label in EDITABLE.items():
        if CONTROL_CHARACTERS.search(new[name]):
            problems.append(f"{label}に使えない文字（制御文字）が含まれています。")
        limit = User.__table__.c[name].type.length
        if len(new[name]) > limit:
            problems.append(f"{label}が長すぎます（{limit}文字まで）。")
    if problems:
        raise MemberError(" ".join(problems))
    if not new["display_name"]:
        problems.append("氏名を入力してください。")
    try:
        new["email"] = optional_email(new["email"]) or ""
    except EmailAddressError as exc:
        problems.append(f"{exc}。")
    number = new["employee_no"]
    if not number and user.employee_no:
        problems.append("職員番号は消せません。変えるときは新しい番号を入力してください。")
    elif number and number != user.employee_no:
        if employee_no_problem(number):
            problems.append(employee_no_problem(number) + "。")
        else:
            taken = db.session.scalar(select(User).where(User.employee_no == number, User.id != user.id))
            twin = None
            if number.isdigit():
                twin = db.session.scalar(select(User).where(  # the indexed zero-stripped number
                    User.employee_no_digits == number_key(number), User.id != user.id))
            if taken is not None:
                problems.append(f"職員番号「{number}」は別の方がすでに使っています。")
            elif twin is not None and twin.employee_no and twin.employee_no.isdigit():
                problems.append(f"職員番号「{number}」は登録済みの職員番号「{twin.employee_no}」と先頭の0だけが"
                                "違います。番号を確かめてください。")
    department = None  # the master department named, when the department was changed
    if new["department"] != (user.department or ""):
        try:
            department = accounts._department(new["department"])
        except accounts.AccountError as exc:
            problems.append(str(exc))
        else:
            new["department"] = department.text or ""
    if problems:
        raise MemberError(" ".join(problems))
    if department is not None:
        department_id = department.department.id if department.department else None
        if user.department_id != department_id:
            user.department_id = department_id
    changes = {}
    for name in EDITABLE:
        before, after = getattr(user, name), new[name] or None
        if before != after:
            changes[name] = (before, after)
            setattr(user, name, after)
    if changes:
        db.session.flush()
        audit.record("class.member_edit", target_type="user", target_id=user.id, cohort=cohort.id,
                     before={k: v[0] for k, v in changes.items()}, after={k: v[1] for k, v in changes.items()})
    return changes


def reset_password(cohort: Cohort, user: User, actor) -> tuple[slips.Slip, object]:
    """A new first-login password (changed at the next sign-in), and a slip batch to print it."""
    problem = account_problem(actor, user)
    if problem:
        raise MemberError(problem)
    if not user.active:
        raise MemberError("この方の利用は停止されています。システム管理者にご相談ください。")
    password = slips.first_login_password()
    user.password_hash = generate_password_hash(password, method=FIRST_LOGIN_HASH_METHOD)
    user.must_change_password = True
    user.end_sessions()
    slip = slips.Slip(user.display_name, user.login_id, password, user.audience)
    batch = slips.create_batch([slip], cohort_id=cohort.id, created_by=actor, kind="reset")
    audit.record("class.member_password_reset", target_type="user", target_id=user.id, cohort=cohort.id,
                 slip_batch=batch.id)
    return slip, batch


def remove_owner(cohort: Cohort, user_id: int) -> User:
    """Take an instructor off the class; never the last one."""
    owners = list(cohort.owners)
    row = next((o for o in owners if o.user_id == user_id), None)
    if row is None:
        raise MemberError("その方はこのクラスの担当ではありません。")
    if len(owners) == 1:
        raise MemberError("担当が1人だけのため外せません。先に別の研修担当を担当に加えてください。")
    user = db.session.get(User, user_id)
    db.session.execute(delete(CohortOwner).where(CohortOwner.id == row.id))
    db.session.expire(cohort, ["owners"])
    audit.record("class.owner_remove", target_type="cohort", target_id=cohort.id, owner=user.login_id if user else None)
    return user
