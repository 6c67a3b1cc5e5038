"""The one permission decorator."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from training.extensions import login_manager


def roles_required(*roles: str):
    """Require a signed-in user holding at least one of ``roles`` (none given: any user).

    Anonymous users are sent to the login page; signed-in users without the role get 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = frozenset(roles)  # read by the access-matrix test
        return wrapped

    return decorator
