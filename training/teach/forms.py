"""Instructor forms."""
from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from training.form_messages import JapaneseForm
from training.text_input import max_length


class ClassForm(JapaneseForm):
    name = StringField("クラス名（例：令和8年度 窓口職員向け 11月）",
                       validators=[DataRequired("クラス名を入力してください。"), max_length(120)])
    audience = SelectField("受講区分", choices=[], validate_choice=True)
    fiscal_year = IntegerField("年度（西暦。4月〜翌年3月）",
                               validators=[DataRequired("年度を入力してください。"),
                                           NumberRange(2000, 2100, "2000〜2100の年度を入力してください。")])
    starts_on = DateField("開始日（任意）", validators=[Optional()])
    due_on = DateField("受講期限（任意）", validators=[Optional()])
    join_enabled = BooleanField("参加コードでの自己登録を受け付ける")
    counts_earlier_completions = BooleanField("開始日より前の修了も、このクラスの修了として数える")

    def validate_due_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("受講期限は開始日より後の日付にしてください。")


class CopyClassForm(JapaneseForm):
    """Copy a class to the next fiscal year (the name comes with the new year, editable)."""
    name = StringField("新しいクラス名", validators=[DataRequired("クラス名を入力してください。"), max_length(120)])
    with_members = BooleanField("受講者も新しいクラスに登録する")


class ConfirmForm(JapaneseForm):
    """A form with nothing but its CSRF token (archive, restore, delete)."""


class RosterForm(JapaneseForm):
    file = FileField("名簿ファイル（CSV。UTF-8 または Shift_JIS）")


class OwnerForm(JapaneseForm):
    login_id = StringField("追加する研修担当のログインID", validators=[DataRequired("ログインIDを入力してください。"),
                                                                 max_length(64)])


class JoinForm(JapaneseForm):
    code = StringField("参加コード（例：ABCD-EFGH）", validators=[DataRequired("参加コードを入力してください。"),
                                                               max_length(20)])


class AssignmentForm(JapaneseForm):
    """Assign a whole course, or one module of it, to a class.

    The module list is grouped by course (one optgroup per course, each module named once in
    it); an option's value names the pair ``course/module``, so a module shared by several
    courses is always the one of the course it was picked under. The pair must match the
    course chosen above (checked here, without JavaScript): otherwise the module field says so.
    A bare module id (older forms) is taken as a module of the chosen course.
    """

    course_id = SelectField("講座", choices=[], validate_choice=True)
    module_id = StringField("モジュール（任意。選ぶと、そのモジュールだけが課題になります）")
    due_on = DateField("期限（任意）", validators=[Optional()])

    content = None  # set by assignment_form

    def validate_module_id(self, field):
        value = (field.data or "").strip()
        course = self.content.course(self.course_id.data or "") if self.content else None
        if not value or course is None:
            field.data = None
            return
        course_part, _, module_part = value.rpartition("/")
        module = self.content.module(module_part) if len(module_part) <= 64 else None
        if module is None or len(course_part) > 64:
            raise ValidationError("モジュールは選択肢の中から選んでください。")
        if (course_part and course_part != course.id) or module.id not in course.modules:
            raise ValidationError(
                f"モジュール『{module.title}』は講座「{course.title}」に含まれていません。"
                f"講座「{course.title}」の見出しの下にあるモジュールを選ぶか、講座を選び直してください。")
        field.data = module.id


def assignment_form(content, cohort) -> AssignmentForm:
    """The assignment form with the content's courses (the class's own course first chosen);
    filled from the request when it is a submission."""
    form = AssignmentForm()
    form.content = content
    form.course_id.choices = [(c.id, c.title) for c in content.courses]
    if not form.is_submitted():
        own = content.course_for_audience(cohort.audience)
        form.course_id.data = own.id if own else None
    return form
