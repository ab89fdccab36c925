"""The table of contents, cut down to the chapters that exist so far."""

from pathlib import Path

import yaml

SOURCE_SUFFIXES = (".ipynb", ".md")


def exists(root: Path, file: str) -> bool:
    """True if the toc entry `file` (written without suffix, as jb-book wants) has a source."""
    return any((root / f"{file}{suffix}").is_file() for suffix in SOURCE_SUFFIXES)


def entries(toc: dict) -> list[str]:
    """Every chapter `file` of a jb-book toc with parts, in order."""
    return [chapter["file"] for part in toc.get("parts", []) for chapter in part["chapters"]]


def present(root: Path) -> tuple[dict, list[str]]:
    """The toc of the book at `root` keeping only chapters that exist, and the missing ones.

    The committed `_toc.yml` lists all six chapters (the contract); while they are being
    written the build goes ahead with the ones there are, and says which it left out.
    """
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    missing = [file for file in entries(toc) if not exists(root, file)]
    parts = []
    for part in toc.get("parts", []):
        chapters = [c for c in part["chapters"] if c["file"] not in missing]
        if chapters:
            parts.append({**part, "chapters": chapters})
    kept = {key: value for key, value in toc.items() if key != "parts"}
    if parts:
        kept["parts"] = parts
    return kept, missing
