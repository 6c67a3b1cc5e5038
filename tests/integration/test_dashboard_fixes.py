"""Dashboard and API fixes (issue 17): the monthly chart's scale and n, paired survey change,
JST file names, empty selections, the CP932 warning naming the person, the in-app API help and
``updated_since``. Completions are plain rows (no simulated learning): only what is counted."""
import datetime as dt
import re
from pathlib import Path

from sqlalchemy import select

from tests.support.learner import csrf
from training.certificates import issue as certificates
from training.content import load_checked
from training.dates import JST
from training.extensions import db
from training.models import ApiToken, AuditEntry, CourseCompletion, SurveyResponse, User
from training.records import api
from training.records import dashboard as reports
from training.site_settings import load as load_settings

CONTENT = load_checked(Path(__file__).resolve().parents[2])
UTC = dt.timezone.utc


def _done(app, user_id, when, course_id="counter-staff", *, updated=None, cycle=1):
    with app.app_context():
        row = CourseCompletion(user_id=user_id, course_id=course_id, content_version="v", completed_at=when,
                               department_name="税務課", audience="counter_staff", score=90, cycle=cycle)
        db.session.add(row)
        db.session.commit()
        if updated is not None:
            row.updated_at = updated
            db.session.commit()
            assert row.updated_at == updated
        return row.id


def _people(create_user_factory, n, **fields):
    return [create_user_factory("trainee", employee_no=f"0009{i:02d}", **fields)[0] for i in range(n)]


def _bar(html: str, month: int) -> float:
    match = re.search(rf'<rect class="chart__bar"[^>]* height="([\d.]+)"[^>]* data-month="{month}" '
                      rf'data-count="(\d+)"', html)
    assert match, f"no bar for {month}月"
    return float(match.group(1)), int(match.group(2))


def test_monthly_chart_shows_a_few_people_and_every_figure_its_n(app, client, login_as, create_user_factory):
    may, _, june = _people(create_user_factory, 3)
    for uid in (may, _):
        _done(app, uid, dt.datetime(2026, 5, 10, 10, tzinfo=JST))
    _done(app, june, dt.datetime(2026, 6, 1, 10, tzinfo=JST))
    login_as("personnel", audience=None)
    html = client.get("/records/?year=2026").get_data(as_text=True)
    chart = reports.chart(reports.Dashboard(2026, 350, 3, 3, [], [], [(m, 0, 0) for m in reports.MONTHS], [], []))
    plot = chart["bottom"] - chart["top"]
    height, count = _bar(html, 5)
    # Scaled to the busiest month (at least 4 people high), not to the target of 350.
    assert count == 2 and height == plot / 2
    assert _bar(html, 6) == (plot / 4, 1) and _bar(html, 7) == (0, 0)
    assert "月別の養成人数（n＝3人）" in html and "受講区分別（n＝3人）" in html and "・n＝3人）" in html
    assert "累計と目標（累計 3人 ／ 目標 350人）" in html and "目標 350人</text>" in html
    assert "累計 3人</text>" in html


def test_survey_change_compares_the_same_people_only(app, client, login_as, create_user_factory):
    survey = CONTENT.survey.for_audience("counter_staff")
    item = survey.efficacy[0].id
    paired, post_only, other_cycle = _people(create_user_factory, 3)
    rows = [(paired, "pre", 1, 2, dt.datetime(2026, 5, 1, tzinfo=JST)),
            (paired, "post", 1, 4, dt.datetime(2026, 5, 2, tzinfo=JST)),
            (post_only, "post", 1, 5, dt.datetime(2026, 5, 2, tzinfo=JST)),
            # The pre-survey of the first time and the post-survey of a refresher are not a pair.
            (other_cycle, "pre", 1, 1, dt.datetime(2025, 5, 1, tzinfo=JST)),
            (other_cycle, "post", 2, 5, dt.datetime(2026, 6, 1, tzinfo=JST))]
    with app.app_context():
        db.session.add_all([SurveyResponse(user_id=uid, course_id="counter-staff", phase=phase, cycle=cycle,
                                           answers={"efficacy": {item: value}}, content_version="v",
                                           submitted_at=when) for uid, phase, cycle, value, when in rows])
        db.session.commit()
        board = reports.build(2026, 350, CONTENT)
        (group,) = board.surveys
        change = next(c for c in group.items if c.item.id == item)
        assert (group.people, change.n, change.pre, change.post, change.change) == (1, 1, 2.0, 4.0, 2.0)
    login_as("personnel", audience=None)
    html = client.get("/records/?year=2026").get_data(as_text=True)
    assert "同じ方の受講前と受講後の回答を比べています" in html
    assert "同じ方の受講前と受講後 n＝1人" in html


def _export(client, **fields):
    page = client.get("/records/export").get_data(as_text=True)
    return client.post("/records/export", data={"csrf_token": csrf(page), "department_as": "completion", **fields})


