"""Running a notebook in a student kernel: which cells run, how each step runs, and how a
hidden check's outputs come back.

Interface (import from the modules; nothing is re-exported, so importing one does not
start jupyter_client or numpy for the others):

- ``assemble``: :func:`~.assemble.read_cells` reads a submitted notebook leniently and
  :func:`~.assemble.assemble` puts the student's answers into the instructor's cells.
- ``execute``: :class:`~.execute.Runner` runs one step at a time in a
  :class:`autograder.sandbox.Kernel`, surviving timeouts, kills and floods of output.
- ``recorder``: the grader's side of a hidden check (``write_cases``, ``recorder_call``,
  ``load_outputs``): the kernel runs ``checks/answers.py``, copied into its read-only
  grader dir, and hands back numbers or typed failures only.

It uses the sandbox (the kernel it runs in), checks (the cases' plain form) and the
course's source template; it knows nothing of grades or outputs.
"""
