"""Reminders from the per-department 未修了者 page (issue 16): chosen rows or all listed, one
batch per class and target, the 24-hour confirmation, and the clerk's outbox."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

from sqlalchemy import func, select

from tests.integration.test_unfinished import COURSE, _world
from tests.support.classes import make_class
from tests.support.learner import csrf
from training.extensions import db
from training.models import AuditEntry, Reminder

URL = "/records/unfinished"


def _setup(app, create_user_factory):
    """The class world of test_unfinished (a, b, d overdue; c complete) plus a second FY2026
    class (the audience's course, overdue) with a again and x, and a FY2025 class."""
    app.config["MAIL_SERVER"] = ""
    _oid, owner = create_user_factory("instructor", audience=None)
    first, people = _world(app, create_user_factory, owner)
    second = make_class(app, owner, name="令和8年度 追加", member_ids=[people["a"], people["x"]],
                        due_on=dt.date(2026, 5, 1))
    old = make_class(app, owner, name="前年度", fiscal_year=2025, member_ids=[people["x"]], due_on=dt.date(2025, 5, 1))
    return first, second, old, people, owner


def _form(page, **fields):
    batch = re.search(r'name="batch" value="([^"]+)"', page).group(1)
    return {"csrf_token": csrf(page), "batch": batch, "year": "2026", "status": "overdue", **fields}


def _sent(app):
    with app.app_context():
        return sorted((r.cohort_id, r.user_id, r.status) for r in db.session.scalars(select(Reminder)))


def test_chosen_rows_refused_ids_and_all_listed_once_per_class(app, client, login_as, create_user_factory):
    first, second, old, people, _owner = _setup(app, create_user_factory)
    clerk_id, _clerk = login_as("personnel", audience=None)
    page = client.get(f"{URL}?year=2026").get_data(as_text=True)
    assert "一覧の全員（5件）に送る" in page and f'value="{first}:{COURSE}:{people["a"]}"' in page
    assert f'value="{second}:{COURSE}:{people["a"]}"' in page and "文面の例" in page

    a1 = f"{first}:{COURSE}:{people['a']}"
    for bad, message in ((["abc"], "指定が正しくありません"), ([f"{first}:{COURSE}:x"], "指定が正しくありません"),
                         ([a1, f"{first}:{COURSE}:{people['x']}"], "この年度の一覧にない方"),   # not a member
                         ([f"{old}:{COURSE}:{people['x']}"], "この年度の一覧にない方"),         # another year
                         ([f"{first}:nope:{people['a']}"], "この年度の一覧にない方"),           # not a target
                         ([], "送る方を一覧で選んでください")):
        refused = client.post(URL, data=_form(page, to="chosen", row=bad))
        assert refused.status_code == 400 and message in refused.get_data(as_text=True), bad
        assert "何も送っていません" in refused.get_data(as_text=True)
    long_note = client.post(URL, data=_form(page, to="listed", note="あ" * 2001))
    assert long_note.status_code == 400 and "お知らせは2000文字以内" in long_note.get_data(as_text=True)
    assert _sent(app) == []

    # a in the first class, and c who has completed: only a is reminded, the note on top.
    done = client.post(URL, data=_form(page, to="chosen", note="人事課からのお知らせです。",
                                       row=[a1, f"{first}:{COURSE}:{people['c']}"]),
                       follow_redirects=True).get_data(as_text=True)
    assert "送信待ち（送信箱） 1件" in done and "1人は修了しているため送っていません" in done
    assert _sent(app) == [(first, people["a"], "queued")]
    with app.app_context():
        reminder = db.session.scalar(select(Reminder))
        assert reminder.sent_by_id == clerk_id and reminder.target_key == COURSE
        assert reminder.body.startswith("人事課からのお知らせです。\n\n令和8年度 窓口 の受講者の皆さま")
        assert "受講のお願い" in reminder.subject and "2026年6月30日" in reminder.body

    # All listed on the 2025 page: x once; the same form again records nothing more.
    page = client.get(f"{URL}?year=2025").get_data(as_text=True)
    form = _form(page, to="listed", year="2025")
    client.post(URL, data=form)
    again = client.post(URL, data=form, follow_redirects=True).get_data(as_text=True)
    assert "すでに記録されていた1件のお願いは送っていません" in again
    assert _sent(app) == sorted([(first, people["a"], "queued"), (old, people["x"], "queued")])
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "records.reminders")
                                     .order_by(AuditEntry.id)).all()
        assert [e.detail["queued"] for e in entries] == [1, 1, 0] and entries[0].detail["groups"][0]["cohort"] == first
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "class.reminders")) == 0


