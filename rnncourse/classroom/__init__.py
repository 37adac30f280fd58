"""The classroom: a JupyterHub for the course, with nbgrader's exchange between real accounts.

    make hub                                    # python -m rnncourse.classroom hub
    make release-assignment A=a1_numpy_rnn      # nbgrader release_assignment (DUE=... sets a due date)
    make collect A=a1_numpy_rnn                 # nbgrader collect --update (the latest submission counts)
    make release-feedback A=a1_numpy_rnn        # nbgrader release_feedback
    make lms-collect A=... ZIP=...              # nbgrader zip_collect of an LMS download
    make lms-grades                             # grades as a CSV for the LMS's gradebook import

Modules (docs/classroom.md explains the design):

- :mod:`.settings`: ``hub/classroom.toml``, every knob of the classroom;
- :mod:`.accounts`: Unix accounts and their generated passwords; :mod:`.auth`: single mode's login;
- :mod:`.views`: what each person's server can see (bubblewrap, then their own Unix account);
- :mod:`.provision`: what ``make hub`` sets up (accounts, the shared course, the exchange, the
  students' wheel of ``rnncourse``, each role's Jupyter settings);
- :mod:`.exchange`: nbgrader's exchange permissions, their check, one command at a time;
  :mod:`.nbexchange`: the exchange classes nbgrader runs (private submissions, owner-checked
  collect, atomic releases, feedback for renamed notebooks);
- :mod:`.nbconfig`: the classroom's part of ``nbgrader_config.py``; :mod:`.late`: late penalties;
- :mod:`.spawner` and :mod:`.hubconfig`: JupyterHub's spawner and configuration; :mod:`.hub`:
  starting and stopping it;
- :mod:`.lms`: zip_collect of Canvas and Moodle downloads, the Canvas grades CSV;
- ``__main__``: the commands above.
"""
