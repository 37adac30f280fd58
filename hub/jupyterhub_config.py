# JupyterHub's configuration for the course. Nothing to edit here: every setting is in
# hub/classroom.toml (docs/classroom.md). `make hub` runs JupyterHub in the state folder (.hub/).
#
# Your own login (OAuthenticator, LTI...): put its settings in a file and name it in
# hub/classroom.toml, [hub] extra_config; it is loaded last and may override anything here.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from rnncourse.classroom.hubconfig import configure  # noqa: E402

c = get_config()  # noqa: F821
extra = configure(c, os.getcwd())
if extra:
    load_subconfig(str(extra))  # noqa: F821
