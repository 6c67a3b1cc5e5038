"""Simulated trainees for bench/load_test.py: a small asyncio HTTP/1.1 client and the trainee.

One process drives every trainee with asyncio, so the load generator costs little CPU on a
machine whose two cores it shares with the server. Each trainee behaves like a person:
signs in (and sees the home page), does the pre-survey if the course asks for it, reads a
section (GET), pauses, moves on (POST, which marks the section read), takes each module's
quiz (GET the form with its one-time token, pause, POST the answers, read the marked
result). A trainee who has done every module reviews: a random module again, sections and
quiz. Between actions it thinks for a random time; a redirect is followed at once, as a
browser does. The answers come from the content, right 70% of the time (the test learner's
``quiz_form``), so some trainees retake a quiz.

Every request is recorded (kind, start, end, outcome). Every write the server acknowledged
(the expected redirect) is recorded as what must now be in the database.
"""
from __future__ import annotations

import asyncio
import random
import re
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field

from training.content.model import Content
from tests.support.learner import quiz_form, survey_form

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
SUBMISSION = re.compile(r'name="token" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="([^"]+)"')
SECTION_PATH = re.compile(r"^/learn/([^/]+)/m/([^/]+)/s/([^/]+)$")
QUIZ_PATH = re.compile(r"^/learn/([^/]+)/m/([^/]+)/quiz$")
ATTEMPT_PATH = re.compile(r"^/learn/([^/]+)/attempts/(\d+)$")
PRE_SURVEY_PATH = re.compile(r"^/learn/([^/]+)/survey/pre$")
REQUEST_TIMEOUT = 60.0


@dataclass
class Sample:
    """One request: its kind, when it started and ended (seconds from the run's start), outcome."""

    kind: str
    start: float
    end: float
    ok: bool
    detail: str = ""        # status code or exception name when not ok
    server: str = ""        # behind the balancer: the app server that answered (X-Served-By)


@dataclass(frozen=True)
class Ack:
    """A write the server acknowledged: ``table`` and the row's identifying values."""

    table: str              # section_view | quiz_attempt | survey_response
    key: tuple


@dataclass
class Recorder:
    """Everything the trainees did, for the report and the database check."""

    started: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    in_flight: Counter = field(default_factory=Counter)
    cpu_seconds: float = 0.0        # the load generator's own CPU time during the run
    cpu_note: str = ""

    def now(self) -> float:
        return time.monotonic() - self.started


class Failed(Exception):
    """A request failed (connection error, timeout or unexpected answer); the trainee starts over."""


class Stopped(Exception):
    """The run is over: the trainee sends nothing more (a request under way is still awaited)."""


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: str

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name), "")

    @property
    def location(self) -> str:
        """The redirect target as a path (Werkzeug sends relative locations; absolute ones are cut)."""
        parts = urllib.parse.urlsplit(self.header("location"))
        return parts.path + (f"?{parts.query}" if parts.query else "")


