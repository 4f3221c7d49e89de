"""Helpers shared by the tests: plain functions and classes, no tests and no fixtures.

Test modules import from here (``tests.common.web``, ``tests.common.apps`` …), never from one
another; the fixtures built on these helpers live in the ``conftest.py`` files.
"""