def test_export_names_files_in_jst_and_says_when_nothing_matches(app, client, login_as, create_user_factory,
                                                                 runner, tmp_path):
    (uid,) = _people(create_user_factory, 1)
    _done(app, uid, dt.datetime(2026, 11, 2, 10, tzinfo=JST))
    login_as("personnel", audience=None)
    # 15:05 UTC on 1 December is 00:05 on 2 December in Japan.
    app.config["FROZEN_NOW"] = dt.datetime(2026, 12, 1, 15, 5, tzinfo=UTC)
    response = _export(client, fiscal_year="2026", format="csv")
    assert response.get_data(as_text=True).count("\r\n") == 2  # read it whole: the CSV streams
    assert response.headers["Content-Disposition"] == 'attachment; filename="completions-20261202-0005.csv"'
    xlsx = _export(client, fiscal_year="2026", format="xlsx")
    assert 'filename="completions-20261202-0005.xlsx"' in xlsx.headers["Content-Disposition"]

    empty = _export(client, fiscal_year="2030", format="csv")
    html = empty.get_data(as_text=True)
    assert empty.status_code == 200 and "Content-Disposition" not in empty.headers
    assert "選んだ条件に合う修了記録はありません。ファイルは作っていません。" in html
    assert 'value="2030"' in html  # the form keeps what was chosen
    with app.app_context():
        exports = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "records.export")).all()
        assert [e.detail["rows"] for e in exports] == [1, 1]  # the empty selection made no export

    target = tmp_path / "none.csv"
    result = runner.invoke(args=["export", "completions", "--fiscal-year", "2030", "--output", str(target)])
    assert result.exit_code == 1 and "条件に合う修了記録はありません" in result.output and not target.exists()


def test_cp932_warning_names_the_person(app, client, login_as, create_user_factory, runner, tmp_path):
    uid, _ = create_user_factory("trainee", display_name="𠮷田 花子", employee_no="000777")
    _done(app, uid, dt.datetime(2026, 7, 1, 10, tzinfo=JST))
    login_as("personnel", audience=None)
    html = _export(client, fiscal_year="2026", format="csv_cp932").get_data(as_text=True)
    assert "<td>𠮷田 花子</td><td>000777</td><td>2行目</td><td>氏名</td><td>𠮷</td>" in html
    result = runner.invoke(args=["export", "completions", "--fiscal-year", "2026", "--encoding", "cp932",
                                 "--output", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and "2行目 𠮷田 花子（職員番号 000777） 氏名: 「𠮷」" in result.output


def test_api_help_is_a_page_for_personnel(app, client, login_as, auth, create_user_factory):
    for role in ("trainee", "instructor"):
        login_as(role)
        assert client.get("/records/api-help").status_code == 403
        auth.logout()
    login_as("personnel", audience=None)
    html = client.get("/records/api-help").get_data(as_text=True)
    assert "最大1000件" in html and "updated_since" in html and "curl" in html and "next_page" in html
    assert 'href="/records/api-help"' in client.get("/records/tokens").get_data(as_text=True)


def test_updated_since_selects_changed_records(app, create_user_factory):
    old, before, at_nine, revoked = _people(create_user_factory, 4)
    _done(app, old, dt.datetime(2026, 5, 1, tzinfo=JST), updated=dt.datetime(2026, 11, 30, 1, tzinfo=UTC))
    _done(app, before, dt.datetime(2026, 5, 2, tzinfo=JST), updated=dt.datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    _done(app, at_nine, dt.datetime(2026, 5, 3, tzinfo=JST), updated=dt.datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    late = _done(app, revoked, dt.datetime(2026, 5, 4, tzinfo=JST), updated=dt.datetime(2026, 4, 1, tzinfo=UTC))
    with app.test_request_context():
        token, digest = api.new_token()
        db.session.add(ApiToken(name="人事給与システム", token_hash=digest, prefix=token[:10]))
        completion = db.session.get(CourseCompletion, late)
        user = db.session.get(User, revoked)
        certificate = certificates.issue(completion, user, CONTENT.course("counter-staff"), load_settings())
        db.session.commit()
        completion.updated_at = dt.datetime(2026, 4, 1, tzinfo=UTC)
        db.session.commit()
        certificates.revoke(certificate, "記録の誤り", user)  # a revocation changes the API row
        db.session.commit()
        assert db.session.get(CourseCompletion, late).updated_at > dt.datetime(2026, 12, 1, tzinfo=UTC)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}

    def numbers(since):
        body = client.get("/api/v1/completions", query_string={"updated_since": since}, headers=auth).get_json()
        return [row["employee_no"] for row in body["data"]]

    nos = {uid: f"0009{i:02d}" for i, uid in enumerate((old, before, at_nine, revoked))}
    # 09:00 in Japan is 00:00 UTC; a time without an offset is Japanese time.
    for since in ("2026-12-01T09:00", "2026-12-01T00:00:00Z", "2026-12-01T09:00:00+09:00",
                  "2026-12-01T09:00:00 09:00"):  # an unencoded "+" arrives as a space
        assert numbers(since) == [nos[at_nine], nos[revoked]], since
    assert numbers("2026-12-01") == [nos[before], nos[at_nine], nos[revoked]]  # 0:00 JST
    body = client.get("/api/v1/completions?updated_since=2026-12-01T09:00", headers=auth).get_json()
    assert body["total"] == 2 and body["data"][0]["updated_at"] == "2026-12-01T09:00:00+09:00"
    assert body["as_of"].endswith("+09:00") and body["data"][1]["status"] == "取消"
    for bad in ("yesterday", "2026-13-01", "1999-12-31T23:00", "0001-01-01T00:00+09:00"):
        response = client.get("/api/v1/completions", query_string={"updated_since": bad}, headers=auth)
        assert response.status_code == 400 and response.get_json()["error"] == "bad_request", bad
        assert "updated_since" in response.get_json()["message"]
    capped = client.get("/api/v1/completions?per_page=1001", headers=auth)
    assert capped.status_code == 400 and "1〜1000" in capped.get_json()["message"]
