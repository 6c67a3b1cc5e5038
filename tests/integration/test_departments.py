"""The department master: admin pages, rosters and forms that take only master departments,
the department kept with each completion, reports by department at completion or today,
the mapping of old free-text values, and the migration's snapshot."""
import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from training import departments
from training.admin import users as user_admin
from training.auth.accounts import AccountError
from training.content import load_checked
from training.dates import JST
from training.demo import simulate_learning
from training.extensions import db
from training.models import AuditEntry, CourseCompletion, Department, User
from training.records import dashboard, export
from training.records.routes import filters_from
from training.teach.roster import RosterError, apply, check, parse

CONTENT = load_checked(Path(__file__).resolve().parents[2])


def _post(client, auth, path, **data):
    data["csrf_token"] = auth.csrf_token("/admin/departments")
    return client.post(path, data=data)


def _master(app, *rows):
    with app.app_context():
        ids = [departments.create(code, name, valid_from=start, valid_to=end).id for code, name, start, end in rows]
        db.session.commit()
        return ids


def test_admin_keeps_departments_and_records_a_rename(app, client, auth, login_as, create_user_factory):
    login_as("admin")
    page = client.get("/admin/departments").get_data(as_text=True)
    assert "いまは所属を自由に入力できます" in page
    assert _post(client, auth, "/admin/departments", code="1203", name="区民部,収納課").status_code == 302
    again = _post(client, auth, "/admin/departments", code="9999", name="区民部　収納課")
    assert again.status_code == 400 and "同じコードまたは名称の所属「1203 区民部 収納課」が既にあります" in again.get_data(as_text=True)
    assert _post(client, auth, "/admin/departments", code="1210", name="区民部 納付推進課").status_code == 302
    with app.app_context():
        old, new = (db.session.scalar(select(Department).where(Department.code == c)) for c in ("1203", "1210"))
        old_id, new_id = old.id, new.id
        assert old.name == "区民部 収納課"
    bad = _post(client, auth, "/admin/departments/reorganise", kind="merge", old=str(old_id), new=str(new_id),
                from_fy="2027")
    assert bad.status_code == 400 and "統合は、旧所属2つ以上" in bad.get_data(as_text=True)
    assert _post(client, auth, "/admin/departments/reorganise", kind="rename", old=str(old_id), new=str(new_id),
                 from_fy="2027").status_code == 302
    edited = _post(client, auth, f"/admin/departments/{new_id}", code="1210", name="区民部 納付推進課",
                   valid_from_fy="2027", staff_count="12")
    assert edited.status_code == 302
    with app.app_context():
        old, new = db.session.get(Department, old_id), db.session.get(Department, new_id)
        assert (old.valid_to_fy, new.valid_from_fy, new.staff_count) == (2026, 2027, 12)
        assert departments.in_year(old_id, 2027, *departments.graph()[:2]) == [new_id]
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("department.%"))).all()
        assert sorted(actions) == ["department.create", "department.create", "department.reorganise",
                                   "department.update"]
    page = client.get("/admin/departments").get_data(as_text=True)
    assert "2027年度から名称変更：区民部 収納課 → 区民部 納付推進課" in page
    # In April 2027 the people of the old department move (renames and merges at once).
    uid, _ = create_user_factory("trainee", department="1203")
    with app.app_context():
        assert [(old.id, [d.id for d in now], n) for old, now, n in departments.due_moves(2027)] == \
            [(old_id, [new_id], 1)]
        assert departments.roll_over(2027) == 1
        db.session.commit()
        assert db.session.get(User, uid).department == "区民部 納付推進課"
        assert departments.due_moves(2027) == []
    # Personnel see the master, without the forms.
    auth.logout()
    login_as("personnel", audience=None)
    page = client.get("/admin/departments").get_data(as_text=True)
    assert "区民部 納付推進課" in page and "追加する" not in page and "組織改正を記録する" not in page


