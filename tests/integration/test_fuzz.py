"""Hostile input on every route, as every role, on both databases: never a 5xx, nothing written.

Every (method, rule) of the access matrix gets hostile values — integers beyond any column,
``²`` (a digit to ``str.isdigit()`` but not to ``int()``), a NUL byte, 10,000 characters,
repeated keys where one value is expected, unknown ids — in each path segment, in the query
string and in the form fields (with a valid CSRF token, so the request reaches the handler),
plus a JSON body of lists. Ids elsewhere in the URL are real rows the role may reach (its
class, its attempt, a member's certificate), so handlers run past their access checks.
Malformed ids in ``<int:…>`` segments are refused by the router, and a NUL byte or a JSON body
where a form is expected by the first request hook, before anything that depends on the role
runs, so they are sent in one role's run per route (the first role it lets in). The job routes
are fuzzed for a job of each kind's shape: the class ZIP and three jobs that leave no file.

"Nothing written" is a checksum of every table, taken before and after each route's batch.
Left out: the append-only logs whose rows record the attempts themselves (audit entries,
limit counters, sign-in sessions). A form value that is valid text (``²`` as a token name,
say) may legitimately be stored, so the checksum holds for every path and query request and
for form requests carrying NUL or 10,000 characters, which no field accepts.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
import re
import time
import traceback
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from sqlalchemy import select, text, update

from tests.conftest import PASSWORD, AuthActions
from tests.integration.test_access_matrix import MATRIX, PUBLIC, SAMPLE, SIGNED_IN, _routes, _url
from tests.support.classes import make_class
from tests.support.learner import Learner, quiz_form, survey_form
from training.content import load_checked
from training.demo import simulate_learning
from training.extensions import db
from training.jobs.runner import GENERIC_ERROR
from training.models import (ApiToken, Assignment, Base, Certificate, Cohort, Job, QuizAttempt, Reminder, RosterUpload,
                            User, utcnow)

CONTENT = load_checked(Path(__file__).resolve().parents[2])
COURSE = CONTENT.course(SAMPLE["<course_id>"])

HUGE = "99999999999999999999"       # beyond PostgreSQL INTEGER and BIGINT, and SQLite's 64 bits
SUPERSCRIPT = "²"                   # str.isdigit() is true, int() raises
NUL = "a\x00b"
LONG = "長" + "x" * 9_999  # 10,000 characters; mostly ASCII so the sweep is not spent percent-decoding
UNKNOWN = "999999"                  # a well-formed id that names nothing
ARRAY = [HUGE, SUPERSCRIPT]         # a repeated key where the handler expects one value

#: Values for query strings and form fields, by name (names appear in failure messages).
VALUES = {"huge": HUGE, "superscript": SUPERSCRIPT, "nul": NUL, "long": LONG, "unknown": UNKNOWN,
          "array": ARRAY, "negative": "-1"}
#: Values for one path segment, percent-encoded as a browser would send them.
PATH_VALUES = {"huge": HUGE, "superscript": "%C2%B2", "nul": "%00", "long": "x" * 10_000, "unknown": UNKNOWN,
               "arabic-digit": "%D9%A3"}
#: JSON bodies where a form is expected (Flask-WTF reads JSON as form data), from the field names.
JSON_BODIES = {
    "lists": lambda fields: json.dumps({field: ARRAY for field in fields}),
    "numbers": lambda fields: json.dumps({field: [1, 2] for field in fields}),
    "objects": lambda fields: json.dumps({field: {"a": 1} for field in fields}),
    "array": lambda fields: json.dumps(list(fields)),
    "scalar": lambda fields: "42",
}
#: Hostile uploads: (content, file name). Rows may be stored (a roster preview), so only no 5xx.
UPLOADS = {
    "long-name": (b"login_id\r\n", "x" * 10_000 + ".csv"),
    "binary": (bytes(range(256)) * 40, "data.csv"),
    "empty": (b"", "empty.png"),
    "nul-content": (b"\x00" * 100, "nul.csv"),
    "fake-image": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "seal.png"),
}
#: Form values no field of any form accepts: these must change no row, whatever the route.
NEVER_STORED = {"nul", "long"}
#: Values refused by the first request hook whoever asks (a NUL byte): sent in one role's run per route.
ROLE_FREE_VALUES = {"nul"}

#: Every query-string name any view reads (grep request.args / filters_from).
QUERY_NAMES = ("page", "per_page", "q", "year", "action", "code", "course", "sort", "status", "next",
               "fiscal_year", "cohort_id", "date_from", "date_to", "department", "audience", "course_id")
#: Every form field name any view or form reads; fields found on the route's own page are added.
FORM_NAMES = ("display_name", "name_kana", "email", "roles", "audience", "department", "employee_no", "login_id",
              "password", "organisation_name", "issuer_title", "issuer_name", "date_style", "yearly_target",
              "retention_years", "remove_seal", "name", "fiscal_year", "starts_on", "due_on", "join_enabled",
              "code", "current", "new", "confirm", "action", "active", "body", "choice", "course_id", "module_id",
              "group", "node", "reason", "restart", "step", "subject", "token", "version", "fingerprint",
              "distress", "cohort_id", "date_from", "date_to", "format", "replace", "user_id")

#: Tables that record the attempt itself (who tried what, from where), so they grow on purpose.
LOG_TABLES = {"audit_entry", "limit_event", "user_session"}
#: Routes whose POST ignores its body (a button): with a real id they act whatever is sent.
BODY_IGNORED = {"/teach/classes/<int:cohort_id>/assignments/<int:assignment_id>/delete",
                "/teach/classes/<int:cohort_id>/roster/<int:upload_id>/apply",
                "/learn/<course_id>/scenarios/<scenario_id>/start",  # opens a run when none is open
                "/learn/<course_id>/m/<module_id>/s/<section_id>/next",  # marks the section read
                "/records/tokens/<int:token_id>/revoke",
                "/teach/classes/<int:cohort_id>/certificates-job",  # starts the class's ZIP job (issue 18)
                "/teach/classes/<int:cohort_id>/archive"}  # undone after its fuzz (UNDO_AFTER)
#: Routes whose real click is undone after their fuzz, so the routes after them meet the same world.
UNDO_AFTER = {"/teach/classes/<int:cohort_id>/archive": lambda real: _set_archived(real, False)}
#: Routes whose form is hidden fields only: sent with the page's own values it is the real click.
HIDDEN_ONLY = {"/admin/users/<int:user_id>/active",
               "/teach/classes/<int:cohort_id>/members/<int:user_id>/remove",     # confirm=remove
               "/teach/classes/<int:cohort_id>/members/<int:user_id>/password",   # confirm=reset
               "/teach/classes/<int:cohort_id>/owners/<int:user_id>/remove"}      # confirm=remove-owner
JOIN_CODE = "ABCD-EFGH"
NEW_PASSWORD = "a-long-enough-passphrase-42"
QUIZ = CONTENT.quiz(CONTENT.module(SAMPLE["<module_id>"]).quiz)

#: A valid submission for forms whose page starts empty (merged over what the page holds). The
#: per-field sweep sends it with one field replaced: 10,000 characters must change nothing.
VALID_FORMS = {
    "/login": lambda real: {"login_id": "fuzz-nobody", "password": PASSWORD},
    # Signed in, a right code enrols at once (the body is a button); only a newcomer fills a form.
    "/join": lambda real: {} if real["who"] != "anonymous" else {
        "code": JOIN_CODE, "step": "register", "display_name": "参加者", "login_id": "fuzz-joiner", "email": "",
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    "/account/password": lambda real: {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    "/admin/users/new": lambda real: {"login_id": "fuzz-created", "display_name": "新しい利用者", "roles": "trainee",
                                      "audience": "", "password": NEW_PASSWORD},
    "/admin/users/<int:user_id>/password": lambda real: {"password": NEW_PASSWORD},
    "/teach/classes/new": lambda real: {"name": "新しいクラス", "audience": "counter_staff", "fiscal_year": "2026"},
    "/teach/classes/<int:cohort_id>/owners": lambda real: {"login_id": real["owner_login"]},
    "/teach/classes/<int:cohort_id>/assignments": lambda real: {"course_id": COURSE.id, "module_id": "",
                                                                "due_on": "2027-03-31"},
    "/teach/classes/<int:cohort_id>/reminders": lambda real: {"group": "not_started", "subject": "受講のお願い",
                                                              "body": "期限までに受講してください。"},
    "/records/tokens": lambda real: {"name": "人事システム連携"},
    "/records/export": lambda real: {"format": "csv", "fiscal_year": "2026"},
    "/admin/certificates/<int:certificate_id>/revoke": lambda real: {"reason": "誤って発行したため"},
    "/admin/certificates/<int:certificate_id>/reissue": lambda real: {"reason": "氏名の変更"},
    # Answered by text on the page the sitting shows (its values are positions); read in the trainee's set-up.
    "/learn/<course_id>/m/<module_id>/quiz": lambda real: quiz_form(QUIZ, real["quiz_page"]) if "quiz_page" in real else {},
    # The course's own items only: a hostile value in an item the course does not ask is never read.
    "/learn/<course_id>/survey/<phase>": lambda real: survey_form(CONTENT, post=False, audience=COURSE.audience),
}
#: Per-field values: the first must change nothing; the others may be valid text, so only no 5xx.
PER_FIELD = ("long", "huge", "superscript")

#: Never sent by the fuzz as a signed-in role: they end or replace this client's session.
SESSION_ROUTES = {("POST", "/logout"), ("POST", "/login")}

PLACEHOLDER = re.compile(r"<(?:[a-z]+:)?[a-z_]+>")


def _checksum(app) -> dict[str, str]:
    """A digest of every row of every table but the logs, by table.

    On PostgreSQL the database computes it, every table in one round trip (md5 of each row's
    text in primary-key order): the sweep runs twice per route, and fetching every row into
    Python was a sixth of the fuzz's time there. On SQLite the rows are digested here."""
    tables = [table for table in Base.metadata.sorted_tables if table.name not in LOG_TABLES]
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            parts = []
            for table in tables:
                order = ", ".join(f't."{column.name}"' for column in table.primary_key.columns)
                parts.append(f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY {order}), '')) "
                             f'FROM "{table.name}" t)')
            row = db.session.execute(text("SELECT " + ", ".join(parts))).one()
            digests = dict(zip((table.name for table in tables), row))
        else:
            # SQLite has no md5: it joins each table's rows, quoted, in key order, every table in
            # one round trip, and the text is digested here (fetching rows through SQLAlchemy's
            # result processing was most of the fuzz's sweep time on SQLite).
            row = db.session.execute(text("SELECT " + ", ".join(_sqlite_table_text(table) for table in tables))).one()
            digests = {table.name: hashlib.sha256((joined or "").encode()).hexdigest()
                       for table, joined in zip(tables, row)}
        db.session.remove()
    return digests