def test_the_24_hour_confirmation_across_classes(app, client, login_as, create_user_factory):
    first, second, _old, people, owner = _setup(app, create_user_factory)
    login_as("personnel", audience=None)
    page = client.get(f"{URL}?year=2026").get_data(as_text=True)
    client.post(URL, data=_form(page, to="chosen", row=[f"{first}:{COURSE}:{people['a']}"]))

    # All listed (5 rows): only a in the first class was reminded; a in the second is another reminder.
    form = _form(client.get(f"{URL}?year=2026").get_data(as_text=True), to="listed")
    asked = client.post(URL, data=form).get_data(as_text=True)
    assert "同じお願いを24時間以内に送った方がいます" in asked and "選んだ5件のうち1件" in asked
    assert "24時間以内に送った人を除いて送る（4件）" in asked and asked.count("<th scope=\"row\">青木 一郎</th>") == 1
    assert len(_sent(app)) == 1
    confirm = _form(asked) | {"to": "chosen", "confirm": "skip_recent",
                              "row": re.findall(r'name="row" value="([^"]+)"', asked)}
    assert confirm["batch"] == form["batch"] and len(confirm["row"]) == 5
    for _click in range(2):                                            # a double click records once
        done = client.post(URL, data=confirm, follow_redirects=True).get_data(as_text=True)
    assert "すでに記録されていた4件のお願いは送っていません" in done
    assert _sent(app) == sorted([(first, people["a"], "queued"), (first, people["b"], "queued"),
                                 (first, people["d"], "no_email"), (second, people["a"], "queued"),
                                 (second, people["x"], "queued")])

    # Again for all: a, b (first) and a, x (second) ask; "send to these too" sends each once more.
    form = _form(client.get(f"{URL}?year=2026").get_data(as_text=True), to="listed")
    asked = client.post(URL, data=form).get_data(as_text=True)
    assert "選んだ5件のうち4件" in asked and "送らずに戻る" in asked
    confirm = _form(asked) | {"to": "chosen", "confirm": "all", "row": re.findall(r'name="row" value="([^"]+)"', asked)}
    client.post(URL, data=confirm)
    client.post(URL, data=confirm)
    with app.app_context():
        counts = dict(db.session.execute(select(Reminder.cohort_id, func.count()).group_by(Reminder.cohort_id)).all())
    assert counts == {first: 6, second: 4}                             # a, b, d twice; a, x twice
    assert client.post(URL, data=confirm | {"confirm": "bogus"}).status_code == 400


def test_the_clerks_outbox_csv_marked_sent_and_scope(app, client, auth, login_as, create_user_factory):
    first, second, _old, people, owner = _setup(app, create_user_factory)
    login_as("instructor", audience=None)
    for method, path in (("get", URL), ("post", URL), ("get", f"{URL}/outbox.csv"), ("post", f"{URL}/outbox/sent")):
        assert getattr(client, method)(path).status_code in (400, 403)  # 400: no CSRF token on a POST
    page = client.get(f"/teach/classes/{first}/reminders").get_data(as_text=True)
    assert client.post(URL, data={"csrf_token": csrf(page), "to": "listed"}).status_code == 403
    auth.logout()
    login_as("trainee")
    assert client.get(f"{URL}/outbox.csv").status_code == 403
    auth.logout()

    b_id, b_login = create_user_factory("personnel", audience=None)
    auth.login(b_login)
    page = client.get(f"{URL}?year=2026").get_data(as_text=True)
    client.post(URL, data=_form(page, to="chosen", row=[f"{second}:{COURSE}:{people['x']}"]))
    auth.logout()
    a_id, _a = login_as("personnel", audience=None)
    page = client.get(f"{URL}?year=2026").get_data(as_text=True)
    assert "送信箱（あなたが記録した送信待ち 0件）" in page
    client.post(URL, data=_form(page, to="chosen", note="=人事課より", row=[f"{first}:{COURSE}:{people['a']}",
                                                                           f"{first}:{COURSE}:{people['b']}"]))
    rows = list(csv.reader(io.StringIO(client.get(f"{URL}/outbox.csv?year=2026").data.decode("utf-8-sig"))))
    assert rows[0] == ["氏名", "メールアドレス", "件名", "本文", "クラス", "対象", "記録日時"]
    assert [(r[0], r[1], r[4]) for r in rows[1:]] == [("青木 一郎", "a@example.jp", "令和8年度 窓口"),
                                                     ("井上 二郎", "b@example.jp", "令和8年度 窓口")]
    assert rows[1][3].startswith("'=人事課より") and "受講のお願い" in rows[1][2] and rows[1][5]  # 他組 is B's

    page = client.get(f"{URL}?year=2026").get_data(as_text=True)
    assert "送信箱（あなたが記録した送信待ち 2件）" in page and "他組 五郎さんへのお願い" not in page
    with app.app_context():
        ids = {r.user_id: r.id for r in db.session.scalars(select(Reminder))}
    mark = f"{URL}/outbox/sent"
    base = {"csrf_token": csrf(page), "year": "2026", "status": "overdue"}
    refused = client.post(mark, data=base | {"scope": "chosen", "reminder": [str(ids[people["x"]])]})  # B's row
    assert refused.status_code == 400 and "あなたの送信箱にないお願い" in refused.get_data(as_text=True)
    done = client.post(mark, data=base | {"scope": "chosen", "reminder": [str(ids[people["a"]])]},
                       follow_redirects=True).get_data(as_text=True)
    assert "送信箱の1件を送信済みにしました" in done
    assert client.post(mark, data=base | {"scope": "all"}).status_code == 302
    with app.app_context():
        marked = {r.user_id: (r.status, r.marked_sent_by_id) for r in db.session.scalars(select(Reminder))}
        assert marked == {people["a"]: ("sent", a_id), people["b"]: ("sent", a_id), people["x"]: ("queued", None)}
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "class.outbox_marked_sent")
                                     .order_by(AuditEntry.id)).all()
        assert [(e.target_id, e.detail["count"], e.detail["via"]) for e in entries] == [
            (str(first), 1, "records.unfinished"), (str(first), 1, "records.unfinished")]
    auth.logout()

    # An admin sees every queued reminder of the year; the class's instructor sees the clerk's in its history.
    login_as("admin", audience=None)
    page = client.get(f"{URL}?year=2026").get_data(as_text=True)
    assert "送信箱（この年度のクラスの送信待ち 1件）" in page and "他組 五郎さんへのお願い" in page
    auth.logout()
    auth.login(owner)
    history = client.get(f"/teach/classes/{first}/reminders").get_data(as_text=True)
    assert history.count("が送信済みにしました") == 2
