"""Classes across years (issue 16): archive and restore, delete an empty class, copy to the next
fiscal year, filter the list, and each class's rule on completions from before its start."""
import datetime as dt

from sqlalchemy import func, select

from tests.conftest import AuthActions
from tests.support.classes import make_class
from tests.support.learner import csrf
from training.extensions import db
from training.models import (Assignment, AuditEntry, Cohort, CohortOwner, CourseCompletion,
                             ModuleCompletion, Reminder)

UTC = dt.timezone.utc


def _post(client, page_url, url, **data):
    token = csrf(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_archive_refuses_joins_and_changes_and_restore_undoes(app, client, login_as, create_user_factory):
    _owner, owner_login = login_as("instructor", audience=None)
    member_id, _ = create_user_factory("trainee", display_name="受講 一郎")
    cohort_id = make_class(app, owner_login, name="令和8年度 窓口", member_ids=(member_id,))
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        cohort.join_enabled, cohort.join_code = True, "ABCD-EFGH"
        db.session.commit()
    page = f"/teach/classes/{cohort_id}"
    assert client.post(f"{page}/archive").status_code == 400              # no CSRF token: nothing changes
    assert _post(client, page, f"{page}/archive").status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert "アーカイブ済みです" in shown and "アーカイブから戻す" in shown and "受講 一郎" in shown
    assert "令和8年度 窓口" not in client.get("/teach/").get_data(as_text=True)  # the default list: active
    assert "令和8年度 窓口" in client.get("/teach/?state=archived").get_data(as_text=True)
    assert client.get(f"{page}/progress").status_code == 200                   # records stay viewable

    # Read-only: no assignment change, no roster, no reminders; joins by code refused.
    response = _post(client, page, f"{page}/assignments", course_id="counter-staff", module_id="", due_on="")
    assert response.status_code == 302
    assert "アーカイブ済みのため変更できません" in client.get(page).get_data(as_text=True)
    assert client.get(f"{page}/roster").status_code == 302
    reminders = client.get(f"{page}/reminders").get_data(as_text=True)
    assert "受講のお願いは送れません" in reminders
    response = client.post(f"{page}/reminders", data={"csrf_token": csrf(reminders), "group": "not_started",
                                                      "batch": "a" * 22})
    assert response.status_code == 302
    stranger = app.test_client()
    joined = stranger.post("/join", data={"csrf_token": csrf(stranger.get("/join").get_data(as_text=True)),
                                          "code": "ABCD-EFGH"}).get_data(as_text=True)
    assert "受付が終わっています" in joined
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0
        assert db.session.scalar(select(func.count()).select_from(Reminder)) == 0

    assert _post(client, page, f"{page}/restore").status_code == 302
    assert "令和8年度 窓口" in client.get("/teach/").get_data(as_text=True)
    joined = stranger.post("/join", data={"csrf_token": csrf(stranger.get("/join").get_data(as_text=True)),
                                          "code": "ABCD-EFGH"}).get_data(as_text=True)
    assert "受付が終わっています" not in joined
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"class.archive", "class.restore"} <= actions


def test_delete_only_an_empty_class_and_only_by_its_owners(app, client, login_as, create_user_factory):
    _owner, owner_login = login_as("instructor", audience=None)
    member_id, _ = create_user_factory("trainee")
    _other, other_login = create_user_factory("instructor", audience=None)
    empty_id = make_class(app, owner_login, name="空のクラス")
    full_id = make_class(app, owner_login, name="受講者のいるクラス", member_ids=(member_id,))

    refused = client.get(f"/teach/classes/{full_id}/delete").get_data(as_text=True)
    assert "受講者が登録されているクラスは削除できません" in refused and "アーカイブ" in refused
    response = _post(client, f"/teach/classes/{empty_id}", f"/teach/classes/{full_id}/delete")
    assert response.status_code == 409
    assert client.post(f"/teach/classes/{empty_id}/delete").status_code == 400      # no CSRF token

    outsider = app.test_client()
    AuthActions(outsider).login(other_login)
    assert outsider.get(f"/teach/classes/{empty_id}/delete").status_code == 404
    assert outsider.get(f"/teach/classes/{empty_id}/copy").status_code == 404
    assert _post(outsider, "/teach/", f"/teach/classes/{empty_id}/archive").status_code == 404

    confirm = client.get(f"/teach/classes/{empty_id}/delete").get_data(as_text=True)
    assert "元に戻せません" in confirm
    assert client.post(f"/teach/classes/{empty_id}/delete", data={"csrf_token": csrf(confirm)}).status_code == 302
    with app.app_context():
        assert db.session.get(Cohort, empty_id) is None and db.session.get(Cohort, full_id) is not None
        assert db.session.scalar(select(func.count()).where(AuditEntry.action == "class.delete")) == 1


