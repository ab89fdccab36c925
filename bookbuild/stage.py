"""The staging copy of the book that Jupyter Book builds: student notebooks only (made by
autograder.course.student, as the release's are)."""

from dataclasses import dataclass
from pathlib import Path

import yaml

from autograder.course import student

from . import toc
from .mirror import Mirror

# Besides the config, the toc's root page and the chapters, a book may grow these.
OPTIONAL = ("_static", "references.bib")
# Editor and interpreter leftovers never belong in the book.
JUNK = {".ipynb_checkpoints", "__pycache__", ".DS_Store"}
# html_extra_path in _config.yml: copied over the output root, so files land in _static/vendor/
# without being in html_static_path, where Jupyter Book would add every .js to every page.
VENDOR_DIR = Path("_vendor", "_static", "vendor")
# Our Sphinx extension, where _config.yml's `local_extensions` finds it.
EXTENSION = (Path(__file__).with_name("sphinx_pages.py"), Path("_ext", "book_pages.py"))


@dataclass
class Staged:
    missing: list[str]  # toc entries left out because they have no source yet
    assets_changed: bool  # Sphinx copies html_extra_path only when some page is rebuilt


def stage(root: Path, target: Path, assets: dict[str, Path]) -> Staged:
    """Mirror the book at `root` into `target`, chapter notebooks as student versions."""
    mirror = Mirror(target)
    kept_toc, missing = toc.present(root)
    mirror.write("_toc.yml", yaml.safe_dump(kept_toc, sort_keys=False).encode())
    mirror.write("_config.yml", book_config(root / "_config.yml"))
    for name in (f"{kept_toc['root']}.md", *OPTIONAL):
        _copy_tree(mirror, root, root / name, None)
    _copy_tree(mirror, root, root / "chapters", student.nbgrader_config())
    mirror.copy(EXTENSION[1], EXTENSION[0])
    for relpath, source in assets.items():
        mirror.copy(VENDOR_DIR / relpath, source)
    mirror.prune()
    vendor_dir = target / VENDOR_DIR
    return Staged(missing, any(p.is_relative_to(vendor_dir) for p in mirror.changed))


def book_config(path: Path) -> bytes:
    """The config as Jupyter Book gets it: no repository or launch buttons while no
    repository is set (they would lead nowhere)."""
    text = path.read_bytes()
    config = yaml.safe_load(text)
    if (config.get("repository") or {}).get("url"):
        return text
    config.pop("launch_buttons", None)
    html = config.setdefault("html", {})
    html["use_repository_button"] = html["use_issues_button"] = False
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True).encode()


def _copy_tree(mirror: Mirror, root: Path, top: Path, config) -> None:
    """Copy a file or folder under `root`, notebooks as student versions when `config` is set."""
    files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
    for path in files:
        relpath = path.relative_to(root)
        if JUNK.intersection(relpath.parts):
            continue
        if config is not None and path.suffix == ".ipynb":
            mirror.write(relpath, student.student_version(path, config, for_book=True))
        else:
            mirror.copy(relpath, path)