def _sqlite_table_text(table) -> str:
    """An SQLite expression: every row of ``table`` as quoted values, in primary-key order."""
    values = " || ',' || ".join(f'quote(t."{column.name}")' for column in table.columns)
    order = ", ".join(f't."{column.name}"' for column in table.primary_key.columns)
    return f"""(SELECT group_concat(r, '|') FROM (SELECT {values} AS r FROM "{table.name}" t ORDER BY {order}))"""


def _changed(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before if before[name] != after.get(name))


def _world(app, create_user_factory, who: str) -> dict[str, str]:
    """Rows the role may reach, and the real value for each placeholder of the matrix."""
    member_id, _ = create_user_factory("trainee", audience="counter_staff", email="member@example.jp")
    owner_login = None
    if who in ("instructor", "admin"):
        _actor_id, owner_login = create_user_factory(who, audience=None, login_id=f"fuzz-{who}")
    elif who != "anonymous":
        create_user_factory(who, audience="counter_staff" if who == "trainee" else None, login_id=f"fuzz-{who}")
    if owner_login is None:
        _owner_id, owner_login = create_user_factory("instructor", audience=None, login_id="fuzz-owner")
    # The makers of the no-file jobs: the role's own user where it may make them.
    clerk_login = "fuzz-personnel" if who == "personnel" else create_user_factory(
        "personnel", audience=None, login_id="fuzz-clerk")[1]
    admin_login = "fuzz-admin" if who == "admin" else create_user_factory(
        "admin", audience=None, login_id="fuzz-retention")[1]
    cohort_id = make_class(app, owner_login, name="ファズ用のクラス", member_ids=[member_id])
    with app.test_request_context():
        cohort = db.session.get(Cohort, cohort_id)
        cohort.join_code, cohort.join_enabled = JOIN_CODE, True
        member = db.session.get(User, member_id)
        simulate_learning(member, COURSE, CONTENT)
        owner = db.session.scalar(select(User).where(User.login_id == owner_login))
        assignment = Assignment(cohort_id=cohort_id, course_id=COURSE.id)
        upload = RosterUpload(cohort_id=cohort_id, user_id=owner.id, filename="名簿.csv",
                              data="login_id,display_name\r\n".encode())
        token = ApiToken(name="ファズ", token_hash="f" * 64, prefix="fuzz")
        # A finished class ZIP job (issue 18) whose file is not there: its routes run past the checks.
        job = Job(kind="certificate_zip", owner_id=owner.id, title="修了証のZIP", params={"cohort_id": cohort_id},
                  status="done", file_path="/nonexistent/fuzz.zip", file_name="fuzz.zip",
                  expires_at=utcnow() + dt.timedelta(days=7))
        db.session.add_all([assignment, upload, token, job])
        db.session.flush()
        jobs = {"certificate_zip": job.id, **_no_file_jobs(owner, clerk_login, admin_login, member_id, cohort_id)}
        db.session.commit()
        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == member_id))
        attempt_id = db.session.scalar(select(QuizAttempt.id).where(QuizAttempt.user_id == member_id).limit(1))
        real = {**SAMPLE, "<int:user_id>": str(member_id), "<int:cohort_id>": str(cohort_id),
                "<int:assignment_id>": str(assignment.id), "<int:upload_id>": str(upload.id),
                "<int:token_id>": str(token.id), "<int:certificate_id>": str(certificate.id), "<int:job_id>": str(job.id),
                "<int:attempt_id>": str(attempt_id), "<code>": certificate.verification_code,
                "owner_login": owner_login, "who": who, "jobs": {name: str(job_id) for name, job_id in jobs.items()}}
        real["job_rows"] = {name: _row_values(db.session.get(Job, int(job_id))) for name, job_id in real["jobs"].items()}
    return real


