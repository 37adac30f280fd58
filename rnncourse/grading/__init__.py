"""Course tooling behind the Makefile: every job takes a :class:`.course.Course`. No notebook imports it.

- :mod:`.course`: the course directory: paths, the gradebook, settings for subprocesses, scratch copies;
- :mod:`.config`: every literal and limit, and the table of environment variables;
- :mod:`.notebooks`: reading notebooks, cells by kind and grade id, solution and hidden-test markers;
- :mod:`.normalise`: source notebooks without outputs, editor metadata or random cell ids;
- :mod:`.expected`: the visible checks' expected values, regenerated from the reference;
- :mod:`.release`: ``make release``: the release (nbgrader) and the self-study editions;
- :mod:`.editions`: the self-study editions: exercises, solutions, the checks' reference code out of sight;
- :mod:`.site`: ``make site``: the executed solutions edition rendered by Sphinx, link-checked;
- :mod:`.learner_env`: ``make learner-env``: the learners' light install, checked in a fresh venv;
- :mod:`.runner`: running nbgrader in the course, bounded in time, its noise filtered;
- :mod:`.intake`: a submission rebuilt from the release with only the student's solution cells;
- :mod:`.audit`: the static audit of solution cells (no reaching for the test machinery);
- :mod:`.sandbox`: the bubblewrap sandbox every graded kernel runs in;
- :mod:`.execute`: nbgrader preprocessors that survive dying kernels and show stderr as output;
- :mod:`.pipeline`: one submission: intake, sandboxed nbgrader autograde, verification;
- :mod:`.parallel`: a class graded in parallel on Dask, the gradebook prepared once;
- :mod:`.autograde`: the ``make autograde`` / ``make feedback`` command line;
- :mod:`.scores`: scores from the gradebook, per student, assignment and cell;
- :mod:`.submissions`: submissions built as a student hands them in;
- :mod:`.variants`: catalog entries (mistakes, alternatives) applied to reference solutions;
- :mod:`.harness`: the fast harness that grades catalogs as nbgrader would;
- :mod:`.demo`: ``make demo``: a demo class graded in a scratch course;
- :mod:`.cleanup`: ``make clean`` and ``make erase-student-work``;
- :mod:`.pgserver`: a throwaway PostgreSQL server on loopback.
"""
