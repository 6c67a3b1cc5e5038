"""The progress matrix: statuses, filters, CSV for Excel, and a constant number of queries."""
import csv
import datetime as dt
import io
from pathlib import Path

from sqlalchemy import insert, select

from training.content import load_checked
from training.demo import simulate_learning
from training.extensions import db
from training.models import Cohort, CohortMember, CohortOwner, User, UserRole

CONTENT = load_checked(Path(__file__).resolve().parents[2])
COURSE = CONTENT.course("counter-staff")


def _class_with_members(app, instructor_login, n, due_on=None):
    """n members via bulk insert (fast), the first two with some learning."""
    with app.app_context():
        inst = db.session.scalar(select(User).where(User.login_id == instructor_login))
        cohort = Cohort(name=f"{n}人クラス", audience="counter_staff", fiscal_year=2026, due_on=due_on)
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortOwner(cohort_id=cohort.id, user_id=inst.id))
        now = dt.datetime.now(dt.timezone.utc)
        rows = [{"login_id": f"m{cohort.id}-{i:04d}", "display_name": f"受講者 {i:04d}", "password_hash": "x",
                 "audience": "counter_staff", "employee_no": f"0{cohort.id:03d}{i:05d}", "active": True,
                 "must_change_password": False, "session_token": f"t{i}", "created_at": now,
                 "department": "=HYPERLINK(\"x\")" if i == 0 else "税務課"} for i in range(n)]
        ids = db.session.scalars(insert(User).returning(User.id), rows).all()
        db.session.execute(insert(UserRole), [{"user_id": i, "role": "trainee"} for i in ids])
        db.session.execute(insert(CohortMember), [{"cohort_id": cohort.id, "user_id": i, "via": "csv",
                                                   "joined_at": now} for i in ids])
        db.session.commit()
        with app.test_request_context():
            first, second = db.session.get(User, ids[0]), db.session.get(User, ids[1])
            simulate_learning(first, COURSE, CONTENT)
            simulate_learning(second, COURSE, CONTENT, modules=2, scenarios=False, post=False)
            db.session.commit()
        return cohort.id


def test_matrix_statuses_filters_and_csv(app, client, login_as):
    _iid, instructor = login_as("instructor", audience=None)
    cohort_id = _class_with_members(app, instructor, 4, due_on=dt.date(2020, 1, 1))
    html = client.get(f"/teach/classes/{cohort_id}/progress").get_data(as_text=True)
    assert "修了 1人" in html and "期限超過 3人" in html
    overdue = client.get(f"/teach/classes/{cohort_id}/progress?status=overdue").get_data(as_text=True)
    assert "受講者 0000" not in overdue and "受講者 0001" in overdue
    response = client.get(f"/teach/classes/{cohort_id}/progress.csv?sort=progress")
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:6] == ["職員番号", "氏名", "ふりがな", "所属", "状態", "進捗率(%)"]
    assert rows[1][1] == "受講者 0000" and rows[1][4] == "修了" and rows[1][5] == "100"
    assert rows[1][0].startswith("0")  # employee numbers keep their leading zeros (text)
    assert rows[1][3] == "'=HYPERLINK(\"x\")"  # formula neutralised
    assert len(rows) == 5


def test_matrix_query_count_is_constant(app, client, login_as, count_queries):
    _iid, instructor = login_as("instructor", audience=None)
    small = _class_with_members(app, instructor, 10)
    large = _class_with_members(app, instructor, 1000)
    # The ward's contact edits are rechecked every few seconds (contact_edits.effective): on a
    # busy machine building the large class takes longer than that, and the recheck's query
    # would land in one count only. Here they are read once, before counting.
    app.config["CONTACTS_RECHECK_SECONDS"] = 3600
    assert client.get(f"/teach/classes/{small}/progress").status_code == 200
    counts = []
    for cohort_id in (small, large):
        with count_queries() as counter:
            response = client.get(f"/teach/classes/{cohort_id}/progress")
        assert response.status_code == 200
        counts.append(counter["n"])
    assert counts[0] == counts[1], counts
    assert "受講者 0999" in response.get_data(as_text=True)
