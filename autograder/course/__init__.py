"""The course around the grading: who submitted what and when, what it was due, what it scores.

- :mod:`.collect`: an LMS's submissions download (Canvas, Moodle) -> nbgrader's submitted
  layout, with each submission's time and every file it could not place;
- :mod:`.course_file`: ``course.toml`` -> :class:`~.course_file.Course` (assignments, due
  dates, extensions, the late policy, the roster, the secret, the overrides file);
- :mod:`.late_policy`: due date + submission time -> the late penalty (pure arithmetic);
- :mod:`.overrides`: the instructor's hand-set points, checked against the exercises;
- :mod:`.final`: an autograded record + all of the above -> the final score with its parts.

Nothing here runs student code; it reads only the instructor's files and the trusted records.
"""
