"""A directory kept equal to a set of files, touching only what changed.

Sphinx rebuilds a page when its source file's mtime changes, so rewriting identical files on
every `make book` would turn a cached rebuild into a full one.
"""

import filecmp
import shutil
from pathlib import Path


class Mirror:
    """Files written through this object stay; everything else under `target` is pruned."""

    def __init__(self, target: Path):
        self.target = target
        self.kept: set[Path] = set()
        self.changed: set[Path] = set()  # written or deleted by this object

    def write(self, relpath: str | Path, data: bytes) -> None:
        path = self._keep(relpath)
        if not (path.is_file() and path.read_bytes() == data):
            path.write_bytes(data)
            self.changed.add(path)

    def copy(self, relpath: str | Path, source: Path) -> None:
        path = self._keep(relpath)
        if not (path.is_file() and filecmp.cmp(source, path, shallow=True)):
            shutil.copy2(source, path)
            self.changed.add(path)

    def prune(self) -> None:
        """Delete files and empty folders that no write or copy asked for."""
        for path in sorted(self.target.rglob("*"), reverse=True):
            if path.is_file() and path not in self.kept:
                path.unlink()
                self.changed.add(path)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()

    def _keep(self, relpath: str | Path) -> Path:
        path = self.target / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        self.kept.add(path)
        return path