#: The jobs of kinds that leave no file (issue 18), beside the class ZIP: a class's reminders
#: (done: one failed mail, listed under the summary), a department page's reminders
#: (cancelled: one still pending, 「続きを実行する」 offered) and a retention run (failed).
#: Who may open each one's page; the others get 404 (the access matrix's signed-in roles).
JOB_VIEWERS = {"certificate_zip": {"admin", "instructor"}, "class_reminders": {"admin", "instructor"},
               "records_reminders": {"admin", "personnel"}, "retention": {"admin"}}
#: Jobs whose 「続きを実行する」 (retry) a viewer may press: the route's real click, whatever the
#: body says, undone after its fuzz. For everyone else the retry is refused and changes nothing.
RETRYABLE = {"records_reminders", "retention"}
JOB_RULES_RETRY = "/jobs/<int:job_id>/retry"


def _no_file_jobs(owner: User, clerk_login: str, admin_login: str, member_id: int, cohort_id: int) -> dict[str, int]:
    """The three no-file jobs of the fuzz's world, with the reminder rows their pages count."""
    clerk_id = db.session.scalar(select(User.id).where(User.login_id == clerk_login))
    admin_id = db.session.scalar(select(User.id).where(User.login_id == admin_login))
    now = utcnow()
    month_ago = now - dt.timedelta(days=30)  # outside the 24-hour check of the reminder forms
    finished = {"started_at": month_ago, "finished_at": month_ago, "queued_at": month_ago, "created_at": month_ago}
    class_job = Job(kind="reminders", owner_id=owner.id, title="受講のお願いの送信", status="done", total_items=1,
                    done_items=1, attempts=1, **finished,
                    params={"scope": "class", "cohort_id": cohort_id, "target": COURSE.id,
                            "batches": [["fuzz-class-batch", cohort_id, COURSE.id]]}, result={"sent": 0, "failed": 1})
    records_job = Job(kind="reminders", owner_id=clerk_id, title="受講のお願いの送信", status="cancelled",
                      total_items=1, done_items=0, attempts=1, **finished,
                      params={"scope": "records", "year": 2026, "batches": [["fuzz-records-batch", cohort_id, COURSE.id]]},
                      result={"sent": 0, "failed": 0})
    retention_job = Job(kind="retention", owner_id=admin_id, title="保存期間を過ぎた個人情報の削除", status="failed",
                        total_items=0, done_items=0, attempts=1, error=GENERIC_ERROR, **finished,
                        params={"years": 5, "as_of": month_ago.isoformat()}, result={"erased": 0, "due": 0})
    mail = {"cohort_id": cohort_id, "user_id": member_id, "email": "member@example.jp", "channel": "smtp",
            "subject": "受講のお願い", "body": "期限までに受講してください。", "target_key": COURSE.id,
            "created_at": month_ago}
    db.session.add_all([class_job, records_job, retention_job,
                        Reminder(batch_key="fuzz-class-batch", sent_by_id=owner.id, status="failed",
                                 error="550 宛先が見つかりません", **mail),
                        Reminder(batch_key="fuzz-records-batch", sent_by_id=clerk_id, status="pending", **mail)])
    db.session.flush()
    return {"class_reminders": class_job.id, "records_reminders": records_job.id, "retention": retention_job.id}


