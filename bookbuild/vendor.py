"""Browser assets from npm (versions pinned in package-lock.json), served from the book itself.

MyST-NB and Sphinx would otherwise point every page at cdnjs/jsDelivr for require.js, the
widgets HTML manager and MathJax; the book must work with no network at all.
"""

import hashlib
import shutil
import subprocess
from pathlib import Path

from filelock import FileLock

NPM_DIR = Path(__file__).resolve().parents[1]  # where package.json and the lock live
# Ours, not from npm: makes embed-amd.js find its fonts and MathJax 3 (see the file); names
# the controls the theme leaves unnamed; the book's layout rules (sphinx_pages.py adds both).
WIDGETS_SETUP = Path(__file__).with_name("js") / "widgets-setup.js"
OWN_ASSETS = {
    "widgets-setup.js": WIDGETS_SETUP,
    "accessible-names.js": Path(__file__).with_name("js") / "accessible-names.js",
    "book.css": Path(__file__).with_name("css") / "book.css",
}
NODE_MODULES = NPM_DIR / "node_modules"
STAMP = NODE_MODULES / ".bookbuild-lock.sha256"

# folder under _static/vendor/ -> (npm package, folder in it, what to copy from that folder)
ASSETS = {
    # MathJax's loader and core, TeX input (its extensions load on demand), CHTML output
    # and its fonts; no menu (see mathjax3_config in _config.yml).
    "mathjax": (
        "mathjax",
        "es5",
        ["startup.js", "core.js", "input/tex.js", "input/tex", "output/chtml.js",
         "output/chtml", "adaptors", "../LICENSE"],
    ),
    "requirejs": ("requirejs", "", ["require.js"]),  # its licence is in the file header
    # embed-amd.js bundles @jupyter-widgets/base 6 and controls 5, the ipywidgets 8 model
    # versions, and loads Font Awesome's fonts from its own folder.
    "html-manager": (
        "@jupyter-widgets/html-manager",
        "dist",
        # embed.js.LICENSE.txt lists the licences of the bundled packages (as in embed-amd.js)
        ["embed-amd.js", "*.woff", "*.woff2", "*.ttf", "*.eot", "*.svg",
         "embed.js.LICENSE.txt"],
    ),
}


# Test assets: npm devDependencies that the browser tests inject into pages they open.
# Never copied into the book (asset_files() knows only ASSETS); the tests check that.
TEST_ASSETS = {
    "axe": ("axe-core", "axe.min.js"),  # the accessibility audit (tests/book_browser.py)
}


def lock_digest() -> str:
    return hashlib.sha256((NPM_DIR / "package-lock.json").read_bytes()).hexdigest()


def ensure_node_modules() -> None:
    """Run `npm ci` unless node_modules was installed from this very package-lock.json."""
    lock_path = NPM_DIR / "_build" / ".npm-ci.lock"  # outside node_modules: npm ci deletes it
    lock_path.parent.mkdir(exist_ok=True)
    with FileLock(lock_path):  # parallel pytest workers may all build a book
        digest = lock_digest()
        if STAMP.is_file() and STAMP.read_text() == digest:
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm not found: the book vendors MathJax etc. with `npm ci` "
                               "(install Node.js 18+ with npm)")
        subprocess.run([npm, "ci"], cwd=NPM_DIR, check=True)
        STAMP.write_text(digest)


def test_asset(name: str) -> Path:
    """The file of a test asset in node_modules (installed from the lock if need be)."""
    package, file = TEST_ASSETS[name]
    ensure_node_modules()
    path = NODE_MODULES / package / file
    if not path.is_file():
        raise FileNotFoundError(f"{path}: {package} is not in package-lock.json's devDependencies")
    return path


def asset_files() -> dict[str, Path]:
    """Map each vendored file's path under `_static/vendor/` to its file in node_modules."""
    files = {}
    for folder, (package, base, patterns) in ASSETS.items():
        base_dir = (NODE_MODULES / package / base).resolve()
        for pattern in patterns:
            matches = sorted(base_dir.glob(pattern))
            if not matches:
                raise FileNotFoundError(f"{package}: nothing matches {base}/{pattern}")
            for match in matches:
                paths = sorted(match.rglob("*")) if match.is_dir() else [match]
                for path in filter(Path.is_file, paths):
                    path = path.resolve()
                    # a licence from the package root (`../LICENSE`) lands next to the bundle
                    inside = path.is_relative_to(base_dir)
                    relpath = path.relative_to(base_dir).as_posix() if inside else path.name
                    files[f"{folder}/{relpath}"] = path
    files.update(OWN_ASSETS)
    return files
