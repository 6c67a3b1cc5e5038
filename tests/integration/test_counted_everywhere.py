"""In-person and e-learning completions counted everywhere (issue 17): the dashboard's split by
kind (a person once), the 研修の形式 column and filter of the exports and the API, and the
person history's kinds and sessions. One hand-made fixture, rows written directly."""
import csv
import datetime as dt
import io
import re

import openpyxl
import pytest

from tests.support.learner import csrf
from training.content import current_content
from training.dates import JST
from training.extensions import db
from training.models import (Cohort, CohortMember, CohortOwner, CourseCompletion, SessionOwner, SessionParticipant,
                             TrainingSession)
from training.records import dashboard as reports


def _at(*parts):
    return dt.datetime(*parts, tzinfo=JST)


@pytest.fixture
def year(app, create_user_factory):
    """Fiscal year 2026: 岡 both ways (e-learning in May, 集合研修 in June), 森 集合研修, 林 blended,
    原 e-learning, 堀 e-learning on 31 March 2027 23:30 JST (2026年度) and 集合研修 on 2 April
    2027 (the next year). Expected 2026: 5 people; by first kind 3 / 1 / 1; completions 3 / 2 / 1."""
    specs = {"岡": [("counter-staff", "elearning", _at(2026, 5, 10, 10)), ("residents", "in_person", _at(2026, 6, 1, 15))],
             "森": [("counter-staff", "in_person", _at(2026, 7, 1, 15))],
             "林": [("counter-staff", "blended", _at(2026, 8, 1, 15))],
             "原": [("counter-staff", "elearning", _at(2026, 9, 1, 10))],
             "堀": [("counter-staff", "elearning", _at(2027, 3, 31, 23, 30)), ("residents", "in_person", _at(2027, 4, 2, 15))]}
    ids = {}
    for number, (name, rows) in enumerate(specs.items(), start=1):
        uid, _ = create_user_factory("trainee", display_name=f"{name} 太郎", employee_no=f"00070{number}",
                                     department="税務課")
        ids[name] = uid
        with app.app_context():
            for course, kind, when in rows:
                db.session.add(CourseCompletion(user_id=uid, course_id=course, content_version="v", completed_at=when,
                                                kind=kind, department_name="税務課", audience="counter_staff"))
            db.session.commit()
    return ids


def test_dashboard_counts_a_person_once_and_splits_by_first_kind(app, client, login_as, year):
    with app.app_context():
        board = reports.build(2026, 350, current_content())
    assert board.trained == 5 and board.completions == 6 and board.mixed == 1
    assert [(k.kind, k.people, k.any_people, k.completions) for k in board.by_kind] == [
        ("elearning", 3, 3, 3), ("in_person", 1, 2, 2), ("blended", 1, 1, 1)]
    assert sum(k.people for k in board.by_kind) == board.trained
    login_as("personnel", audience=None)
    html = client.get("/records/?year=2026").get_data(as_text=True)
    assert "研修の形式別（n＝5人）" in html
    assert re.search(r'data-kind="in_person"><th scope="row">集合研修</th><td class="nowrap">1人</td>'
                     r'<td class="nowrap">2人</td><td class="nowrap">2件</td>', html)
    assert re.search(r'data-kind="total"><th scope="row">合計</th><td class="nowrap">5人</td>', html)
    assert "2つ以上の形式で修了した方：1人" in html
    with app.app_context():  # the next year sees 堀's 集合研修 only
        later = reports.build(2027, 350, current_content())
    assert later.trained == 1 and [k.people for k in later.by_kind] == [0, 1, 0]


def _download(client, **form):
    page = client.get("/records/export").get_data(as_text=True)
    return client.post("/records/export", data={"csrf_token": csrf(page), **form})


