"""Build the online book from the student versions of the chapter notebooks.

`python -m bookbuild` (what `make book` runs) goes through four steps, one module each:

- `vendor`  -- `npm ci` when the lock changed, then copy MathJax, require.js and the
  widgets HTML manager into the book, so no page loads anything from a CDN;
- `stage`   -- mirror the book into `_build/student_src/`, chapter notebooks turned into
  student versions by `autograder.course.student` (nbgrader's preprocessors, as in
  `autograder release`) and the toc cut to the chapters
  that exist;
- `jupyter-book build` of that staging copy into `_build/html/` (warnings are errors), with
  `sphinx_pages` (staged as `_ext/book_pages.py`) keeping the widgets manager off pages
  where no widget view remains;
- `icons` -- cut the theme's icon script, icon rules and icon fonts to the icons in use;
- `offline` and `autograder.course.student.leaks` -- scan the output for network
  references and for the instructor-only text the release refuses too.
"""
