"""User administration as plain functions (the routes only parse and render)."""
from __future__ import annotations

from sqlalchemy import func, or_, select

from training import audit, departments
from training.auth import accounts
from training.auth.employee_numbers import employee_no_problem
from training.email_addresses import EmailAddressError, optional_email
from training.extensions import db
from training.models import AuditEntry, User


def search_users(query: str = "", *, page: int = 1, per_page: int = 50):
    """Users matching ``query`` in login id, name, kana, department or employee number."""
    stmt = select(User).order_by(User.login_id)
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(or_(
            func.lower(User.login_id).like(like),
            func.lower(User.display_name).like(like),
            func.lower(User.name_kana).like(like),
            func.lower(User.department).like(like),
            User.employee_no.like(like),
        ))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def update_profile(user: User, *, display_name: str, name_kana: str | None, email: str | None,
                   audience: str | None, department: str | None, employee_no: str | None) -> list[str]:
    """Apply profile fields, audit what changed; return the changed field names.

    Raises AccountError when the employee number belongs to someone else or the e-mail
    address is malformed (it is stored normalised).
    """
    try:
        email = optional_email(email)
    except EmailAddressError as exc:
        raise accounts.AccountError(f"{exc}。") from None
    employee_no = (employee_no or "").strip() or None
    problem = employee_no_problem(employee_no) if employee_no else None
    if problem:
        raise accounts.AccountError(problem + "。")
    if employee_no and db.session.scalar(
        select(User.id).where(User.employee_no == employee_no, User.id != user.id)
    ):
        raise accounts.AccountError(f"職員番号「{employee_no}」は既に別の利用者に登録されています。")
    if (department or "").strip() == (user.department or ""):
        # Unchanged: kept as it is (a free-text value not yet mapped, or a department that has
        # ended), so other fields can be saved; 所属の対応づけ and the master page deal with it.
        department_found = departments.Resolved(None, user.department)
        keep_link = True
    else:
        department_found = accounts._department(department)
        keep_link = False
    values = {
        "display_name": display_name.strip(),
        "name_kana": (name_kana or "").strip() or None,
        "email": email,
        "audience": audience or None,
        "department": department_found.text,
        "employee_no": employee_no,
    }
    changed = {}
    for field, value in values.items():
        before = getattr(user, field)
        if before != value:
            changed[field] = {"before": before, "after": value}
            setattr(user, field, value)
    if not keep_link:
        department_id = department_found.department.id if department_found.department else None
        if user.department_id != department_id:
            changed.setdefault("department_id", {"before": user.department_id, "after": department_id})
            user.department_id = department_id
    if changed:
        audit.record("user.update", target_type="user", target_id=user.id, changes=changed)
    return sorted(changed)


def recent_audit(limit: int = 200, *, action: str = "") -> list[tuple[AuditEntry, User | None]]:
    """The newest audit entries with their actors, newest first (one query)."""
    stmt = (select(AuditEntry, User).outerjoin(User, User.id == AuditEntry.actor_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
    if action:
        stmt = stmt.where(AuditEntry.action.like(f"{action}%"))
    return list(db.session.execute(stmt).tuples())
