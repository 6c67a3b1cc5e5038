"""The whole parsed content as JSON (``training content export --json``), and back.

``to_json`` is documented in docs/content-authoring.md; ``from_json`` rebuilds the same
frozen dataclasses, so an export round-trips exactly.
"""
from __future__ import annotations

import datetime as dt

from training.content import model
from training.content.conditions import parse_condition
from training.content.hours import Hours
from training.content.markdown import render


def _source(s: model.Source) -> dict:
    return {"plan": s.plan, "lines": list(s.lines) if s.lines else None, "general": s.general}


def _choice(c: model.Choice) -> dict:
    return {"id": c.id, "text": c.text, "why": c.why}


def _answer(q: model.Question):
    if q.kind == "matching":
        return dict(q.answer)
    if q.kind in ("multiple", "ordering"):
        return list(q.answer)
    return q.answer


def _variants(variants) -> dict:
    """State-dependent alternatives: {field: [{"when": condition, "value": text or node id}]}."""
    return {name: [{"when": v.when, "value": v.value} for v in options] for name, options in variants}


def _quiz(q) -> dict:
    if isinstance(q, model.Scenario):
        nodes = []
        for n in q.nodes:
            if n.ending:
                nodes.append({"id": n.id, "ending": True, "title": n.title, "summary": n.summary,
                              "connected_to": list(n.connected_to), "variants": _variants(n.variants)})
            else:
                nodes.append({"id": n.id, "situation": n.situation, "line": n.line, "choices": [
                    {"id": c.id, "text": c.text, "score": c.score, "reaction": c.reaction,
                     "feedback": c.feedback, "next": c.next, "effects": dict(c.effects),
                     "variants": _variants(c.variants)} for c in n.choices], "variants": _variants(n.variants)})
        return {"id": q.id, "kind": "scenario", "title": q.title, "audiences": list(q.audiences),
                "sources": [_source(s) for s in q.sources], "setting": q.setting, "person": q.person,
                "start": q.start, "minutes": q.minutes, "nodes": nodes, "max_score": q.max_score,
                "state": [{"name": v.name, "label": v.label, "min": v.low, "max": v.high, "start": v.start, "shown": v.shown}
                          for v in q.state],
                "version": q.version}
    return {"id": q.id, "kind": "quiz", "title": q.title, "sources": [_source(s) for s in q.sources],
            "questions": [{"id": x.id, "kind": x.kind, "prompt": x.prompt, "choices": [_choice(c) for c in x.choices],
                           "items": [_choice(c) for c in x.items], "options": [_choice(c) for c in x.options],
                           "answer": _answer(x), "explanation": x.explanation, "objective": x.objective,
                           "audiences": list(x.audiences)}
                          for x in q.questions],
            "draw": q.draw, "objectives": [{"id": o.id, "label": o.label, "sections": list(o.sections)}
                                           for o in q.objectives],
            "version": q.version}


