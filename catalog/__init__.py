"""Mistake catalogs: course content, beside ``source/``, one module per assignment.

``catalog/<assignment>.py`` lists ``MISTAKES`` (plausible student mistakes, each of which must
lose points in its own exercise and nowhere else), ``ALTERNATIVES`` (other correct solutions,
which must keep full marks) and ``DEMO`` (the mistakes of ``make demo``'s students). Each entry
is a :class:`rnncourse.grading.variants.Variant` of a reference solution cell.

The catalogs hold correct solutions, so they are instructor material: they are not part of the
``rnncourse`` package that students install, and the grading sandbox cannot see them.
``tests/test_catalogs.py`` proves every entry with the fast harness; ``make catalog A=...``
checks one assignment's.
"""
