"""The job page's progress line: items done of total, percent, time left (database-free)."""
import datetime as dt

from training.jobs.routes import progress_of
from training.models import Job

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone.utc)


def _job(**fields) -> Job:
    return Job(kind="certificate_zip", owner_id=1, title="t", params={}, **fields)


def test_running_job_shows_done_of_total_percent_and_time_left():
    job = _job(status="running", done_items=100, total_items=350, started_at=NOW - dt.timedelta(seconds=40))
    state = progress_of(job, NOW)
    # 0.4 s an item so far, 250 to go: about 100 s, said in minutes.
    assert state["text"] == "100 / 350 件（28%）・残り約2分" and state["percent"] == 28 and not state["finished"]
    soon = progress_of(_job(status="running", done_items=340, total_items=350,
                            started_at=NOW - dt.timedelta(seconds=34)), NOW)
    assert soon["left"] == "残り約5秒"


def test_other_states_say_what_happens():
    assert progress_of(_job(status="queued", done_items=0, queued_at=NOW), NOW)["text"] == "順番待ちです。前の処理が終わると始まります。"
    # Waiting long: perhaps no worker runs; the person is told whom to ask.
    waiting = progress_of(_job(status="queued", done_items=0, queued_at=NOW - dt.timedelta(minutes=6)), NOW)
    assert "ワーカー" in waiting["text"] and "システム管理者" in waiting["text"]
    assert progress_of(_job(status="running", done_items=0, started_at=NOW), NOW)["text"] == "準備しています。"
    done = progress_of(_job(status="done", done_items=3, total_items=3), NOW)
    assert done["text"] == "完了しました（3件）。" and done["percent"] == 100 and done["finished"]
    assert progress_of(_job(status="cancelled", done_items=1, total_items=3), NOW)["finished"]