def test_roster_and_forms_take_only_master_departments(app, runner, tmp_path, create_user_factory):
    (dept_id,) = _master(app, ("1203", "区民部 収納課", None, None))
    lines = ["職員番号,氏名,ふりがな,所属,メールアドレス,受講区分",
             "000001,練馬 太郎,,区民部　収納課,,", "000002,石神井 花子,,1203,,", "000003,大泉 学,,区民部 収能課,,"]
    with app.app_context():
        roster = check(parse("\n".join(lines).encode()), None)
        first, second, third = roster.rows
        assert first.errors == [] and first.values["department"] == "区民部 収納課" and first.department_id == dept_id
        assert second.errors == [] and second.department_id == dept_id
        assert third.errors == ["所属「区民部 収能課」は所属マスタにありません。近い所属：区民部 収納課"]
        with pytest.raises(RosterError):
            apply(roster, None)
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(path)])
    assert "所属「区民部 収能課」は所属マスタにありません" in result.output and "取り込みませんでした" in result.output
    path.write_text("\n".join(lines[:3]), encoding="utf-8")
    assert runner.invoke(args=["users", "import", str(path)]).exit_code == 0
    with app.app_context():
        assert set(db.session.execute(select(User.department, User.department_id))) == {("区民部 収納課", dept_id)}
    # The admin form (and `users create`) too: an unknown name is refused with close matches.
    with pytest.raises(AccountError, match="近い所属：区民部 収納課"):
        create_user_factory("trainee", department="区民部収能課")


def _complete(app, uid, when):
    with app.test_request_context():
        simulate_learning(db.session.get(User, uid), CONTENT.course("counter-staff"), CONTENT)
        db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == uid)).completed_at = when
        db.session.commit()


def test_reports_count_by_department_at_completion_after_a_transfer(app, create_user_factory):
    a, b = _master(app, ("1203", "区民部 収納課", None, None), ("3100", "健康部 保健予防課", None, None))
    uid, _ = create_user_factory("trainee", department="1203", employee_no="000501")
    _complete(app, uid, dt.datetime(2026, 6, 1, 9, tzinfo=JST))
    with app.test_request_context():
        done = db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == uid))
        assert (done.department_id, done.department_name, done.audience) == (a, "区民部 収納課", "counter_staff")
        user = db.session.get(User, uid)   # April: a transfer
        user_admin.update_profile(user, display_name=user.display_name, name_kana=None, email=None,
                                  audience="counter_staff", department="健康部,保健予防課", employee_no="000501")
        db.session.commit()
        assert (user.department, user.department_id) == ("健康部 保健予防課", b)
        board = dashboard.build(2026, 350, CONTENT)
        assert board.by_department == [("区民部 収納課", 1)]
        assert dashboard.build(2026, 350, CONTENT, department_as="today").by_department == [("健康部 保健予防課", 1)]
        today = dt.date(2027, 5, 1)
        at_completion = list(export.text_rows(filters_from({"fiscal_year": "2026"}), CONTENT, today))
        now = list(export.text_rows(filters_from({"fiscal_year": "2026", "department_as": "today"}), CONTENT, today))
        assert at_completion[0][3] == "区民部 収納課" and now[0][3] == "健康部 保健予防課"
        assert export.count(filters_from({"fiscal_year": "2026", "department": "区民部 収納課"}), today) == 1
        # Correcting the name in place (the same department) carries over to its completions.
        departments.edit(db.session.get(Department, a), "1203", "区民部 収納課（本庁舎）", valid_from=None,
                         valid_to=None, staff_count=None)
        db.session.commit()
        assert dashboard.build(2026, 350, CONTENT).by_department == [("区民部 収納課(本庁舎)", 1)]   # stored after NFKC