def test_copy_to_the_next_year_shifts_dates_and_copies_members_only_if_asked(app, client, login_as,
                                                                             create_user_factory):
    copier_id, copier_login = login_as("instructor", audience=None)
    first_id, first_login = create_user_factory("instructor", audience=None)
    member_id, _ = create_user_factory("trainee")
    source_id = make_class(app, first_login, name="2027年度 窓口職員", fiscal_year=2027, member_ids=(member_id,),
                           due_on=dt.date(2028, 2, 29))
    with app.app_context():
        db.session.add(CohortOwner(cohort_id=source_id, user_id=copier_id))
        db.session.add_all([
            Assignment(cohort_id=source_id, course_id="counter-staff", due_on=dt.date(2028, 2, 29)),
            Assignment(cohort_id=source_id, course_id="counter-staff", module_id="counter-signs",
                       due_on=dt.date(2027, 6, 30))])
        source = db.session.get(Cohort, source_id)
        source.join_enabled, source.join_code = True, "ABCD-EFGH"
        db.session.commit()

    form = client.get(f"/teach/classes/{source_id}/copy").get_data(as_text=True)
    assert 'value="2028年度 窓口職員"' in form and "2029年2月28日" in form
    response = client.post(f"/teach/classes/{source_id}/copy", data={"csrf_token": csrf(form), "name": ""})
    assert response.status_code == 422 and "クラス名を入力してください" in response.get_data(as_text=True)
    without = client.post(f"/teach/classes/{source_id}/copy", data={"csrf_token": csrf(form), "name": "2028年度 窓口"})
    with_members = client.post(f"/teach/classes/{source_id}/copy",
                               data={"csrf_token": csrf(form), "name": "2028年度 窓口（名簿つき）", "with_members": "y"})
    assert without.status_code == with_members.status_code == 302
    with app.app_context():
        copies = db.session.scalars(select(Cohort).where(Cohort.id != source_id).order_by(Cohort.id)).all()
        assert [c.name for c in copies] == ["2028年度 窓口", "2028年度 窓口（名簿つき）"]
        for copy in copies:
            assert copy.fiscal_year == 2028 and copy.audience == "counter_staff" and copy.due_on == dt.date(2029, 2, 28)
            assert copy.join_enabled is False and copy.join_code not in (None, "ABCD-EFGH")
            assert {o.user_id for o in copy.owners} == {first_id, copier_id}
            assert sorted((a.module_id or "", a.due_on) for a in copy.assignments) == [
                ("", dt.date(2029, 2, 28)), ("counter-signs", dt.date(2028, 6, 30))]
        assert [len(c.members) for c in copies] == [0, 1]
        assert db.session.scalar(select(func.count()).where(AuditEntry.action == "class.copy")) == 2