def to_json(content: model.Content) -> dict:
    """Everything, as plain JSON-ready data."""
    return {
        "version": content.version,
        "courses": [{
            "id": c.id, "title": c.title, "audience": c.audience, "minutes": c.minutes,
            "modules": list(c.modules), "scenarios": list(c.scenarios), "quiz_pass_percent": c.quiz_pass_percent,
            "max_attempts": c.max_attempts, "certificate_title": c.certificate_title,
            "validity_years": c.validity_years, "description": c.description, "version": c.version,
            "roleplay": [{"id": r.id, "label": r.label} for r in c.roleplay],
        } for c in content.courses],
        "modules": [{
            "id": m.id, "title": m.title, "audiences": list(m.audiences), "minutes": m.minutes,
            "goals": list(m.goals), "key_points": list(m.key_points), "sources": [_source(s) for s in m.sources],
            "quiz": m.quiz, "version": m.version, "checkin": m.checkin,
            "sections": [{"id": s.id, "title": s.title, "text": s.text, "audiences": list(s.audiences),
                          "checkin": s.checkin} for s in m.sections],
        } for m in content.modules],
        "quizzes": [_quiz(q) for q in content.quizzes],
        "directory": [{
            "id": e.id, "name": e.name, "department": e.department, "concerns": list(e.concerns),
            "audiences": list(e.audiences), "description": e.description, "source": e.source,
            "lines": list(e.lines) if e.lines else None, "phone": e.phone, "address": e.address, "hours": e.hours,
        } for e in content.directory],
        "contacts": {"emergency": content.contacts.emergency, "contacts": [{
            "id": c.id, "name": c.name, "kind": c.kind, "number": c.number, "url": c.url,
            "audiences": list(c.audiences),
            "hours": {"text": c.hours.text, "open": list(c.hours.open), "closed": list(c.hours.closed)},
            "source_url": c.source_url, "source_note": c.source_note, "found_on": c.found_on.isoformat(),
            "note": c.note, "order": c.order,
            # Only the ward's check in the app sets it; the files never say a line was verified.
            **({"verified_on": c.verified_on.isoformat()} if c.verified_on else {}),
        } for c in content.contacts.contacts]},
        "survey": {
            "scale": list(content.survey.scale),
            "efficacy": [{"id": i.id, "text": i.text, "audiences": list(i.audiences)} for i in content.survey.efficacy],
            "knowledge": [{"id": i.id, "text": i.text, "answer": i.answer, "explanation": i.explanation,
                           "audiences": list(i.audiences)} for i in content.survey.knowledge],
            "distress": {"id": content.survey.distress_id, "text": content.survey.distress_text,
                         "help_text": content.survey.distress_help,
                         "variants": [{"audiences": list(v.audiences), "text": v.text, "help_text": v.help_text}
                                      for v in content.survey.distress_variants],
                         "options": [{"id": o.id, "text": o.text, "show_help": o.show_help}
                                     for o in content.survey.distress_options]},
            "license_note": content.survey.license_note,
        },
    }


def _src_back(d: dict) -> model.Source:
    return model.Source(plan=d["plan"], lines=tuple(d["lines"]) if d["lines"] else None, general=d["general"])


def _choices_back(items) -> tuple[model.Choice, ...]:
    return tuple(model.Choice(id=c["id"], text=c["text"], why=c["why"]) for c in items)


def _answer_back(q: dict):
    if q["kind"] == "matching":
        return tuple((k, v) for k, v in q["answer"].items())
    if q["kind"] in ("multiple", "ordering"):
        return tuple(q["answer"])
    return q["answer"]


def _variants_back(data: dict) -> tuple:
    return tuple((name, tuple(model.Variant(v["when"], v["value"], parse_condition(v["when"])) for v in options))
                 for name, options in data.items())


def _scenario_choice_back(c: dict) -> model.ScenarioChoice:
    return model.ScenarioChoice(id=c["id"], text=c["text"], score=c["score"], reaction=c["reaction"],
                                feedback=c["feedback"], next=c["next"], effects=tuple(c["effects"].items()),
                                variants=_variants_back(c["variants"]))


def _quiz_back(q: dict):
    if q["kind"] == "scenario":
        nodes = tuple(
            model.Node(id=n["id"], ending=True, title=n["title"], summary=n["summary"],
                       connected_to=tuple(n["connected_to"]), variants=_variants_back(n["variants"]))
            if n.get("ending") else
            model.Node(id=n["id"], situation=n["situation"], line=n["line"], choices=tuple(
                _scenario_choice_back(c) for c in n["choices"]), variants=_variants_back(n["variants"]))
            for n in q["nodes"])
        return model.Scenario(id=q["id"], title=q["title"], audiences=tuple(q["audiences"]),
                              sources=tuple(_src_back(s) for s in q["sources"]), setting=q["setting"],
                              person=q["person"], start=q["start"], nodes=nodes, minutes=q["minutes"],
                              version=q["version"], state=tuple(
                                  model.StateVar(v["name"], v["label"], v["min"], v["max"], v["start"], v.get("shown", True))
                                  for v in q["state"]))
    return model.Quiz(id=q["id"], title=q["title"], sources=tuple(_src_back(s) for s in q["sources"]),
                      questions=tuple(model.Question(
                          id=x["id"], kind=x["kind"], prompt=x["prompt"], explanation=x["explanation"],
                          choices=_choices_back(x["choices"]), items=_choices_back(x["items"]),
                          options=_choices_back(x["options"]), answer=_answer_back(x),
                          objective=x.get("objective", ""),
                          audiences=tuple(x.get("audiences", ()))) for x in q["questions"]),
                      version=q["version"], draw=q.get("draw", 0), objectives=tuple(
                          model.Objective(o["id"], o["label"], tuple(o["sections"])) for o in q.get("objectives", ())))


