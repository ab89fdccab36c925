"""A visible check names the likely mistake in the hidden check's words, from its catalogue.

The release writes each chapter's table (autograder/course/visible_mistakes.py); a student's
failed visible check whose answer is a named mistake's says so (convlab.selfcheck.expect).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.checks import CHECKS
from autograder.course import visible_mistakes
from autograder.course.source import PROJECT, parse_template
from autograder.release import release
from convlab import selfcheck

NOTEBOOKS = sorted((PROJECT / "chapters").glob("*/*.ipynb"))
# test cells whose visible part needs the chapter's earlier cells (it cannot run alone)
NEEDS_EARLIER_CELLS = {"ch09.train_steps"}


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release")
    release(PROJECT / "chapters", out)
    return out


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_every_visible_check_with_named_mistakes_can_name_one(notebook):
    template = parse_template(notebook.read_text(encoding="utf-8"), CHECKS)
    named = visible_mistakes.table(notebook)
    silent = [h.check_id for cell in template.tests for h in cell.checks
              if CHECKS[h.check_id].mistakes and h.check_id not in NEEDS_EARLIER_CELLS
              and not any(why in named for why in visible_mistakes.whys(cell.given))]
    assert not silent, f"no visible case of {silent} tells any named mistake from the answer"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_the_release_ships_the_table_and_no_right_answer(released, notebook):
    shipped = json.loads((released / notebook.parent.name / "convlab" / visible_mistakes.FILE)
                         .read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(visible_mistakes.table(notebook)))
    for visible in visible_mistakes.visible_checks(notebook):
        for why, value in visible.received(CHECKS[visible.check_id].reference).items():
            wrongs = [wrong for _, _, wrong in shipped.get(why, ())]
            assert not any(selfcheck.agrees(wrong, value) for wrong in wrongs), why


@pytest.mark.parametrize("check_id", ["ch01.useful_weights", "ch03.smallest_bottleneck",
                                      "ch06.grouped_conv2d", "ch08.ceil_mode_changes"])
def test_a_student_who_makes_a_named_mistake_is_told_its_name(released, monkeypatch, check_id):
    notebook, = (PROJECT / "chapters").glob(f"{check_id[2:4]}_*/*.ipynb")
    monkeypatch.setattr(selfcheck, "LIKELY_MISTAKES",
                        released / notebook.parent.name / "convlab" / visible_mistakes.FILE)
    selfcheck._catalogue.cache_clear()
    visible = next(v for v in visible_mistakes.visible_checks(notebook) if v.check_id == check_id)
    told = set()
    for mistake in CHECKS[check_id].mistakes:
        def answer(*args, mistake=mistake, **kwargs):
            bound = visible.signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return mistake.answer(*bound.arguments.values())

        namespace: dict = {}
        exec(visible.imports, namespace)  # noqa: S102 - the chapter's own cell
        namespace[visible.name] = answer  # the student's function, as the mistake computes it
        try:
            exec(visible.visible, namespace)  # noqa: S102 - the released visible check
        except selfcheck.CheckFailed as failed:
            if f"Likely mistake: {mistake.name} — " in str(failed):
                told.add(mistake.name)
        except Exception:  # noqa: BLE001, S110 - this mistake crashes here: nothing to name
            pass
    selfcheck._catalogue.cache_clear()
    assert told, f"{check_id}: no named mistake was named by the visible check"


def test_outside_a_release_there_is_no_table_and_checks_work_as_before(monkeypatch, tmp_path):
    monkeypatch.setattr(selfcheck, "LIKELY_MISTAKES", tmp_path / "absent.json")
    selfcheck._catalogue.cache_clear()
    with pytest.raises(selfcheck.CheckFailed) as failed:
        selfcheck.expect(3, 4, "a case")
    assert "Likely mistake" not in str(failed.value)
    selfcheck._catalogue.cache_clear()


def test_a_table_entry_is_named_only_for_its_own_check(monkeypatch, tmp_path):
    table = tmp_path / "t.json"
    table.write_text(json.dumps({"case A": [["stride ignored", "look at s", 7]]}))
    monkeypatch.setattr(selfcheck, "LIKELY_MISTAKES", table)
    selfcheck._catalogue.cache_clear()
    with pytest.raises(selfcheck.CheckFailed) as a:
        selfcheck.expect(7, 4, "case A")
    with pytest.raises(selfcheck.CheckFailed) as b:
        selfcheck.expect(7, 4, "case B")
    with pytest.raises(selfcheck.CheckFailed) as c:
        selfcheck.expect(6, 4, "case A")
    selfcheck._catalogue.cache_clear()
    assert "Likely mistake: stride ignored — look at s" in str(a.value)
    assert "Likely mistake" not in str(b.value) + str(c.value)
