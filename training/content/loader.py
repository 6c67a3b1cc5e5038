"""Read every content file, validate it against the schema, and build frozen dataclasses.

``load_content(root)`` returns the Content and the list of problems. Problems are collected
from every file before anything is reported; the app refuses to start if there is any.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from training.content import model
from training.content.checks import check_contacts, check_content, lint_raw, lint_text
from training.content.hours import Hours
from training.content.issues import IssueList
from training.content.markdown import render, split_module
from training.content.schema import (
    CONTACTS_FILE, COURSES_FILE, DECISION_NODE, DIRECTORY_FILE, ENDING_NODE, ID_PATTERN,
    MODULE_FRONT_MATTER, QUESTION, QUIZ, SCENARIO, SURVEY_FILE, Ctx, parse_lines,
)
from training.content.scenario_state import CHOICE_PARTS, NODE_TEXTS, effects_of, state_of, variants_for
from training.content.yamlsource import LineDict, YamlProblem, load_yaml


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def _text(raw, key) -> str:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, str) else ""


def _list(raw, key) -> list:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, list) else []


def _sources(raw) -> tuple[model.Source, ...]:
    return tuple(model.Source(plan=_text(s, "plan"), lines=parse_lines(s.get("lines")) if s.get("lines") else None,
                              general=_text(s, "general")) for s in raw if isinstance(s, dict))


def _choices(raw) -> tuple[model.Choice, ...]:
    return tuple(model.Choice(id=_text(c, "id"), text=_text(c, "text"), why=_text(c, "why"))
                 for c in raw or () if isinstance(c, dict))


class _Reader:
    """Reads files under ``root``; remembers each file's bytes for the version hashes."""

    def __init__(self, root: Path, issues: IssueList):
        self.root = root
        self.issues = issues
        self.hashes: dict[str, str] = {}

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def read(self, path: Path) -> str | None:
        rel = self.rel(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.issues.add(rel, 1, "", f"ファイルを読めません: {exc.strerror}")
            return None
        self.hashes[rel] = _digest(data)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self.issues.add(rel, 1, "", "UTF-8 で保存してください")
            return None

    def yaml(self, path: Path, line_offset: int = 0, text: str | None = None):
        rel = self.rel(path)
        text = self.read(path) if text is None else text
        if text is None:
            return None
        try:
            return load_yaml(text, line_offset)
        except YamlProblem as problem:
            self.issues.add(rel, problem.line, "", problem.message)
            return None


def _load_module(reader: _Reader, path: Path):
    """(Module, raw front matter, valid) or None when the file cannot be read at all.

    A module whose front matter breaks the schema is still built (with what is there) so
    that references to it resolve and one run reports every problem.
    """
    rel = reader.rel(path)
    text = reader.read(path)
    if text is None:
        return None
    ctx = Ctx(rel, reader.issues)
    raw_file = split_module(text)
    for line, message in raw_file.problems:
        ctx.error(line, "", message)
    if not raw_file.front_matter and raw_file.problems:
        return None
    front = reader.yaml(path, raw_file.front_matter_offset, raw_file.front_matter)
    if not isinstance(front, LineDict):
        if front is not None:
            ctx.error(1 + raw_file.front_matter_offset, "", "前付けは「キー: 値」の形で書いてください")
        return None
    valid = MODULE_FRONT_MATTER.check(front, ctx, "", 1)
    lint_raw(front, ctx, "")
    if front.get("id") != path.stem:
        ctx.error(front.line_of("id"), "id", f"ファイル名（{path.stem}）と id を同じにしてください")
    sections, seen = [], set()
    audiences = {a for a in _list(front, "audiences") if isinstance(a, str)}
    for raw in raw_file.sections:
        where = f"sections.{raw.id or raw.title}"
        if raw.id and not ID_PATTERN.match(raw.id):
            ctx.error(raw.line, where, f"節の id は半角英小文字・数字・ハイフンで書いてください: {raw.id!r}")
        if raw.id in seen:
            ctx.error(raw.line, where, f"節の id が重複しています: {raw.id}")
        seen.add(raw.id)
        unknown = [a for a in raw.audiences if a not in audiences]
        if unknown:
            ctx.error(raw.line, where, f"モジュールの audiences にない受講区分です: {', '.join(unknown)}")
        if not raw.text.strip():
            ctx.error(raw.line, where, "節の本文が空です")
        lint_text(raw.title, ctx, raw.line, where + ".title")
        for offset, body_line in enumerate(raw.text.split("\n")):
            lint_text(body_line, ctx, raw.body_line + offset, where)
        if raw.checkin and front.get("checkin") is True:
            ctx.error(raw.line, where, "モジュールの checkin: true（最後に1回）と節の checkin は、どちらか一方にしてください")
        sections.append(model.Section(id=raw.id, title=raw.title, text=raw.text, html=render(raw.text),
                                      audiences=tuple(raw.audiences), line=raw.line, checkin=raw.checkin))
    minutes = front.get("minutes")
    module = model.Module(
        id=path.stem, title=_text(front, "title"), audiences=tuple(sorted(audiences)) if not valid
        else tuple(front["audiences"]), minutes=minutes if isinstance(minutes, int) else 0,
        goals=tuple(_list(front, "goals")), key_points=tuple(_list(front, "key_points")),
        sources=_sources(_list(front, "sources")), quiz=_text(front, "quiz"), sections=tuple(sections),
        version=reader.hashes[rel][:16], checkin=front.get("checkin") is True,
    )
    return module, front, valid


def _question(raw) -> model.Question:
    answer = raw.get("answer")
    kind = _text(raw, "kind")
    if kind in ("multiple", "ordering") and isinstance(answer, list):
        answer = tuple(answer)
    elif kind == "matching" and isinstance(answer, dict):
        answer = tuple((str(k), str(v)) for k, v in answer.items())
    return model.Question(id=_text(raw, "id"), kind=kind, prompt=_text(raw, "prompt"),
                          explanation=_text(raw, "explanation"), choices=_choices(raw.get("choices")),
                          items=_choices(raw.get("items")), options=_choices(raw.get("options")), answer=answer,
                          objective=_text(raw, "objective"),
                          audiences=tuple(a for a in _list(raw, "audiences") if isinstance(a, str)))


def _objectives(raw) -> tuple[model.Objective, ...]:
    """A quiz's declared objectives (its references are checked in quiz_pools)."""
    return tuple(model.Objective(id=_text(o, "id"), label=_text(o, "label"),
                                 sections=tuple(s for s in _list(o, "sections") if isinstance(s, str)))
                 for o in _list(raw, "objectives") if isinstance(o, dict))


def _choice(raw) -> model.ScenarioChoice:
    parts, variants = variants_for(raw, CHOICE_PARTS)  # reaction and next may depend on the state
    return model.ScenarioChoice(
        id=_text(raw, "id"), text=_text(raw, "text"), score=raw.get("score") if isinstance(raw.get("score"), int) else 0,
        reaction=parts["reaction"], feedback=_text(raw, "feedback"), next=parts["next"], effects=effects_of(raw),
        variants=tuple(v for v in variants if v[1]))


def _node(raw) -> model.Node:
    texts, variants = variants_for(raw, NODE_TEXTS)  # each text may depend on the state
    variants = tuple(v for v in variants if v[1])
    if raw.get("ending"):
        return model.Node(id=_text(raw, "id"), ending=True, title=texts["title"], summary=texts["summary"],
                          connected_to=tuple(x for x in _list(raw, "connected_to") if isinstance(x, str)),
                          variants=variants)
    choices = tuple(_choice(c) for c in _list(raw, "choices") if isinstance(c, dict))
    return model.Node(id=_text(raw, "id"), situation=texts["situation"], line=texts["line"], choices=choices,
                      variants=variants)


def _load_quiz(reader: _Reader, path: Path):
    """(Quiz or Scenario, raw, valid question/node indexes) or None when unreadable.

    Built leniently, like modules, so the cross-file and graph checks run in the same pass.
    """
    rel = reader.rel(path)
    raw = reader.yaml(path)
    if raw is None:
        return None
    ctx = Ctx(rel, reader.issues)
    if not isinstance(raw, LineDict):
        ctx.error(1, "", "「キー: 値」の形で書いてください")
        return None
    kind = raw.get("kind")
    if kind not in ("quiz", "scenario"):
        ctx.error(raw.line_of("kind"), "kind", f"quiz か scenario を書いてください: {kind!r}")
        return None
    lint_raw(raw, ctx, "")
    if raw.get("id") != path.stem:
        ctx.error(raw.line_of("id"), "id", f"ファイル名（{path.stem}）と id を同じにしてください")
    version = reader.hashes[rel][:16]
    top = QUIZ if kind == "quiz" else SCENARIO
    top.check(raw, ctx, "", 1)
    parts_key, part_spec = ("questions", QUESTION) if kind == "quiz" else ("nodes", None)
    parts = _list(raw, parts_key)
    valid = set()
    for index, part in enumerate(parts):
        if not isinstance(part, dict):
            continue  # already reported by the top-level schema
        spec = part_spec or (ENDING_NODE if part.get("ending") else DECISION_NODE)
        if spec.check(part, ctx, f"{parts_key}[{index}]", parts.line_of(index)):
            valid.add(index)
    parts = [p for p in parts if isinstance(p, dict)]
    if kind == "quiz":
        draw = raw.get("draw")
        quiz = model.Quiz(id=path.stem, title=_text(raw, "title"), sources=_sources(_list(raw, "sources")),
                          questions=tuple(_question(q) for q in parts), version=version,
                          draw=draw if isinstance(draw, int) and not isinstance(draw, bool) else 0,
                          objectives=_objectives(raw))
    else:
        minutes = raw.get("minutes")
        quiz = model.Scenario(id=path.stem, title=_text(raw, "title"),
                              audiences=tuple(a for a in _list(raw, "audiences") if isinstance(a, str)),
                              sources=_sources(_list(raw, "sources")), setting=_text(raw, "setting"),
                              person=_text(raw, "person"), start=_text(raw, "start"),
                              nodes=tuple(_node(n) for n in parts),
                              minutes=minutes if isinstance(minutes, int) else 10, version=version,
                              state=state_of(raw))
    return quiz, raw, valid


def _load_contacts(reader: _Reader, path: Path) -> model.HelpContacts | None:
    raw = reader.yaml(path)
    ctx = Ctx(reader.rel(path), reader.issues)
    if raw is None or not CONTACTS_FILE.check(raw, ctx, "", 1):
        return None
    lint_raw(raw, ctx, "")
    contacts = model.HelpContacts(
        emergency=raw["emergency"],
        contacts=tuple(model.HelpContact(
            id=c["id"], name=c["name"], kind=c["kind"], number=str(c.get("number") or ""), url=c.get("url") or "",
            hours=Hours(text=c["hours"].get("text") or "", open=tuple(c["hours"].get("open") or ()),
                        closed=tuple(c["hours"].get("closed") or ())),
            audiences=tuple(c.get("audiences") or (model.GENERAL,)),
            source_url=c.get("source_url") or "", source_note=c.get("source_note") or "",
            found_on=c["found_on"]) for c in raw["contacts"]),
    )
    before = len(reader.issues)
    check_contacts(contacts, raw, ctx)
    return contacts if len(reader.issues) == before else None


def _load_directory(reader: _Reader, path: Path):
    raw = reader.yaml(path)
    ctx = Ctx(reader.rel(path), reader.issues)
    if raw is None or not DIRECTORY_FILE.check(raw, ctx, "", 1):
        return None
    lint_raw(raw, ctx, "")
    return tuple(model.DirectoryEntry(
        id=e["id"], name=e["name"], department=e["department"], concerns=tuple(e["concerns"]),
        audiences=tuple(e["audiences"]), description=e["description"], source=e["source"],
        lines=parse_lines(e["lines"]) if e.get("lines") else None, phone=e.get("phone") or "",
        address=e.get("address") or "", hours=e.get("hours") or "") for e in raw["entries"]), raw


def _load_survey(reader: _Reader, path: Path) -> model.Survey | None:
    raw = reader.yaml(path)
    ctx = Ctx(reader.rel(path), reader.issues)
    if raw is None or not SURVEY_FILE.check(raw, ctx, "", 1):
        return None
    lint_raw(raw, ctx, "")
    distress = raw["distress"]
    return model.Survey(
        scale=tuple(raw["scale"]),
        efficacy=tuple(model.SurveyItem(id=i["id"], text=i["text"], audiences=tuple(i.get("audiences") or ()))
                       for i in raw["efficacy"]),
        knowledge=tuple(model.SurveyItem(id=i["id"], text=i["text"], answer=i["answer"],
                                         explanation=i.get("explanation") or "",
                                         audiences=tuple(i.get("audiences") or ())) for i in raw["knowledge"]),
        distress_id=distress["id"], distress_text=distress["text"],
        distress_options=tuple(model.DistressOption(id=o["id"], text=o["text"], show_help=o["show_help"])
                               for o in distress["options"]),
        license_note=raw.get("license_note") or "",
        distress_help=distress.get("help_text") or "",
        distress_variants=tuple(model.DistressText(audiences=tuple(v["audiences"]), text=v["text"],
                                                   help_text=v.get("help_text") or "")
                                for v in distress.get("variants") or ()),
    ), raw


def load_content(root: Path) -> tuple[model.Content | None, list]:
    """Load and check everything under ``root`` (modules/ and quizzes/).

    Returns (content, []) when valid, or (None, sorted issues) when anything is wrong.
    """
    root = Path(root).resolve()
    issues = IssueList()
    reader = _Reader(root, issues)
    modules_dir, quizzes_dir = root / "modules", root / "quizzes"
    for needed in (modules_dir, quizzes_dir):
        if not needed.is_dir():
            issues.add(needed.name, 1, "", "フォルダがありません")
    if issues:
        return None, issues.sorted()

    modules, module_raw = [], {}
    for path in sorted(modules_dir.glob("*.md")):
        loaded = _load_module(reader, path)
        if loaded:
            modules.append(loaded[0])
            module_raw[loaded[0].id] = (reader.rel(path), loaded[1], loaded[2])
    quizzes, quiz_raw = [], {}
    for path in sorted(quizzes_dir.glob("*.yaml")):
        loaded = _load_quiz(reader, path)
        if loaded:
            quizzes.append(loaded[0])
            quiz_raw[loaded[0].id] = (reader.rel(path), loaded[1], loaded[2])

    courses_path = modules_dir / "courses.yaml"
    courses_raw = reader.yaml(courses_path)
    courses_ctx = Ctx(reader.rel(courses_path), issues)
    courses_ok = courses_raw is not None and COURSES_FILE.check(courses_raw, courses_ctx, "", 1)
    if courses_ok:
        lint_raw(courses_raw, courses_ctx, "")
    contacts = _load_contacts(reader, modules_dir / "help_contacts.yaml")
    directory = _load_directory(reader, modules_dir / "directory.yaml")
    survey = _load_survey(reader, modules_dir / "survey.yaml")

    courses = []
    if courses_ok:
        module_by_id = {m.id: m for m in modules}
        quiz_by_id = {q.id: q for q in quizzes}
        for raw in courses_raw["courses"]:
            used = [module_by_id.get(m) for m in raw["modules"]] + [
                quiz_by_id.get(module_by_id[m].quiz) for m in raw["modules"] if m in module_by_id
            ] + [quiz_by_id.get(s) for s in raw["scenarios"]]
            minutes = sum(m.minutes for m in (module_by_id.get(i) for i in raw["modules"]) if m) + sum(
                s.minutes for s in (quiz_by_id.get(i) for i in raw["scenarios"]) if isinstance(s, model.Scenario))
            rules = raw["pass_rules"]
            # The role-play list is for in-person sessions: changing it does not change the
            # e-learning course, so it stays out of the course's version.
            version = _digest(repr(sorted(((k, v) for k, v in raw.items() if k != "roleplay"), key=lambda kv: kv[0])),
                              *sorted(x.version for x in used if x is not None))[:16]
            courses.append(model.Course(
                id=raw["id"], title=raw["title"], audience=raw["audience"], modules=tuple(raw["modules"]),
                scenarios=tuple(raw["scenarios"]), quiz_pass_percent=rules["quiz_pass_percent"],
                max_attempts=rules["max_attempts"], certificate_title=raw["certificate_title"], minutes=minutes,
                validity_years=raw.get("validity_years"), description=raw.get("description") or "",
                version=version,
                roleplay=tuple(model.RoleplayItem(id=r["id"], label=r["label"]) for r in raw.get("roleplay") or ())))

    # Cross-file checks run on whatever did load, so one pass shows every problem.
    check_content(
        issues=issues, modules=modules, module_raw=module_raw, quizzes=quizzes, quiz_raw=quiz_raw,
        courses=courses, courses_file=reader.rel(courses_path), courses_raw=courses_raw if courses_ok else None,
        directory=directory[0] if directory else (), directory_file="modules/directory.yaml",
        directory_raw=directory[1] if directory else None,
        survey=survey[0] if survey else None, survey_file="modules/survey.yaml",
        survey_raw=survey[1] if survey else None,
    )
    if issues or contacts is None or directory is None or survey is None or not courses_ok:
        return None, issues.sorted()
    version = _digest(*(f"{k}:{v}" for k, v in sorted(reader.hashes.items())))[:16]
    content = model.Content(courses=tuple(courses), modules=tuple(modules), quizzes=tuple(quizzes),
                            directory=directory[0], contacts=contacts, survey=survey[0], version=version)
    return content, []