def _row_values(job: Job) -> dict:
    return {column.key: getattr(job, column.key) for column in Job.__table__.columns}


def _restore_job(real: dict, name: str) -> None:
    """The job row as the world made it (a retry pressed during the fuzz queued it again)."""
    values = real["job_rows"][name]
    db.session.execute(update(Job).where(Job.id == values["id"]).values(**values))
    db.session.commit()


def _set_archived(real: dict, archived: bool) -> None:
    db.session.get(Cohort, int(real["<int:cohort_id>"])).archived = archived
    db.session.commit()


def _fill(rule: str, values: dict[str, str], hostile: tuple[str, str] | None = None) -> str:
    """The rule with every placeholder replaced; ``hostile`` = (placeholder, value) for one of them."""
    def replace(match):
        name = match.group(0)
        if hostile and name == hostile[0]:
            return hostile[1]
        return values[name]

    return PLACEHOLDER.sub(replace, rule)


class _FormValues(HTMLParser):
    """The fields of a page as a browser would submit them: inputs, checked boxes, selected options."""

    def __init__(self):
        super().__init__()
        self.pairs: list[tuple[str | None, str, str]] = []  # (the form's action, name, value)
        self.hidden: set[str] = set()
        self.files: list[tuple[str | None, str]] = []  # (the form's action, name) of file inputs
        self._action: str | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "form":
            self._action = attributes.get("action") or None
        elif tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind == "file":
                self.files.append((self._action, name))
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            if kind == "hidden":
                self.hidden.add(name)
            self.pairs.append((self._action, name, attributes.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            value = attributes.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in attributes and not self._select_chosen:
                self.pairs.append((self._action, self._select, value))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._action = None
        elif tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self.pairs.append((self._action, self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.pairs.append((self._action, self._textarea, self._text))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text += data


def _page_fields(client, url: str, target: str) -> tuple[dict[str, list[str]], set[str], str, list[str]]:
    """(the fields the page's form for ``target`` would submit, the hidden ones, the CSRF token,
    the names of its file inputs).

    Only the form posting to ``target`` counts (a user's page also holds the password and
    deactivation forms); when no form names it, every field of the page is taken."""
    response = client.get(url)
    html = response.get_data(as_text=True) if response.status_code == 200 else ""
    response.close()
    parser = _FormValues()
    parser.feed(html)
    own = [(name, value) for action, name, value in parser.pairs if (action or url) == target]
    values: dict[str, list[str]] = {}
    for name, value in own or [(name, value) for _action, name, value in parser.pairs]:
        values.setdefault(name, []).append(value)
    token = (values.pop("csrf_token", None) or [""])[0]
    files = [name for action, name in parser.files if (action or url) == target]
    return values, parser.hidden - {"csrf_token"}, token, files


def _form_page(rule: str, values: dict[str, str]) -> str:
    """The page a POST's form lives on: the same URL, else its parent (…/choose → the scenario)."""
    if ("GET", rule) in MATRIX:
        return _fill(rule, values)
    return _fill(rule.rsplit("/", 1)[0] or "/", values)


class Fuzzer:
    """Sends the hostile requests of one role and collects what went wrong."""

    def __init__(self, app, client, who: str, real: dict[str, str], csrf_token: str):
        self.app, self.client, self.who, self.real = app, client, who, real
        self.csrf_token = csrf_token
        self.failures: list[str] = []
        self.requests = 0

    def send(self, label: str, method: str, url: str, **kwargs):
        """One request; a 5xx or an exception is a failure."""
        self.requests += 1
        if isinstance(kwargs.get("data"), dict) and "content_type" not in kwargs:
            kwargs["data"], kwargs["content_type"] = _urlencoded(kwargs["data"]), FORM_TYPE
        try:
            response = self.client.open(url, method=method, **kwargs)
            status = response.status_code
            response.close()
        except Exception as exc:  # the test client re-raises the view's exception under TESTING
            frames = traceback.extract_tb(exc.__traceback__)
            where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames)
                          if "/training/" in f.filename), "?")
            self.failures.append(f"{label}: {type(exc).__name__} at {where}: {str(exc)[:160]}")
            with self.app.app_context():
                db.session.remove()
            return
        if status >= 500:
            self.failures.append(f"{label}: HTTP {status}")

    def unchanged(self, label: str, before: dict) -> dict:
        """Record a failure when a table changed since ``before``; returns the new checksum."""
        after = _checksum(self.app)
        changed = _changed(before, after)
        if changed:
            self.failures.append(f"{label}: rows changed in {changed}")
        return after

    def route(self, method: str, rule: str, allowed: bool, before: dict, role_free: bool = True,
              path_variants: bool = True, acts: bool = False) -> dict:
        """Every hostile variant of one route, in two phases: the requests that must change no
        row, then one checksum; then the ones whose values may be valid text. Returns the
        checksum after both (the next route's ``before``): two table sweeps per route.

        ``role_free``: whether this run sends the requests whose answer cannot depend on who
        asks, so they are sent in one role's run per route (``_id_role``), not in all five:
        - malformed ids (all but ``unknown``) in ``<int:…>`` segments: the router's IdConverter
          refuses them before any view, login check or role check runs;
        - a NUL byte anywhere (path, query, form) and a JSON body where a form is expected: the
          first request hook (training/text_input.py) refuses them with 400, before the
          session's user is loaded, CSRF is checked or any other hook or view runs.

        ``path_variants``: whether to send the hostile path segments and unknown ids (False for
        a second real row of the same route: they do not depend on which row the others name).
        ``acts``: the route, with this row and role, is a button that acts whatever the body
        holds (as BODY_IGNORED), so only no 5xx is asked of its form requests."""
        ignored = acts or rule in BODY_IGNORED
        placeholders = PLACEHOLDER.findall(rule)
        path_values = PATH_VALUES if allowed else {k: PATH_VALUES[k] for k in ("huge", "nul")}
        if not role_free:
            path_values = {k: v for k, v in path_values.items() if k != "nul"}
        data = {"csrf_token": self.csrf_token} if method == "POST" else None
        url = _fill(rule, self.real)
        form_page = None
        if allowed and method == "POST":
            # Read before anything else is sent: the page's hidden values (step, node) are the current ones.
            form_page = _page_fields(self.client, _form_page(rule, self.real), url)
            # One field at a time first: valid submissions are not yet held back by the rate
            # limits (/join counts only wrong codes) that the all-hostile requests run into.
            self.one_field_at_a_time(rule, url, form_page, PER_FIELD[:1], ignored)
        for placeholder in placeholders if path_variants else ():
            for name, value in path_values.items():
                if placeholder.startswith("<int:") and not role_free:
                    continue
                self.send(f"{method} {rule} {placeholder}={name}", method,
                          _fill(rule, self.real, (placeholder, value)), data=data)
        if path_variants and any(p.startswith("<int:") for p in placeholders):  # string ids in SAMPLE are real content
            self.send(f"{method} {rule} unknown ids", method, _url(rule, int(UNKNOWN)), data=data)
        if not allowed:
            return self.unchanged(f"{method} {rule} (path)", before)
        if method == "GET":
            for name in VALUES:
                if name in ROLE_FREE_VALUES and not role_free:
                    continue
                self.send(f"GET {rule} ?all={name}", "GET", url, query_string=_ALL_QUERY[name])
            return self.unchanged(f"GET {rule} (path, query)", before)
        page_values, hidden_names, token, files = form_page
        token = token or self.csrf_token
        hidden = {name: page_values[name] for name in hidden_names if name in page_values}
        fields = sorted(set(FORM_NAMES) | set(page_values))
        checked, unchecked = [], []
        for name in VALUES:
            if name in ROLE_FREE_VALUES and not role_free:
                continue
            for keep_hidden in ((False, True) if hidden else (False,)):  # without hidden fields: the same request
                never_stored = name in NEVER_STORED and not ignored
                if keep_hidden and rule in HIDDEN_ONLY:
                    never_stored = False  # with the page's own hidden values this is the real button
                (checked if never_stored else unchecked).append((name, keep_hidden))
        for label, body in JSON_BODIES.items() if role_free else ():
            self.send(f"POST {rule} json {label}", "POST", url, headers={"X-CSRFToken": token},
                      data=body(fields), content_type="application/json")
        for name, keep_hidden in checked:
            self.all_fields(rule, url, fields, name, hidden if keep_hidden else None, token)
        self.unchanged(f"POST {rule} (path, one field long, all fields nul/long, json)", before)
        # Values that may be valid text: no 5xx is all that is asked.
        self.one_field_at_a_time(rule, url, form_page, PER_FIELD[1:], ignored)
        if files:
            self.uploads(rule, url, page_values, files, token)
        for name, keep_hidden in unchecked:
            self.all_fields(rule, url, fields, name, hidden if keep_hidden else None, token)
        return _checksum(self.app)

    def all_fields(self, rule, url, fields, name, hidden, token) -> None:
        """Every field holding the value ``name``; with ``hidden``, the page's hidden fields keep
        their own values (its step, node, token, version), so the handler goes further."""
        form = {field: VALUES[name] for field in fields}
        form.update(hidden or {})
        form["csrf_token"] = token
        self.send(f"POST {rule} form={name}{' +hidden' if hidden else ''}", "POST", url, data=form)

    def uploads(self, rule, url, page_values, files, token) -> None:
        """The page's own form with hostile files: a 10,000-character name, bytes that are no
        text or image, an empty file, a file where text was expected."""
        base = self.valid_form(rule, page_values)
        for label, (content, filename) in UPLOADS.items():
            for field in files:
                form = {**base, "csrf_token": token, field: (io.BytesIO(content), filename)}
                self.send(f"POST {rule} {field}={label}", "POST", url, data=form, content_type="multipart/form-data")

    def valid_form(self, rule, page_values) -> dict[str, list[str]]:
        """What the page would submit, completed by VALID_FORMS for forms that start empty."""
        base = {name: list(values) for name, values in page_values.items()}
        extra = VALID_FORMS.get(rule)
        if extra:
            base.update({k: v if isinstance(v, list) else [v] for k, v in extra(self.real).items()})
        return base

    def one_field_at_a_time(self, rule, url, form_page, value_names, ignored) -> None:
        """A valid submission with one visible field hostile: the handler's own checks must catch it."""
        page_values, hidden_names, token, _files = form_page
        base = self.valid_form(rule, page_values)
        visible = sorted(name for name in base if name not in hidden_names)
        if ignored:
            return
        for name in value_names:
            for field in visible:
                form = {**base, field: VALUES[name], "csrf_token": token or self.csrf_token}
                self.send(f"POST {rule} {field}={name} (rest valid)", "POST", url, data=form)


FORM_TYPE = "application/x-www-form-urlencoded"


@functools.lru_cache(maxsize=256)
def _quoted(value: str) -> str:
    return quote_plus(value)


def _urlencoded(form: dict) -> bytes:
    """The body a browser sends for ``form`` (repeated keys for lists). Each value is quoted
    once per run: quoting a 10,000-character value for every field of every form was a seventh
    of the fuzz's time, spent in the test rather than in the app."""
    pairs = []
    for name, value in form.items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append(f"{_quoted(name)}={_quoted(str(one))}")
    return "&".join(pairs).encode("ascii")


#: ``?all=<value>``: every query name holding one value, encoded once per run (the test client
#: encoded the 17 names × 10,000 characters of ``?all=long`` again for every GET route).
_ALL_QUERY = {name: _urlencoded({query: value for query in QUERY_NAMES}).decode("ascii") for name, value in VALUES.items()}


#: The run that sends a route's malformed ids: the first role here the route lets in.
ID_ROLE_ORDER = ("admin", "instructor", "personnel", "trainee", "anonymous")


def _id_role(rule_access) -> str:
    return next((who for who in ID_ROLE_ORDER if _allowed(who, rule_access)), "anonymous")


def _allowed(who: str, rule_access) -> bool:
    if rule_access == "bearer-token":
        return True  # the API is reached with a token below; as a session it must refuse cleanly
    if rule_access == PUBLIC:
        return True
    if who == "anonymous":
        return False
    return rule_access == SIGNED_IN or who in rule_access


#: Certificate PDFs laid out in this run, by the digest of their HTML (see the fixture below).
_PDFS: dict[bytes, bytes] = {}


@pytest.fixture
def pdf_laid_out_once(monkeypatch):
    """WeasyPrint lays out each distinct certificate HTML once per run.

    The certificate download and the class ZIP render the same member's certificate for every
    query and form variant (about 0.5 s each, a sixth of the instructor's and admin's runs).
    Every request still runs the route, its access check, the certificate's data and its HTML;
    only the layout of an HTML already laid out, byte for byte, is taken from the first,
    real, layout. The PDF itself is checked by the certificate tests."""
    from training.certificates import pdf

    real = pdf.write_pdf

    def write_pdf(html_text: str) -> bytes:
        key = hashlib.sha256(html_text.encode()).digest()
        if key not in _PDFS:
            _PDFS[key] = real(html_text)
        return _PDFS[key]

    monkeypatch.setattr(pdf, "write_pdf", write_pdf)


@pytest.mark.parametrize("who", ("anonymous", "trainee", "instructor", "personnel", "admin"))
def test_no_hostile_input_gives_a_5xx_or_changes_a_row(app, create_user_factory, pdf_laid_out_once, who):
    assert set(_routes(app)) <= MATRIX.keys(), "a route without a matrix row is not fuzzed"
    real = _world(app, create_user_factory, who)
    client = app.test_client()
    if who != "anonymous":
        assert AuthActions(client).login(f"fuzz-{who}").status_code == 302
    csrf_token = AuthActions(client).csrf_token("/help" if who != "anonymous" else "/login")
    fuzzer = Fuzzer(app, client, who, real, csrf_token)
    started = time.perf_counter()
    before = _checksum(app)
    if who == "trainee":
        # The pre-survey is read only while it is not yet answered: fuzz it first, then answer it
        # to pass the gate (lessons, quizzes and scenarios open) and start a scenario run.
        for method in ("GET", "POST"):
            before = fuzzer.route(method, "/learn/<course_id>/survey/<phase>", True, before)
        assert Learner(client, CONTENT, COURSE.id).pre_survey().status_code == 302
        scenario = f"/learn/{COURSE.id}/scenarios/{SAMPLE['<scenario_id>']}"
        client.post(f"{scenario}/start", data={"csrf_token": AuthActions(client).csrf_token(scenario)})
        # The quiz page's first showing draws and stores the sitting (a write on purpose); later
        # showings reuse it, so from here on its GET changes no row.
        real["quiz_page"] = client.get(_fill("/learn/<course_id>/m/<module_id>/quiz", real)).get_data(as_text=True)
        before = _checksum(app)
    for (method, rule), access in sorted(MATRIX.items()):
        if who != "anonymous" and (method, rule) in SESSION_ROUTES:
            continue
        if "<int:job_id>" in rule:
            before = _fuzz_each_job(app, fuzzer, method, rule, _allowed(who, access), before, who == _id_role(access))
            continue
        before = fuzzer.route(method, rule, _allowed(who, access), before, role_free=who == _id_role(access))
        if rule in UNDO_AFTER:
            with app.app_context():
                UNDO_AFTER[rule](real)
            before = _checksum(app)
    if who == "personnel":
        _fuzz_api(app, fuzzer)
    elapsed = time.perf_counter() - started
    print(f"\nfuzz {who}: {fuzzer.requests} requests in {elapsed:.1f} s")
    assert fuzzer.failures == [], f"{who}: {len(fuzzer.failures)} failures:\n" + "\n".join(fuzzer.failures[:60])


def _fuzz_each_job(app, fuzzer: Fuzzer, method: str, rule: str, allowed: bool, before: dict, role_free: bool) -> dict:
    """A job route for each job of the world: the class ZIP and the three that leave no file.
    The hostile paths go with the first only; each job's page and download are also checked to
    open for exactly its viewers (JOB_VIEWERS), 404 for the other signed-in roles."""
    real, who = fuzzer.real, fuzzer.who
    for n, (name, job_id) in enumerate(real["jobs"].items()):
        fuzzer.real = {**real, "<int:job_id>": job_id}
        acts = rule == JOB_RULES_RETRY and name in RETRYABLE and who in JOB_VIEWERS[name]
        try:
            before = fuzzer.route(method, rule, allowed, before, role_free=role_free and n == 0,
                                  path_variants=n == 0, acts=acts)
        finally:
            fuzzer.real = real
        if acts:
            with app.app_context():
                _restore_job(real, name)
            before = _checksum(app)
        if rule in ("/jobs/<int:job_id>", "/jobs/<int:job_id>/download") and who != "anonymous":
            response = fuzzer.client.get(_fill(rule, {"<int:job_id>": job_id}))
            sees = who in JOB_VIEWERS[name]
            if rule == "/jobs/<int:job_id>":
                expected = 200 if sees else 404
            else:  # the ZIP's file is not there (410); a no-file job's download leads to its page
                expected = (410 if name == "certificate_zip" else 302) if sees else 404
            if response.status_code != expected:
                fuzzer.failures.append(f"GET {rule} ({name} job, {who}): HTTP {response.status_code}, expected {expected}")
            response.close()
    return before


def _fuzz_api(app, fuzzer: Fuzzer) -> None:
    """The token-authenticated API: every query name with every value, one name at a time."""
    from training.records.api import hash_token

    secret = "fuzz-api-token-" + "k" * 30
    with app.app_context():
        db.session.add(ApiToken(name="ファズAPI", token_hash=hash_token(secret), prefix=secret[:8]))
        db.session.commit()
    before = _checksum(app)
    headers = {"Authorization": f"Bearer {secret}"}
    for query in QUERY_NAMES:
        for name, value in VALUES.items():
            fuzzer.send(f"GET /api/v1/completions ?{query}={name}", "GET", "/api/v1/completions",
                        query_string={query: value}, headers=headers)
    for name, value in PATH_VALUES.items():
        fuzzer.send(f"GET /api/v1/completions bearer={name}", "GET", "/api/v1/completions",
                    headers={"Authorization": f"Bearer {value}"})
    # last_used_at moves on every good call: only the token row may differ.
    after = _checksum(app)
    changed = [t for t in _changed(before, after) if t != "api_token"]
    if changed:
        fuzzer.failures.append(f"GET /api/v1/completions: rows changed in {changed}")


def test_the_table_digest_sees_an_insert_an_update_and_a_delete(app, create_user_factory):
    """The sweep behind "nothing written": each change shows in its own table, and only there."""
    user_id, _ = create_user_factory("trainee")
    first = _checksum(app)
    assert _checksum(app) == first  # the same rows, the same digest
    with app.app_context():
        token = ApiToken(name="確認", token_hash="e" * 64, prefix="chk")
        db.session.add(token)
        db.session.commit()
        inserted = _checksum(app)
        assert _changed(first, inserted) == ["api_token"]
        db.session.get(User, user_id).email = ""  # NULL to an empty text: a change too
        db.session.commit()
        updated = _checksum(app)
        assert _changed(inserted, updated) == ["user"]
        db.session.delete(db.session.get(ApiToken, token.id))
        db.session.commit()
    assert _changed(updated, _checksum(app)) == ["api_token"]
