"""What the grader knows of the course: its assignments, the submissions, the secret, and
the graded records on disk.

Interface (import from the modules):

- ``source``: the instructor's source notebooks (:func:`~.source.find_assignments`,
  :func:`~.source.parse_template`).
- ``student``: the student version of a notebook (release, book and grader alike), the
  course's nbgrader config and the one list of leak markers (:data:`~.student.LEAK_MARKERS`).
- ``submissions``: nbgrader's submitted layout read safely into
  :class:`~.submissions.NotebookJob` s (:func:`~.submissions.find_submissions`,
  :func:`~.submissions.notebook_jobs`), everything under SUBMISSIONS that is not graded
  (:func:`~.submissions.unplaced`), and the code fingerprint.
- ``safe_text``: student-controlled names and text made safe for the instructor's
  terminal and spreadsheet (:func:`~.safe_text.shown`, reversible with
  :func:`~.safe_text.raw`; :func:`~.safe_text.safe` for free text).
- ``course_secret``: the course's secret, each student's case seed, and each
  submission's seed (:func:`~.course_secret.submission_seed`, from its answer cells).
- ``records``: the typed records grading produces (:class:`~.records.Submission`,
  :class:`~.records.Graded`) and their JSON form.
- ``results``: records and feedback saved atomically, and the tables rebuilt from them.

It depends only on the sandbox's safe file reads (``sandbox.hostile_fs``) and nbgrader:
every other part of the grader may read the course, and the course reads none of them.
"""