def test_filter_by_year_and_state(app, client, login_as):
    _owner, owner_login = login_as("instructor", audience=None)
    make_class(app, owner_login, name="年度2026のクラス", fiscal_year=2026)
    make_class(app, owner_login, name="年度2027のクラス", fiscal_year=2027)
    archived_id = make_class(app, owner_login, name="年度2025の終わったクラス", fiscal_year=2025)
    with app.app_context():
        db.session.get(Cohort, archived_id).archived = True
        db.session.commit()
    default = client.get("/teach/").get_data(as_text=True)
    assert "年度2026のクラス" in default and "年度2027のクラス" in default and "年度2025の終わったクラス" not in default
    only_2027 = client.get("/teach/?year=2027&state=active").get_data(as_text=True)
    assert "年度2027のクラス" in only_2027 and "年度2026のクラス" not in only_2027
    everything = client.get("/teach/?year=&state=all").get_data(as_text=True)
    assert "年度2025の終わったクラス" in everything and "アーカイブ済み" in everything
    bad = client.get("/teach/?year=20x7&state=nope")
    assert bad.status_code == 200 and "年度は西暦4桁で選んでください" in bad.get_data(as_text=True)


def test_completions_before_the_class_start_count_only_if_the_class_says_so(app, client, login_as,
                                                                            create_user_factory):
    _owner, owner_login = login_as("instructor", audience=None)
    last_year_id, _ = create_user_factory("trainee", display_name="前年 修了")
    this_year_id, _ = create_user_factory("trainee", display_name="今年 修了")
    cohort_id = make_class(app, owner_login, name="2027年度 フォローアップ", fiscal_year=2027,
                           member_ids=(last_year_id, this_year_id))
    with app.app_context():
        db.session.add(Assignment(cohort_id=cohort_id, course_id="counter-staff"))
        db.session.add(Assignment(cohort_id=cohort_id, course_id="counter-staff", module_id="counter-signs"))
        # 2027-03-31 23:30 JST is still FY2026; 2027-04-01 00:10 JST is FY2027.
        before, after = dt.datetime(2027, 3, 31, 14, 30, tzinfo=UTC), dt.datetime(2027, 3, 31, 15, 10, tzinfo=UTC)
        for user_id, at in ((last_year_id, before), (this_year_id, after)):
            db.session.add(CourseCompletion(user_id=user_id, course_id="counter-staff", content_version="v",
                                            score=90, completed_at=at))
            db.session.add(ModuleCompletion(user_id=user_id, course_id="counter-staff", module_id="counter-signs",
                                            content_version="v", score=90, completed_at=at))
        db.session.commit()

    page = client.get(f"/teach/classes/{cohort_id}").get_data(as_text=True)
    last_row = page[page.rindex("前年 修了"):].split("</tr>")[0]
    this_row = page[page.rindex("今年 修了"):].split("</tr>")[0]
    assert "修了 " not in last_row and last_row.count("未修了") == 2
    assert this_row.count("<td>修了 ") == 2
    assert "このクラスでは数えていない方：1件" in page
    matrix = client.get(f"/teach/classes/{cohort_id}/progress?show=counter-staff").get_data(as_text=True)
    assert "修了 1人" in matrix and "前回の修了 2027年3月31日 23:30（このクラスでは数えません）" in matrix
    module = client.get(f"/teach/classes/{cohort_id}/progress?show=counter-staff/counter-signs").get_data(as_text=True)
    assert "修了 1人" in module
    reminders = client.get(f"/teach/classes/{cohort_id}/reminders?show=counter-staff&status=unfinished").get_data(as_text=True)
    assert "前年 修了" in reminders and "今年 修了" not in reminders

    # The class may count earlier completions (set in its settings).
    settings = client.get(f"/teach/classes/{cohort_id}/edit").get_data(as_text=True)
    response = client.post(f"/teach/classes/{cohort_id}/edit", data={
        "csrf_token": csrf(settings), "name": "2027年度 フォローアップ", "audience": "counter_staff",
        "fiscal_year": "2027", "counts_earlier_completions": "y"})
    assert response.status_code == 302
    assert "修了 2人" in client.get(f"/teach/classes/{cohort_id}/progress?show=counter-staff").get_data(as_text=True)
    page = client.get(f"/teach/classes/{cohort_id}").get_data(as_text=True)
    assert page[page.rindex("前年 修了"):].split("</tr>")[0].count("<td>修了 ") == 2