def test_mapping_page_links_free_text_values(app, client, auth, login_as, create_user_factory):
    uid, _ = create_user_factory("trainee", department="区民部,収納課")   # no master yet: free text
    _complete(app, uid, dt.datetime(2026, 6, 1, 9, tzinfo=JST))
    (dept_id,) = _master(app, ("1203", "区民部 収納課", None, None))
    with app.app_context():   # an unchanged free-text value does not stop other edits
        user = db.session.get(User, uid)
        assert user_admin.update_profile(user, display_name="練馬 次郎", name_kana=None, email=None,
                                         audience="counter_staff", department="区民部,収納課",
                                         employee_no=None) == ["display_name"]
        db.session.commit()
    login_as("admin")
    page = client.get("/admin/departments/mapping").get_data(as_text=True)
    assert "<td>区民部,収納課</td><td>1名</td><td>1件</td>" in page
    assert f'<option value="{dept_id}" selected>' in page
    token = auth.csrf_token("/admin/departments/mapping")
    assert client.post("/admin/departments/mapping", data={"text": "よその値", "department_id": str(dept_id),
                                                           "csrf_token": token}).status_code == 400
    response = client.post("/admin/departments/mapping", data={"text": "区民部,収納課", "department_id": str(dept_id),
                                                               "csrf_token": token})
    assert response.status_code == 302
    assert "未対応の所属名はありません" in client.get("/admin/departments/mapping").get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, uid)
        done = db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == uid))
        assert (user.department_id, user.department) == (dept_id, "区民部 収納課")
        assert (done.department_id, done.department_name) == (dept_id, "区民部 収納課")
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "department.map"))
        assert entry.detail["text"] == "区民部,収納課" and entry.detail["users"] == 1


def test_migration_snapshots_each_completion_from_its_user(app):
    users = sa.table("user", sa.column("id", sa.Integer), sa.column("login_id", sa.String),
                     sa.column("display_name", sa.String), sa.column("password_hash", sa.String),
                     sa.column("active", sa.Boolean), sa.column("must_change_password", sa.Boolean),
                     sa.column("session_token", sa.String), sa.column("created_at", sa.DateTime(timezone=True)),
                     sa.column("department", sa.String), sa.column("audience", sa.String))
    done = sa.table("course_completion", sa.column("id", sa.Integer), sa.column("user_id", sa.Integer),
                    sa.column("course_id", sa.String), sa.column("content_version", sa.String),
                    sa.column("completed_at", sa.DateTime(timezone=True)))
    when = dt.datetime(2026, 4, 1, tzinfo=dt.timezone.utc)
    with app.app_context():
        downgrade(revision="c16c00000003")
        with db.engine.begin() as connection:
            connection.execute(users.insert().values(
                id=1, login_id="t1", display_name="練馬 太郎", password_hash="!", active=True,
                must_change_password=False, session_token="x", created_at=when, department="区民部,収納課",
                audience="counter_staff"))
            connection.execute(done.insert().values(id=1, user_id=1, course_id="counter-staff", content_version="1",
                                                    completed_at=when))
        upgrade()
        with db.engine.connect() as connection:
            row = connection.execute(sa.text("SELECT department_id, department_name, audience FROM course_completion")).one()
            masters = connection.execute(sa.text("SELECT count(*) FROM department")).scalar()
    assert tuple(row) == (None, "区民部,収納課", "counter_staff") and masters == 0


def test_an_instructor_s_member_edit_takes_only_master_departments(app, client, login_as, create_user_factory):
    """The member page (issue 16, members) checks the department against the master like the roster."""
    from tests.support.classes import make_class
    from tests.support.learner import csrf

    (dept_id,) = _master(app, ("1203", "区民部 収納課", None, None))
    _me, login = login_as("instructor", audience=None)
    member, _ = create_user_factory(display_name="練馬 一郎", department="1203")
    cohort = make_class(app, login, member_ids=(member,))
    page = f"/teach/classes/{cohort}/members/{member}"
    fields = {"display_name": "練馬 一郎", "name_kana": "", "email": "", "employee_no": ""}
    token = csrf(client.get(page).get_data(as_text=True))
    refused = client.post(page, data={"csrf_token": token, **fields, "department": "区民部 収能課"})
    assert refused.status_code == 422 and "近い所属：区民部 収納課" in refused.get_data(as_text=True)
    with app.app_context():
        db.session.get(User, member).department_id = None  # as if linked later
        db.session.commit()
    token = csrf(client.get(page).get_data(as_text=True))
    assert client.post(page, data={"csrf_token": token, **fields, "department": "区民部　収納課 "}).status_code == 302
    with app.app_context():
        user = db.session.get(User, member)
        assert (user.department, user.department_id) == ("区民部 収納課", dept_id)
