"""`python -m bookbuild [--root DIR] [--all]`: stage, build and check the book.

Output goes to DIR/_build/: html/ (the site), student_src/ (the staged sources),
.jupyter_cache/ (executed notebooks, keyed by their code), jupyter_execute/, .doctrees/.
"""

import argparse
import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

from autograder.course.student import leaks

from . import icons, offline, stage, vendor


def build(root: Path, fresh: bool = False) -> int:
    """Build the book at `root`; return 0 if it built cleanly and passed the checks."""
    start = time.monotonic()
    build_dir = root / "_build"
    vendor.ensure_node_modules()
    staged = stage.stage(root, build_dir / "student_src", vendor.asset_files())
    for file in staged.missing:
        print(f"bookbuild: {file} does not exist yet, left out of this build")
    # Sphinx re-reads only changed pages and so forgets the warnings of unchanged ones:
    # after a failed build, rebuild every page (execution stays cached) to see them again.
    passed = build_dir / ".last-build-passed"
    fresh = fresh or staged.assets_changed or not passed.exists()
    fresh |= _forget_outputs_of_old_convlab(build_dir)
    passed.unlink(missing_ok=True)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")  # the venv's, as pip made it
    command = [str(jupyter_book), "build", str(build_dir / "student_src"),
               "--path-output", str(root), "--warningiserror", "--nitpick", "--keep-going"]
    if fresh:
        command.append("--all")
    if subprocess.run(command).returncode != 0:
        print("bookbuild: jupyter-book failed; failing cells are in _build/html/reports/")
        return 1
    html = build_dir / "html"
    icons.trim(html)
    if check(html):
        return 1
    passed.touch()
    print(f"bookbuild: {html}/index.html built in {time.monotonic() - start:.0f} s")
    return 0


def _forget_outputs_of_old_convlab(build_dir: Path) -> bool:
    """Clear the execution cache if convlab changed since it was filled; True if cleared.

    The cache is keyed by each notebook's code, but the outputs embed convlab's work: a
    panel's HTML inlines convlab/js/panels.js, so a cached page would keep an old panel.
    """
    convlab = Path(__file__).resolve().parents[1] / "convlab"
    digest = hashlib.sha256()
    for path in sorted(p for p in convlab.rglob("*") if p.suffix in (".py", ".js")):
        digest.update(path.relative_to(convlab).as_posix().encode() + path.read_bytes())
    stamp = build_dir / ".jupyter_cache.convlab-sha256"
    if stamp.is_file() and stamp.read_text() == digest.hexdigest():
        return False
    shutil.rmtree(build_dir / ".jupyter_cache", ignore_errors=True)
    build_dir.mkdir(exist_ok=True)
    stamp.write_text(digest.hexdigest())
    return True


def check(html: Path) -> int:
    """Scan a built site for network references and instructor-only text; count problems."""
    problems = [f"network reference: {p}" for p in offline.remote_references(html)]
    problems += [f"instructor-only text: {p}" for p in leaks(html)]
    for problem in problems:
        print(f"bookbuild: {problem}")
    return len(problems)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bookbuild", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path.cwd(),
                        help="folder with _config.yml, _toc.yml and chapters/ (default: .)")
    parser.add_argument("--all", action="store_true",
                        help="re-read every page, not only changed ones (execution stays cached)")
    parser.add_argument("--check-only", action="store_true",
                        help="only scan the built site (DIR/_build/html) for network references "
                             "and instructor-only text")
    args = parser.parse_args()
    if args.check_only:
        return 1 if check(args.root.resolve() / "_build" / "html") else 0
    return build(args.root.resolve(), fresh=args.all)


if __name__ == "__main__":
    sys.exit(main())
