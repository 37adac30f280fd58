"""JupyterHub's configuration, entirely from hub/classroom.toml (hub/jupyterhub_config.py calls this).

``make hub`` starts JupyterHub in the state folder, next to the ``classroom.json`` it wrote there
(the course directory and the ports it chose); everything else comes from the settings.
"""

from __future__ import annotations

import json
from pathlib import Path

from .settings import load

RUNTIME = "classroom.json"
SERVICE = "classroom"  # an API token for the course's own tools (tests, bench): admin of users and servers


def runtime(state: Path) -> dict:
    return json.loads((Path(state) / RUNTIME).read_text())


def configure(c, state: Path) -> Path | None:
    """Fill the JupyterHub config ``c``; the extra config file to load last, if any."""
    info = runtime(state)
    settings = load(Path(info["course"]), info.get("override") or None)
    c.JupyterHub.bind_url = f"http://{settings.ip}:{settings.port}"
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{info['hub_port']}"
    c.JupyterHub.db_url = f"sqlite:///{settings.state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(settings.state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(settings.state / "jupyterhub.pid")
    c.ConfigurableHTTPProxy.command = [str(settings.proxy)]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{info['proxy_api_port']}"
    c.ConfigurableHTTPProxy.pid_file = str(settings.state / "proxy.pid")
    c.JupyterHub.cleanup_servers = True  # stopping the hub stops every server
    c.JupyterHub.cleanup_proxy = True

    users = set(settings.users)
    c.Authenticator.allowed_users = users
    c.Authenticator.admin_users = set()  # the instructor needs no rights over students' servers
    if settings.mode == "unix":
        c.JupyterHub.authenticator_class = "pam"
        c.PAMAuthenticator.open_sessions = False
        c.PAMAuthenticator.check_account = True
    else:
        c.JupyterHub.authenticator_class = "rnncourse.classroom.auth.PasswordFileAuthenticator"
        c.PasswordFileAuthenticator.passwords_file = str(settings.passwords)

    c.JupyterHub.spawner_class = "rnncourse.classroom.spawner.ClassroomSpawner"
    c.ClassroomSpawner.course_root = str(settings.root)
    c.ClassroomSpawner.override = info.get("override") or ""
    c.Spawner.ip = "127.0.0.1"
    c.Spawner.default_url = "/lab"
    c.Spawner.start_timeout = 180  # a first start imports JupyterLab and nbgrader on a busy machine
    c.Spawner.http_timeout = 180
    c.LocalProcessSpawner.interrupt_timeout = 10
    c.LocalProcessSpawner.term_timeout = 10

    c.JupyterHub.services = [{"name": SERVICE, "api_token": info["service_token"]}]
    c.JupyterHub.load_roles = [{
        "name": "classroom-tools", "services": [SERVICE],
        "scopes": ["admin:users", "admin:servers", "access:servers", "read:hub", "list:users", "tokens"],
    }]
    return settings.extra_config