async def http_request(port: int, method: str, path: str, headers: dict[str, str],
                       body: bytes = b"") -> Response:
    """One HTTP/1.1 request on a fresh connection (gunicorn's sync workers close after each)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
                 *(f"{k}: {v}" for k, v in headers.items())]
        if method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
    head, sep, payload = raw.partition(b"\r\n\r\n")
    if not sep:
        raise ConnectionError("incomplete response")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    response_headers = [tuple(part.strip() for part in line.split(":", 1)) for line in header_lines]
    response = Response(int(status_line.split()[1]), response_headers, "")
    if response.header("transfer-encoding"):
        raise ConnectionError("chunked responses are not expected from this app")
    length = response.header("content-length")
    if length and int(length) != len(payload):
        raise ConnectionError("response cut short")
    response.body = payload.decode("utf-8", "replace")
    return response


class Trainee:
    """One simulated trainee with its own cookies, going through its course until told to stop."""

    def __init__(self, login_id: str, password: str, user_id: int, course_id: str, *, port: int,
                 content: Content, recorder: Recorder, think: tuple[float, float], correct_rate: float,
                 stop: asyncio.Event, rng: random.Random):
        self.login_id, self.password, self.user_id = login_id, password, user_id
        self.port, self.content, self.recorder, self.think_range = port, content, recorder, think
        self.course = content.course(course_id)
        self.correct_rate, self.stop, self.rng = correct_rate, stop, rng
        self.cookies: dict[str, str] = {}
        self.signed_in = False
        self.next_path: str | None = None
        self.last_sample: Sample | None = None
        self.base = f"/learn/{course_id}"

    async def run(self, ramp_up: float) -> None:
        """Arrive at a random moment during the ramp-up, then act until the run ends."""
        try:
            await self._sleep(self.rng.uniform(0, ramp_up))
            while True:
                try:
                    if not self.signed_in:
                        await self.sign_in()
                    await self.step()
                except Failed:
                    # As a person would: wait a moment, then reload from "resume".
                    self.next_path = None
                    await self.think()
        except Stopped:
            return

    async def think(self, factor: float = 1.0) -> None:
        await self._sleep(factor * self.rng.uniform(*self.think_range))

    async def _sleep(self, seconds: float) -> None:
        """Wait, unless the run ends first: then stop here (no burst of requests at the end)."""
        try:
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            return
        raise Stopped

    async def call(self, kind: str, method: str, path: str, expect: int, form: dict | None = None) -> Response:
        """Send one request, record it; raise Failed unless the status is ``expect``."""
        if self.stop.is_set():
            raise Stopped
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = b""
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        recorder = self.recorder
        start = recorder.now()
        recorder.in_flight[kind] += 1
        try:
            response = await asyncio.wait_for(http_request(self.port, method, path, headers, body), REQUEST_TIMEOUT)
        except (OSError, asyncio.TimeoutError, ValueError, IndexError) as exc:
            recorder.samples.append(Sample(kind, start, recorder.now(), False, type(exc).__name__ or "error"))
            raise Failed(kind) from None
        finally:
            recorder.in_flight[kind] -= 1
        self.last_sample = Sample(kind, start, recorder.now(), response.status == expect,
                                  "" if response.status == expect else str(response.status),
                                  response.header("x-served-by"))
        recorder.samples.append(self.last_sample)
        self._keep_cookies(response)
        if response.status != expect:
            if response.status == 302 and response.location.startswith("/login"):
                self.signed_in = False
            raise Failed(kind)
        return response

    def _keep_cookies(self, response: Response) -> None:
        for name, value in response.headers:
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookie = rest.split(";", 1)[0]
                if cookie and "max-age=0" not in value.lower():
                    self.cookies[key.strip()] = cookie
                else:
                    self.cookies.pop(key.strip(), None)

    def reject(self, detail: str) -> None:
        """The last answer had the right status but the wrong content: count it as an error."""
        self.last_sample.ok, self.last_sample.detail = False, detail
        raise Failed(detail)

    def find(self, pattern: re.Pattern, response: Response) -> str:
        """A form value on the page just received (its absence makes that request an error)."""
        match = pattern.search(response.body)
        if match is None:
            self.reject("no " + pattern.pattern.split('"')[1])
        return match.group(1)

    async def sign_in(self) -> None:
        self.cookies.clear()
        page = await self.call("sign-in", "GET", "/login", 200)
        form = {"csrf_token": self.find(CSRF, page), "login_id": self.login_id, "password": self.password}
        await self.think()
        response = await self.call("sign-in", "POST", "/login", 302, form)
        self.signed_in = True
        await self.call("GET home", "GET", response.location, 200)
        await self.think()

    async def step(self) -> None:
        """Do the next thing: where the last page led, or where "resume" leads."""
        path, self.next_path = self.next_path, None
        if path is None:
            path = (await self.call("resume", "GET", f"{self.base}/resume", 302)).location
        if SECTION_PATH.match(path):
            await self.read_section(path)
        elif (match := QUIZ_PATH.match(path)):
            await self.take_quiz(path, match.group(2))
        elif PRE_SURVEY_PATH.match(path):
            await self.pre_survey(path)
        else:
            # Every module done (scenarios, post-survey or the course page next): review a module.
            module = self.content.module(self.rng.choice(self.course.modules))
            first = module.sections_for(self.course.audience)[0]
            self.next_path = f"{self.base}/m/{module.id}/s/{first.id}"

    async def read_section(self, path: str) -> None:
        page = await self.call("GET section", "GET", path, 200)
        form = {"csrf_token": self.find(CSRF, page)}
        await self.think()
        response = await self.call("POST section", "POST", f"{path}/next", 302, form)
        _course, module_id, section_id = SECTION_PATH.match(path).groups()
        self.recorder.acks.append(Ack("section_view", (self.user_id, self.course.id, module_id, section_id)))
        self.next_path = response.location

    async def take_quiz(self, path: str, module_id: str) -> None:
        page = await self.call("GET quiz", "GET", path, 200)
        quiz = self.content.quiz(self.content.module(module_id).quiz)
        token = self.find(SUBMISSION, page)
        form = {**quiz_form(quiz, page.body, correct=self.rng.random() < self.correct_rate),
                "csrf_token": self.find(CSRF, page),
                "token": token, "version": self.find(VERSION, page)}
        await self.think(2.0)  # answering takes longer than reading a page
        response = await self.call("POST quiz", "POST", path, 302, form)
        match = ATTEMPT_PATH.match(response.location)
        if match is None:
            self.reject("302 elsewhere")
        self.recorder.acks.append(Ack("quiz_attempt", (int(match.group(2)), self.user_id, self.course.id, quiz.id,
                                                       token)))
        await self.call("GET result", "GET", response.location, 200)  # the browser follows at once
        await self.think()

    async def pre_survey(self, path: str) -> None:
        page = await self.call("GET survey", "GET", path, 200)
        form = {**survey_form(self.content, post=False), "csrf_token": self.find(CSRF, page)}
        await self.think(2.0)
        response = await self.call("POST survey", "POST", path, 302, form)
        self.recorder.acks.append(Ack("survey_response", (self.user_id, self.course.id, "pre")))
        self.next_path = response.location if response.location != f"{self.base}/resume" else None


async def run_trainees(trainees: list[Trainee], ramp_up: float) -> None:
    """Run every trainee until the stop event; each finishes the request it is waiting for, if any."""
    await asyncio.gather(*(t.run(ramp_up) for t in trainees))

