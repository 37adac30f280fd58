"""The classroom: a JupyterHub for the course, with nbgrader's exchange between real accounts.

    make hub                                    # python -m rnncourse.classroom hub
    make release-assignment A=a1_numpy_rnn      # nbgrader release_assignment (DUE=... sets a due date)
    make collect A=a1_numpy_rnn                 # nbgrader collect --update (the latest submission counts)
    make release-feedback A=a1_numpy_rnn        # nbgrader release_feedback
    make lms-collect A=... ZIP=...              # nbgrader zip_collect of an LMS download
    make lms-grades                             # grades as a CSV for the LMS's gradebook import

Modules: :mod:`.settings` (hub/classroom.toml, every knob), :mod:`.accounts` (Unix accounts,
passwords), :mod:`.views` (what each person's server can see: bubblewrap), :mod:`.exchange`
(nbgrader's exchange: permissions, checks, collect that checks owners, one command at a time),
:mod:`.spawner` and :mod:`.hubconfig` (JupyterHub), :mod:`.lms` (zip_collect, Canvas CSV),
:mod:`.late` (late penalties), :mod:`.cli` (the commands above). See docs/classroom.md.
"""
