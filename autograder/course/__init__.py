"""What the grader knows of the course: its assignments, the submissions, the secret, and
the graded records on disk.

Interface (import from the modules):

- ``source``: the instructor's source notebooks (:func:`~.source.find_assignments`,
  :func:`~.source.parse_template`, :func:`~.source.nbgrader_config`).
- ``submissions``: nbgrader's submitted layout read safely into
  :class:`~.submissions.NotebookJob` s (:func:`~.submissions.find_submissions`,
  :func:`~.submissions.notebook_jobs`), and the code fingerprint.
- ``course_secret``: the course's secret and each student's case seed.
- ``records``: the typed records grading produces (:class:`~.records.Submission`,
  :class:`~.records.Graded`) and their JSON form.
- ``results``: records and feedback saved atomically, and the tables rebuilt from them.

It depends only on the sandbox's safe file reads (``sandbox.hostile_fs``) and nbgrader:
every other part of the grader may read the course, and the course reads none of them.
"""
