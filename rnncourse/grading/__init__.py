"""Course tooling: release, demo class, fast grading harness and score tables.

The Makefile's targets are thin wrappers over nbgrader and over these modules. Nothing here
is imported by the notebooks.
"""
