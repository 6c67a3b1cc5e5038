"""Who has not finished (issue 16): per class and per department, the XLSX of each list,
reminders to chosen people or to all listed, the 24-hour confirmation and the outbox."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.support.classes import make_class
from tests.support.learner import csrf
from training.extensions import db
from training.models import (Assignment, AuditEntry, Cohort, CourseCompletion, Department, Reminder, User)

COURSE, MODULE = "counter-staff", "counter-signs"
UTC = dt.timezone.utc


def _world(app, create_user_factory, owner_login):
    """A FY2026 class, due 2026-06-30 (past) for the whole course and 2099 for one module:
    収納課 (typed two ways), 福祉課 (no address), one who has completed, and a stranger."""
    people = {}
    for key, name, kana, dept, no, email in (
            ("a", "青木 一郎", "あおき", "区民部 収納課", "000101", "a@example.jp"),
            ("b", "井上 二郎", "いのうえ", "区民部,収納課", "000102", "b@example.jp"),
            ("d", "上田 三子", "=うえだ", "福祉部 福祉課", "000103", None),
            ("c", "江藤 四郎", "えとう", "福祉部 福祉課", "000104", "c@example.jp"),
            ("x", "他組 五郎", "ほか", "", "000105", "x@example.jp")):
        people[key], _login = create_user_factory("trainee", display_name=name, name_kana=kana, department=dept,
                                                  employee_no=no, email=email)
    cohort_id = make_class(app, owner_login, name="令和8年度 窓口", member_ids=[people[k] for k in "abdc"],
                           due_on=dt.date(2026, 6, 30))
    with app.app_context():
        db.session.add_all([Assignment(cohort_id=cohort_id, course_id=COURSE),
                            Assignment(cohort_id=cohort_id, course_id=COURSE, module_id=MODULE,
                                       due_on=dt.date(2099, 3, 31)),
                            CourseCompletion(user_id=people["c"], course_id=COURSE, content_version="v", score=90,
                                             completed_at=dt.datetime(2026, 6, 1, tzinfo=UTC))])
        db.session.commit()
    return cohort_id, people


def _page(client, cohort_id, query=""):
    return client.get(f"/teach/classes/{cohort_id}/reminders{query}").get_data(as_text=True)


def _form(page, **fields):
    batch = re.search(r'name="batch" value="([^"]+)"', page).group(1)
    return {"csrf_token": csrf(page), "batch": batch, "show": COURSE, "status": "overdue", **fields}


def _reminders(app):
    with app.app_context():
        return sorted((r.user_id, r.status, r.target_key) for r in db.session.scalars(select(Reminder)))


def test_the_class_list_its_filters_and_its_xlsx(app, client, login_as, create_user_factory):
    _iid, instructor = login_as("instructor", audience=None)
    cohort_id, people = _world(app, create_user_factory, instructor)

    page = _page(client, cohort_id)                                    # default: past the due date
    assert "青木 一郎" in page and "井上 二郎" in page and "上田 三子" in page
    assert "江藤 四郎" not in page and "他組 五郎" not in page          # complete; not a member
    assert "期限を過ぎた方（3人）" in page and "000101" in page and "2026年6月30日" in page
    # 「区民部,収納課」 and 「区民部 収納課」 are one department while the master is empty.
    assert page.count("区民部 収納課（2人）") == 1 and "区民部,収納課" not in page
    key = re.search(r'<option value="([^"]+)">区民部 収納課（2人）', page).group(1)
    shown = _page(client, cohort_id, f"?department={key}")
    assert "青木 一郎" in shown and "上田 三子" not in shown

    module = f"{COURSE}/{MODULE}"                                       # due in 2099: not overdue yet
    assert "該当する方はいません" in _page(client, cohort_id, f"?show={module}")
    everyone = _page(client, cohort_id, f"?show={module}&status=unfinished")
    assert "青木 一郎" in everyone and "江藤 四郎" in everyone and "未着手" in everyone
    assert "表示の条件は一覧から選んでください" in _page(client, cohort_id, "?status=bogus")

    response = client.get(f"/teach/classes/{cohort_id}/unfinished.xlsx?show={COURSE}&status=overdue")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    title = sheet["A1"].value
    assert "令和8年度 窓口" in title and "期限超過" in title and "時点" in title
    assert [c.value for c in sheet[2]] == ["職員番号", "氏名", "ふりがな", "所属", "対象", "期限", "状態",
                                           "最終学習日時", "最後のお願い"]
    assert sheet.freeze_panes == "A3" and int(sheet.column_dimensions["B"].width) == 18  # 18 characters + padding
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$2:$2"
    assert sheet.oddHeader.center.text == title.replace("&", "&&")
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert [r[1] for r in rows] == ["上田 三子", "青木 一郎", "井上 二郎"]  # by kana
    assert rows[1][0] == "000101" and rows[0][2] == "'=うえだ"          # zeros kept, formula-like text inert
    assert rows[1][5] == dt.datetime(2026, 6, 30) and sheet.cell(3, 6).is_date and rows[1][6] == "期限超過"
    assert rows[2][3] == "区民部 収納課"
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "class.unfinished_export"))
        assert entry.detail["rows"] == 3


def test_reminders_to_chosen_people_and_refused_ids(app, client, login_as, create_user_factory):
    app.config["MAIL_SERVER"] = ""
    _iid, instructor = login_as("instructor", audience=None)
    cohort_id, people = _world(app, create_user_factory, instructor)
    url = f"/teach/classes/{cohort_id}/reminders"
    page = _page(client, cohort_id)
    assert f'name="user" value="{people["a"]}"' in page

    for bad, message in ((["abc"], "指定が正しくありません"), (["99999999999999999999", "²"], "指定が正しくありません"), ([str(people["a"]), str(people["x"])], "受講者でない方"),
                         ([], "送る方を一覧で選んでください")):
        refused = client.post(url, data=_form(page, to="chosen", user=bad))
        assert refused.status_code == 400 and message in refused.get_data(as_text=True)
        assert "何も送っていません" in refused.get_data(as_text=True)
    assert _reminders(app) == []

    # One chosen who is not finished and one who is: only the first is reminded.
    sent = client.post(url, data=_form(page, to="chosen", user=[str(people["a"]), str(people["c"])]),
                       follow_redirects=True).get_data(as_text=True)
    assert "送信待ち（送信箱） 1件" in sent and "1人は修了しているため送っていません" in sent
    assert _reminders(app) == [(people["a"], "queued", COURSE)]
    after = _page(client, cohort_id)
    row = after[after.index("青木 一郎"):].split("</tr>")[0]
    assert re.search(r"\d{4}年\d+月\d+日 \d\d:\d\d", row)           # 最後のお願い is shown on the row


def test_the_same_reminder_within_24_hours_asks_first(app, client, login_as, create_user_factory):
    app.config["MAIL_SERVER"] = ""
    _iid, instructor = login_as("instructor", audience=None)
    cohort_id, people = _world(app, create_user_factory, instructor)
    url = f"/teach/classes/{cohort_id}/reminders"
    client.post(url, data=_form(_page(client, cohort_id), to="chosen", user=[str(people["a"])]))

    # All listed (a, b, d): a was reminded an hour ago, so nothing goes out yet.
    form = _form(_page(client, cohort_id), to="listed")
    asked = client.post(url, data=form).get_data(as_text=True)
    assert "同じお願いを24時間以内に送った方がいます" in asked and "選んだ3人のうち1人" in asked
    assert "この人たちにも送る（3人）" in asked and "24時間以内に送った人を除いて送る（2人）" in asked
    assert len(_reminders(app)) == 1
    confirm = {k: v for k, v in _form(asked).items()} | {"to": "chosen", "confirm": "skip_recent",
                                                          "user": re.findall(r'name="user" value="(\d+)"', asked)}
    assert confirm["batch"] == form["batch"]                           # the key survives the confirmation
    for _click in range(2):                                            # a double click sends once
        done = client.post(url, data=confirm, follow_redirects=True).get_data(as_text=True)
    assert "すでに記録されていた2件のお願いは送っていません" in done
    # d has no address: recorded as such, and that reached nobody, so it does not count as "sent".
    assert _reminders(app) == sorted([(people["a"], "queued", COURSE), (people["b"], "queued", COURSE),
                                      (people["d"], "no_email", COURSE)])

    # Again for all: a and b ask; "send to these too" sends each once more, once.
    form = _form(_page(client, cohort_id), to="listed")
    asked = client.post(url, data=form).get_data(as_text=True)
    assert "選んだ3人のうち2人" in asked
    confirm = form | {"confirm": "all"}
    client.post(url, data=confirm)
    client.post(url, data=confirm)
    with app.app_context():
        counts = dict(db.session.execute(select(Reminder.user_id, func.count()).group_by(Reminder.user_id)).all())
    assert counts == {people["a"]: 2, people["b"]: 2, people["d"]: 2}
    # Another target is another reminder: no confirmation for the module.
    module = _form(_page(client, cohort_id, f"?show={COURSE}/{MODULE}&status=unfinished"), to="chosen",
                   show=f"{COURSE}/{MODULE}", status="unfinished", user=[str(people["a"])])
    assert client.post(url, data=module).status_code == 302


def test_the_outbox_holds_the_message_and_is_marked_sent(app, client, login_as, create_user_factory):
    app.config["MAIL_SERVER"] = ""
    instructor_id, instructor = login_as("instructor", audience=None)
    cohort_id, people = _world(app, create_user_factory, instructor)
    url = f"/teach/classes/{cohort_id}/reminders"
    client.post(url, data=_form(_page(client, cohort_id), to="listed", subject="=受講のお願い",
                                body="期限を過ぎています。\n\nご不明な点は研修担当まで。"))
    rows = list(csv.reader(io.StringIO(client.get(f"{url}.csv").data.decode("utf-8-sig"))))
    assert rows[0] == ["氏名", "メールアドレス", "件名", "本文", "対象", "記録日時"]
    assert [r[0] for r in rows[1:]] == ["青木 一郎", "井上 二郎"]  # 上田 has no address: not in the outbox
    assert rows[1][2] == "'=受講のお願い" and "ご不明な点は研修担当まで。" in rows[1][3]

    page = _page(client, cohort_id)
    assert "送信箱（まだ送っていないお願い 2件）" in page and "期限を過ぎています。" in page
    with app.app_context():
        ids = {r.user_id: r.id for r in db.session.scalars(select(Reminder).where(Reminder.status == "queued"))}
    mark = f"/teach/classes/{cohort_id}/outbox/sent"
    refused = client.post(mark, data={"csrf_token": csrf(page), "scope": "chosen", "reminder": ["999999"],
                                      "show": COURSE})
    assert refused.status_code == 400 and "送信箱にないお願い" in refused.get_data(as_text=True)
    done = client.post(mark, data={"csrf_token": csrf(page), "scope": "chosen", "reminder": [str(ids[people["a"]])],
                                   "show": COURSE}, follow_redirects=True).get_data(as_text=True)
    assert "送信箱の1件を送信済みにしました" in done and "が送信済みにしました" in done
    with app.app_context():
        marked = db.session.get(Reminder, ids[people["a"]])
        assert marked.status == "sent" and marked.marked_sent_by_id == instructor_id and marked.marked_sent_at
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "class.outbox_marked_sent")
                                 ).detail["count"] == 1
    assert client.post(mark, data={"csrf_token": csrf(page), "scope": "all", "show": COURSE}).status_code == 302
    assert len(list(csv.reader(io.StringIO(client.get(f"{url}.csv").data.decode("utf-8-sig"))))) == 1

    # An archived class is read-only: nothing is sent or marked.
    with app.app_context():
        db.session.get(Cohort, cohort_id).archived = True
        db.session.commit()
    before = _reminders(app)
    page = _page(client, cohort_id)
    assert 'name="user"' not in page and "受講のお願いは送れません" in page
    assert client.post(url, data={"csrf_token": csrf(page), "batch": "a" * 22, "to": "listed"}).status_code == 302
    assert _reminders(app) == before


def test_the_department_page_counts_and_access(app, client, auth, login_as, create_user_factory):
    _oid, owner = create_user_factory("instructor", audience=None)
    cohort_id, people = _world(app, create_user_factory, owner)
    archived = make_class(app, owner, name="旧クラス", member_ids=[people["x"]], due_on=dt.date(2026, 5, 1))
    make_class(app, owner, name="前年度", fiscal_year=2025, member_ids=[people["x"]], due_on=dt.date(2025, 5, 1))
    with app.app_context():
        db.session.get(Cohort, archived).archived = True
        # The master: 収納課 linked for a and b (their text follows the master's name).
        dept = Department(code="A01", name="区民部 収納課", name_key="区民部収納課")
        db.session.add(dept)
        db.session.flush()
        for key in "ab":
            user = db.session.get(User, people[key])
            user.department_id, user.department = dept.id, dept.name
        db.session.commit()

    _iid, instructor = login_as("instructor", audience=None)
    assert client.get("/records/unfinished").status_code == 403
    assert client.get("/records/unfinished.xlsx").status_code == 403
    auth.logout()
    login_as("personnel", audience=None)
    page = client.get("/records/unfinished?year=2026").get_data(as_text=True)
    assert "所属別の人数（合計 3人）" in page
    assert re.search(r"区民部 収納課</a></th><td>2人</td><td>2件</td>", page)
    assert re.search(r"福祉部 福祉課</a></th><td>1人</td><td>1件</td>", page)
    assert "他組 五郎" not in page and "令和8年度 窓口" in page       # archived and other years left out
    everyone = client.get("/records/unfinished?year=2026&status=unfinished").get_data(as_text=True)
    assert re.search(r"福祉部 福祉課</a></th><td>2人</td><td>3件</td>", everyone)  # the module, due 2099, too
    assert "他組 五郎" in client.get("/records/unfinished?year=2025").get_data(as_text=True)
    assert client.get("/records/unfinished?year=abc").status_code == 400

    response = client.get(f"/records/unfinished.xlsx?year=2026&department=d{dept_id(app)}")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert "2026年度" in sheet["A1"].value and "区民部 収納課" in sheet["A1"].value
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert [(r[0], r[2], r[4], r[6]) for r in rows] == [("区民部 収納課", "青木 一郎", "令和8年度 窓口", dt.datetime(2026, 6, 30)),
                                                        ("区民部 収納課", "井上 二郎", "令和8年度 窓口", dt.datetime(2026, 6, 30))]


def dept_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Department.id))
