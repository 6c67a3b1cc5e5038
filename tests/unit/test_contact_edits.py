"""The ward's edits over the content files (training/contact_edits.py): plain functions, no database."""
import datetime as dt
from pathlib import Path

from training.contact_edits import (
    LineState, Verification, build, contact_problems, contact_values, months_before,
)
from training.content import load_checked
from training.models import ContactEdit

CONTENT = load_checked(Path(__file__).resolve().parents[2])
AT = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.timezone.utc)


def test_twelve_calendar_months_in_jst():
    assert months_before(dt.date(2026, 12, 1), 12) == dt.date(2025, 12, 1)
    assert months_before(dt.date(2028, 2, 29), 12) == dt.date(2027, 2, 28)
    base = CONTENT.contacts.contacts[0]
    checked = LineState(base, base, False, (), Verification(AT, "区", base.source_url, ""))
    assert checked.status(dt.date(2027, 12, 1)) == "verified"
    assert checked.status(dt.date(2027, 12, 2)) == "stale"
    assert LineState(base, base, False, (), None).status(dt.date(2026, 12, 1)) == "unverified"


def test_edits_over_the_files_added_hidden_and_unreadable():
    yorisoi = next(c for c in CONTENT.contacts.contacts if c.id == "yorisoi")
    added = {**contact_values(yorisoi), "name": "区の相談窓口", "order": 5, "found_on": "2026-12-01"}
    edits = [
        ContactEdit(kind="contact", target_id="yorisoi", fields={"number": "0120-111-222"}, hidden=False, added=False),
        ContactEdit(kind="contact", target_id="kokoro-dial", fields={}, hidden=True, added=False),
        ContactEdit(kind="contact", target_id="tokyo-hotline", fields={"hours_open": ["毎日 12時-5時"]},
                    hidden=False, added=False),  # the current rules cannot read it: the file's line
        ContactEdit(kind="contact", target_id="ward-1", fields=added, hidden=False, added=True),
        ContactEdit(kind="directory", target_id=CONTENT.directory[0].id, fields={"phone": "03-0000-0000"},
                    hidden=False, added=False),
    ]
    state = build(CONTENT, edits, {"yorisoi": Verification(AT, "区", "https://www.since2011.net/yorisoi/", "")})
    shown = {c.id: c for c in state.contacts.contacts}
    assert state.contacts.contacts[0].id == "ward-1"  # order 5 comes before the file's 10, 20…
    assert shown["yorisoi"].number == "0120-111-222" and shown["yorisoi"].verified_on == dt.date(2026, 12, 1)
    assert "kokoro-dial" not in shown and state.line("kokoro-dial").hidden
    assert shown["tokyo-hotline"].hours.open == ("毎日 12:00-翌05:30",)
    assert state.line("yorisoi").edited == ("number",)
    assert state.directory[0].phone == "03-0000-0000" and state.directory_edited == {CONTENT.directory[0].id}
    assert [x.contact.id for x in state.needing_check(dt.date(2026, 12, 1))].count("yorisoi") == 0


def test_a_line_and_a_number_together():
    line = next(c for c in CONTENT.contacts.contacts if c.kind == "line")
    problems = contact_problems({**contact_values(line), "number": "0570-000-000", "url": "javascript:alert(1)"})
    assert set(problems) == {"number", "url"}
    assert contact_problems(contact_values(line)) == {}