def from_json(data: dict) -> model.Content:
    """Rebuild the Content from ``to_json`` output."""
    survey = data["survey"]
    return model.Content(
        courses=tuple(model.Course(
            id=c["id"], title=c["title"], audience=c["audience"], modules=tuple(c["modules"]),
            scenarios=tuple(c["scenarios"]), quiz_pass_percent=c["quiz_pass_percent"],
            max_attempts=c["max_attempts"], certificate_title=c["certificate_title"], minutes=c["minutes"],
            validity_years=c["validity_years"], description=c["description"], version=c["version"],
            roleplay=tuple(model.RoleplayItem(id=r["id"], label=r["label"]) for r in c.get("roleplay") or ()),
        ) for c in data["courses"]),
        modules=tuple(model.Module(
            id=m["id"], title=m["title"], audiences=tuple(m["audiences"]), minutes=m["minutes"],
            goals=tuple(m["goals"]), key_points=tuple(m["key_points"]),
            sources=tuple(_src_back(s) for s in m["sources"]), quiz=m["quiz"], version=m["version"],
            checkin=m.get("checkin", False),
            sections=tuple(model.Section(id=s["id"], title=s["title"], text=s["text"], html=render(s["text"]),
                                         audiences=tuple(s["audiences"]), checkin=s.get("checkin", False))
                           for s in m["sections"]),
        ) for m in data["modules"]),
        quizzes=tuple(_quiz_back(q) for q in data["quizzes"]),
        directory=tuple(model.DirectoryEntry(
            id=e["id"], name=e["name"], department=e["department"], concerns=tuple(e["concerns"]),
            audiences=tuple(e["audiences"]), description=e["description"], source=e["source"],
            lines=tuple(e["lines"]) if e["lines"] else None, phone=e["phone"], address=e["address"], hours=e["hours"],
        ) for e in data["directory"]),
        contacts=model.HelpContacts(emergency=data["contacts"]["emergency"], contacts=tuple(
            model.HelpContact(id=c["id"], name=c["name"], kind=c["kind"], number=c["number"], url=c["url"],
                              audiences=tuple(c["audiences"]),
                              hours=Hours(c["hours"]["text"], tuple(c["hours"]["open"]), tuple(c["hours"]["closed"])),
                              source_url=c["source_url"], source_note=c["source_note"],
                              found_on=dt.date.fromisoformat(c["found_on"]), note=c.get("note", ""),
                              order=c.get("order", 0),
                              verified_on=dt.date.fromisoformat(c["verified_on"]) if c.get("verified_on") else None)
            for c in data["contacts"]["contacts"])),
        survey=model.Survey(
            scale=tuple(survey["scale"]),
            efficacy=tuple(model.SurveyItem(id=i["id"], text=i["text"], audiences=tuple(i.get("audiences", ())))
                           for i in survey["efficacy"]),
            knowledge=tuple(model.SurveyItem(id=i["id"], text=i["text"], answer=i["answer"],
                                             explanation=i["explanation"], audiences=tuple(i.get("audiences", ())))
                            for i in survey["knowledge"]),
            distress_id=survey["distress"]["id"], distress_text=survey["distress"]["text"],
            distress_options=tuple(model.DistressOption(**o) for o in survey["distress"]["options"]),
            license_note=survey["license_note"],
            distress_help=survey["distress"].get("help_text", ""),
            distress_variants=tuple(model.DistressText(audiences=tuple(v["audiences"]), text=v["text"],
                                                       help_text=v.get("help_text", ""))
                                    for v in survey["distress"].get("variants", ())),
        ),
        version=data["version"],
    )
