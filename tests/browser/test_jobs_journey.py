"""An instructor has a large class's certificate ZIP made in the background (issue 18): the
button starts a job, the job page's bar moves without a reload (/static/jobs.js), the page
shows the download when the worker is done, and the file is a ZIP of every certificate.
axe-core checks the job page while it waits and when it is done."""
import io
import re
import threading
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select

from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import BLOCKING, describe, run_axe
from tests.support.jobs import certified_class
from training.auth.accounts import NewUser, create_user
from training.extensions import db
from training.jobs import runner
from training.models import Certificate, Cohort, CohortMember, CohortOwner, CourseCompletion, Job

pytestmark = pytest.mark.browser


def _axe(browser, live_server, url):
    """axe-core in a second context (it is injected, so that one bypasses the CSP; the
    journey's own page keeps the CSP, proving the progress script runs under it)."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        checker = context.new_page()
        sign_in(checker, live_server, "jobs-instructor", "jobs-journey-pass-7")
        checker.goto(url)
        blocking = [v for v in run_axe(checker)["violations"] if v["impact"] in BLOCKING]
        assert not blocking, describe(blocking)
    finally:
        context.close()


def test_instructor_has_a_large_class_zip_made_in_the_background(page, browser, live_server, screenshot, tmp_path):
    app = live_server.app
    saved = {k: app.config.get(k) for k in ("CERTIFICATE_ZIP_DIRECT_MAX", "JOB_ITEM_DELAY_SECONDS", "JOB_DIR")}
    app.config.update(CERTIFICATE_ZIP_DIRECT_MAX=2, JOB_ITEM_DELAY_SECONDS=0.3, JOB_DIR=str(tmp_path))
    with app.app_context():
        create_user(NewUser(login_id="jobs-instructor", display_name="研修 担当（ZIP）", password="jobs-journey-pass-7",
                            roles=("instructor",)))
        db.session.commit()
    cohort_id = certified_class(app, "jobs-instructor", 3, name="ZIP 作成の研修")
    worker = None
    try:
        problems = []
        page.on("console", lambda message: problems.append(message.text)
                if message.type == "error" and "favicon" not in (message.location or {}).get("url", "") else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        sign_in(page, live_server, "jobs-instructor", "jobs-journey-pass-7")
        page.goto(f"{live_server}/teach/classes/{cohort_id}")
        page.get_by_role("button", name="修了証をまとめて作成（ZIP・3件）").click()
        expect(page.get_by_role("heading", name="修了証のZIP（ZIP 作成の研修）")).to_be_visible()
        job_id = int(re.search(r"/jobs/(\d+)$", page.url).group(1))
        expect(page.get_by_role("status").filter(has_text="順番待ちです")).to_be_visible()
        _axe(browser, live_server, page.url)

        def work():  # the worker's own function; the queue is Huey's SQLite file in tmp_path
            with app.app_context():
                runner.execute(app, job_id)

        worker = threading.Thread(target=work)
        worker.start()
        # The script updates the bar and the line without a reload…
        expect(page.locator("[data-job-text]")).to_contain_text(re.compile(r"\d / 3 件（\d+%）"), timeout=20000)
        screenshot(page, "instructor-job-progress")
        # …and reloads once the job is done: the download is offered.
        download_link = page.get_by_role("link", name=re.compile("^ダウンロード"))
        expect(download_link).to_be_visible(timeout=30000)
        expect(page.get_by_text("完了しました（3件）。")).to_be_visible()
        assert problems == [], problems  # no script refused by the CSP, no failed request
        _axe(browser, live_server, page.url)
        screenshot(page, "instructor-job-done")
        with page.expect_download() as info:
            download_link.click()
        archive = zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes()))
        assert len(archive.namelist()) == 3 and all(archive.read(n).startswith(b"%PDF") for n in archive.namelist())
        page.goto(f"{live_server}/jobs/")
        expect(page.get_by_role("link", name="修了証のZIP（ZIP 作成の研修）")).to_be_visible()
    finally:
        if worker is not None:
            worker.join(30)
        app.config.update(saved)
        with app.app_context():  # leave the shared demo database as the other journeys expect it
            members = db.session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)).all()
            db.session.execute(delete(Job).where(Job.params["cohort_id"].as_integer() == cohort_id))
            db.session.execute(delete(Certificate).where(Certificate.user_id.in_(members)))
            db.session.execute(delete(CourseCompletion).where(CourseCompletion.user_id.in_(members)))
            db.session.execute(delete(CohortMember).where(CohortMember.cohort_id == cohort_id))
            db.session.execute(delete(CohortOwner).where(CohortOwner.cohort_id == cohort_id))
            db.session.execute(delete(Cohort).where(Cohort.id == cohort_id))
            db.session.commit()
