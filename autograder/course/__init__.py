"""The course: its assignments, who submitted what and when, what it was due, what it scores,
and the graded records on disk.

Interface (import from the modules):

- ``source``: the instructor's source notebooks (:func:`~.source.find_assignments`,
  :func:`~.source.parse_template`).
- ``student``: the student version of a notebook (release, book and grader alike), the
  course's nbgrader config and the one list of leak markers (:data:`~.student.LEAK_MARKERS`).
- ``requirements``: a chapter's pinned requirements.txt, derived from what its notebook and
  convlab import (:func:`~.requirements.requirements_txt`); ``handout``: that file and the
  student's README.md in a released chapter (:func:`~.handout.write`).
- ``submissions``: nbgrader's submitted layout read safely into
  :class:`~.submissions.NotebookJob` s (:func:`~.submissions.find_submissions`,
  :func:`~.submissions.notebook_jobs`), everything under SUBMISSIONS that is not graded
  (:func:`~.submissions.unplaced`), and the code fingerprint.
- ``safe_text``: student-controlled names and text made safe for the instructor's
  terminal and spreadsheet (:func:`~.safe_text.shown`, reversible with
  :func:`~.safe_text.raw`; :func:`~.safe_text.safe` for free text).
- ``course_secret``: the course's secret, each student's case seed, and each
  submission's seed (:func:`~.course_secret.submission_seed`, from its answer cells).
- ``collect``: an LMS's submissions download (Canvas, Moodle) -> the submitted layout, with
  each submission's time (``timestamps``: nbgrader's ``timestamp.txt``) and every file it
  could not place.
- ``course_file``: ``course.toml`` -> :class:`~.course_file.Course` (due dates,
  extensions, the late policy, the roster, the secret, the overrides file).
- ``late_policy``: due date + submission time -> the late penalty (pure arithmetic).
- ``overrides``: the instructor's hand-set points, checked against the exercises.
- ``final``: an autograded record + course + overrides -> :class:`~.final.Final`, the final
  score with its parts; ``shown``: its one wording for feedback, grades.csv and the report.
- ``commands``: the ``collect`` and ``override`` commands and what ``grade`` applies.
- ``records``: the typed records grading produces (:class:`~.records.Submission`,
  :class:`~.records.Graded`) and their JSON form.
- ``results``: records and feedback saved atomically, and the tables rebuilt from them.

It depends only on the sandbox's safe file reads (``sandbox.hostile_fs``), nbgrader and the
installed packages' metadata (``requirements``):
every other part of the grader may read the course, and the course reads none of them.
"""
