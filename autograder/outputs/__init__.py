"""What people get from a graded batch: feedback pages, the class report, the gradebook and
the LMS exports.

Interface (import from the modules: ``report`` imports matplotlib, which the others do
not need):

- ``feedback``: a student's page (:func:`~.feedback.render`, :func:`~.feedback.header`,
  :func:`~.feedback.verdict_output`, :func:`~.feedback.without_host_paths`), with ``mathml``
  for the chapters' TeX, offline.
- ``report``: :func:`~.report.build`, the instructor's class report.
- ``gradebook``: :func:`~.gradebook.prepare` and :func:`~.gradebook.record`, the scores in
  nbgrader's own gradebook.
- ``export``: :func:`~.export.write`, grades.csv as a Canvas or Moodle import file.

Each reads the typed records of :mod:`autograder.course.records` (and the saved tables of
``course.results``); none of them grades, runs a kernel or parses message text.
"""
