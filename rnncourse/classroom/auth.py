"""Single mode's login: the passwords ``make hub`` generated (there are no Unix accounts to ask PAM about)."""

from __future__ import annotations

from pathlib import Path

from jupyterhub.auth import Authenticator
from traitlets import Unicode

from .accounts import check_password


class PasswordFileAuthenticator(Authenticator):
    """Each allowed user logs in with their line of ``<state>/passwords.txt`` (compared in constant time)."""

    passwords_file = Unicode(help="the passwords make hub generated").tag(config=True)

    async def authenticate(self, handler, data):
        name, password = data.get("username", ""), data.get("password", "")
        if name in (self.allowed_users or ()) and check_password(Path(self.passwords_file), name, password):
            return name
        return None