def test_export_column_and_kind_filter(client, login_as, runner, tmp_path, year):
    from training.records.export import HEADER

    login_as("personnel", audience=None)
    assert '<select id="kind" name="kind">' in client.get("/records/export").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(_download(client, fiscal_year="2026", format="csv")
                                       .data.decode("utf-8-sig"))))
    assert rows[0][6] == HEADER[6] == "研修の形式"
    assert [(r[1], r[6]) for r in rows[1:]] == [("岡 太郎", "e-ラーニング"), ("岡 太郎", "集合研修"),
                                               ("森 太郎", "集合研修"), ("林 太郎", "集合研修＋e-ラーニング"),
                                               ("原 太郎", "e-ラーニング"), ("堀 太郎", "e-ラーニング")]
    cp932 = _download(client, fiscal_year="2026", format="csv_cp932", kind="in_person").data.decode("cp932")
    assert [line.split(",")[1] for line in cp932.splitlines()[1:]] == ["岡 太郎", "森 太郎"]
    book = openpyxl.load_workbook(io.BytesIO(_download(client, fiscal_year="2026", format="xlsx", kind="blended").data))
    sheet = book.active
    assert sheet.max_row == 2 and sheet["G1"].value == "研修の形式" and sheet["G2"].value == "集合研修＋e-ラーニング"
    assert "研修の形式：集合研修＋e-ラーニング" in sheet.oddHeader.center.text
    bad = _download(client, fiscal_year="2026", format="csv", kind="video")
    assert bad.status_code == 400 and "研修の形式の指定が正しくありません" in bad.get_data(as_text=True)
    out = tmp_path / "in-person.csv"
    result = runner.invoke(args=["export", "completions", "--fiscal-year", "2026", "--kind", "in_person",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert [r[6] for r in csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig")))][1:] == ["集合研修"] * 2
    refused = runner.invoke(args=["export", "completions", "--kind", "video", "--output", str(tmp_path / "x.csv")])
    assert refused.exit_code == 1 and "研修の形式の指定が正しくありません" in refused.output


def test_api_kind_field_and_filter(app, client, login_as, year):
    login_as("personnel", audience=None)
    page = client.get("/records/tokens").get_data(as_text=True)
    html = client.post("/records/tokens", data={"csrf_token": csrf(page), "name": "人事給与システム"}).get_data(as_text=True)
    auth = {"Authorization": "Bearer " + re.search(r'<p class="mono token">([^<]+)</p>', html).group(1)}
    api = app.test_client()
    every = api.get("/api/v1/completions?fiscal_year=2026", headers=auth).get_json()
    assert every["total"] == 6 and every["data"][0]["kind"] == "e-ラーニング"
    in_person = api.get("/api/v1/completions?fiscal_year=2026&kind=in_person", headers=auth).get_json()
    assert in_person["total"] == 2 and {r["kind"] for r in in_person["data"]} == {"集合研修"}
    bad = api.get("/api/v1/completions?kind=zoom", headers=auth)
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_request"
    assert "研修の形式の指定が正しくありません" in bad.get_json()["message"]
    help_page = client.get("/records/api-help").get_data(as_text=True)
    assert "研修の形式：e-ラーニング・集合研修" in help_page and "<code>in_person</code>：集合研修" in help_page


def test_person_history_lists_kinds_and_sessions(app, client, auth, create_user_factory, year):
    teacher, teacher_login = create_user_factory("instructor", audience=None)
    other, _ = create_user_factory("instructor", audience=None)
    oka = year["岡"]
    with app.app_context():
        cohort = Cohort(name="税務課 2026", audience="counter_staff", fiscal_year=2026)
        db.session.add(cohort)
        db.session.flush()
        db.session.add_all([CohortOwner(cohort_id=cohort.id, user_id=teacher),
                            CohortMember(cohort_id=cohort.id, user_id=oka)])
        for title, day, owner, status in [("窓口の声かけ研修", dt.date(2026, 6, 1), teacher, "attended"),
                                          ("つなぐ練習の回", dt.date(2026, 10, 5), teacher, "absent"),
                                          ("区民向け講座", dt.date(2026, 11, 2), other, "left_early")]:
            session = TrainingSession(title=title, course_id="counter-staff", held_on=day, starts_at=dt.time(14),
                                      ends_at=dt.time(16), venue="区役所 会議室", lecturer="講師", mode="in_person")
            db.session.add(session)
            db.session.flush()
            db.session.add_all([SessionOwner(session_id=session.id, user_id=owner),
                                SessionParticipant(session_id=session.id, user_id=oka, via="class", status=status)])
        db.session.commit()
    _, personnel = create_user_factory("personnel", audience=None)
    auth.login(personnel)
    html = client.get(f"/records/people/{oka}").get_data(as_text=True)
    assert "（e-ラーニング）：" in html and "（集合研修）：" in html
    table = html[html.index('id="person-sessions"'):]
    assert table.index("区民向け講座") < table.index("つなぐ練習の回") < table.index("窓口の声かけ研修")  # newest first
    assert "2026年6月1日" in table and "出席" in table and "欠席" in table and "早退（修了扱いにしていません）" in table
    auth.logout()
    auth.login(teacher_login)
    mine = client.get(f"/teach/people/{oka}").get_data(as_text=True)
    assert "窓口の声かけ研修" in mine and "つなぐ練習の回" in mine and "区民向け講座" not in mine  # not theirs
    assert "（集合研修）：" in mine and "担当している集合研修だけを表示しています" in mine
    assert "担当している集合研修だけ" not in html
