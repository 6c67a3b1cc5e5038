"""All models, importable from one place (Alembic's autogenerate needs them all loaded)."""
from training.models.api_token import ApiToken
from training.models.audit import AuditEntry
from training.models.base import Base, UTCDateTime, utcnow
from training.models.certificate import Certificate
from training.models.checkin import CheckIn
from training.models.job import JOB_STATUSES, Job
from training.models.department import REORG_KINDS, Department, DepartmentSuccessor
from training.models.contact import ContactEdit, ContactRevision, ContactVerification
from training.models.cohort import Assignment, Cohort, CohortMember, CohortOwner, Reminder, RosterUpload
from training.models.progress import (
    COMPLETION_KINDS,
    CourseCompletion,
    ModuleCompletion,
    QuizAttempt,
    ScenarioRun,
    SectionView,
    SurveyResponse,
)
from training.models.session import SESSION_MODES, SessionOwner, SessionParticipant, TrainingSession
from training.models.session_checkin import SessionCheckinRequest
from training.models.setting import SiteSetting
from training.models.sitting import QuizSitting
from training.models.slip import SlipBatch
from training.models.sign_in import LimitEvent, UserSession
from training.models.talk import TalkRequest
from training.models.user import AUDIENCES, ROLES, User, UserRole

__all__ = [
    "AUDIENCES",
    "COMPLETION_KINDS",
    "ApiToken",
    "ROLES",
    "Assignment",
    "AuditEntry",
    "Base",
    "Certificate",
    "CheckIn",
    "Cohort",
    "CohortMember",
    "CohortOwner",
    "ContactEdit",
    "ContactRevision",
    "ContactVerification",
    "CourseCompletion",
    "Department",
    "DepartmentSuccessor",
    "JOB_STATUSES",
    "Job",
    "REORG_KINDS",
    "LimitEvent",
    "ModuleCompletion",
    "QuizAttempt",
    "QuizSitting",
    "Reminder",
    "RosterUpload",
    "ScenarioRun",
    "SESSION_MODES",
    "SectionView",
    "SessionOwner",
    "SessionCheckinRequest",
    "SessionParticipant",
    "SiteSetting",
    "SlipBatch",
    "SurveyResponse",
    "TalkRequest",
    "TrainingSession",
    "UTCDateTime",
    "User",
    "UserRole",
    "UserSession",
    "utcnow",
]
