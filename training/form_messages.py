"""WTForms' own messages in Japanese, and the base form that uses them.

Validators in this app carry their Japanese messages, but a few errors come from WTForms
itself while it reads the data: a date that is no date, a number that is no number, a choice
that is not offered (a tampered or stale form, ``²`` in a number field). Without translations
those appear in English. The app's wording comes first; WTForms' bundled Japanese catalogue
covers anything else.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.i18n import get_translations

#: The app's wording for the messages a person can meet.
OWN_WORDING = {
    "Not a valid date value.": "日付を正しく入力してください（例：2026-04-01）。",
    "Not a valid datetime value.": "日時を正しく入力してください。",
    "Not a valid integer value.": "半角数字で入力してください。",
    "Not a valid decimal value.": "半角数字で入力してください。",
    "Not a valid float value.": "半角数字で入力してください。",
    "Not a valid choice.": "選択肢の中から選んでください。",
    "'%(value)s' is not a valid choice for this field.": "選択肢の中から選んでください。",
    "'%(value)s' are not valid choices for this field.": "選択肢の中から選んでください。",
    "Invalid Choice(s): one or more data inputs could not be coerced.": "選択肢の中から選んでください。",
    "Invalid choice(s): one or more data inputs could not be coerced.": "選択肢の中から選んでください。",
    "This field is required.": "入力してください。",
}


class JapaneseMessages:
    """A gettext-style translations object: the app's wording, then WTForms' Japanese catalogue."""

    def __init__(self):
        self._bundled = get_translations(["ja"])

    def gettext(self, string: str) -> str:
        """One message in Japanese."""
        return OWN_WORDING.get(string) or self._bundled.gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """A message with a count in Japanese (Japanese has no plural forms)."""
        return OWN_WORDING.get(singular) or self._bundled.ngettext(singular, plural, n)


_MESSAGES = JapaneseMessages()


class JapaneseForm(FlaskForm):
    """The base of every form here: FlaskForm (CSRF) with WTForms' messages in Japanese."""

    class Meta:
        def get_translations(self, form):
            """Japanese, whatever the request's language: the whole service is in Japanese."""
            return _MESSAGES
