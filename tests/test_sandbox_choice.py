"""Which jail a machine grades in, decided from what its probes say (injected here).

Our own namespaces where the OS allows them; bubblewrap where only it may create them;
else the reason, with what to enable on this kind of machine.
"""

from __future__ import annotations

import shutil

import pytest

from autograder.sandbox import bubblewrap, choice, namespaces
from autograder.sandbox.bubblewrap import BubblewrapJail
from autograder.sandbox.choice import choose, named
from autograder.sandbox.namespaces import NamespaceJail
from autograder.sandbox.unsandboxed import Unsandboxed

REFUSED = "unshare user: Operation not permitted"


@pytest.fixture
def machine(monkeypatch):
    """Set what this machine's probes answer: {"namespaces": why, "bwrap": why} ("": works)
    and its sysctls; bwrap counts as installed."""
    answers = {"namespaces": "", "bwrap": "", "sysctl": {}}

    def probe(argv, preexec_fn=None, env=None):
        return answers["bwrap" if argv[0].endswith("bwrap") else "namespaces"]

    which = shutil.which
    monkeypatch.setattr(namespaces, "run_probe", probe)
    monkeypatch.setattr(bubblewrap, "run_probe", probe)
    monkeypatch.setattr(shutil, "which",
                        lambda name: "/usr/bin/bwrap" if name == "bwrap" else which(name))
    monkeypatch.setattr(choice, "jail_mode", lambda: "userns")
    monkeypatch.setattr(bubblewrap, "jail_mode", lambda: "userns")
    monkeypatch.setattr(bubblewrap, "_setuid", lambda path: False)
    monkeypatch.setattr(namespaces, "_sysctl", lambda name: answers["sysctl"].get(name, ""))
    return answers


def test_user_namespaces_allowed_means_our_own_jail_even_with_bwrap_there(machine):
    chosen = choose()
    assert isinstance(chosen, NamespaceJail) and chosen.mode == "userns"
    assert chosen.problem() == "" and chosen.warm
    assert chosen.describe().startswith("sandbox: user namespaces (an ordinary user);")


def test_refused_user_namespaces_with_a_working_bwrap_means_bubblewrap(machine):
    machine["namespaces"] = REFUSED
    chosen = choose()
    assert isinstance(chosen, BubblewrapJail) and chosen.problem() == ""
    assert not chosen.warm  # kernels start cold there, and describe() says so
    assert chosen.describe().startswith("sandbox: bubblewrap (cold kernel starts")


@pytest.mark.parametrize("sysctl, hint", [
    ({"kernel/apparmor_restrict_unprivileged_userns": "1"}, "bwrap-userns-restrict"),
    ({"kernel/unprivileged_userns_clone": "0"}, "kernel.unprivileged_userns_clone=1"),
    ({"user/max_user_namespaces": "0"}, "user.max_user_namespaces=15000"),
    ({}, "grade as root"),
])
def test_neither_says_why_and_what_to_enable(machine, sysctl, hint):
    machine.update(namespaces=REFUSED, bwrap="bwrap: loopback: Failed RTM_NEWADDR",
                   sysctl=sysctl)
    chosen = choose()
    problem = chosen.problem()
    assert isinstance(chosen, NamespaceJail)
    assert problem.startswith("it cannot sandbox: this user cannot create the jail's "
                              f"namespaces here ({REFUSED})")
    assert hint in problem
    assert problem.endswith("nor can bubblewrap: it cannot sandbox with bubblewrap: bwrap "
                            "fails here (bwrap: loopback: Failed RTM_NEWADDR)")


def test_bwrap_not_installed_is_named(machine, monkeypatch):
    machine["namespaces"] = REFUSED
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert "bwrap is not installed (apt-get install bubblewrap)" in choose().problem()


def test_jobs_name_their_sandbox_and_the_worker_resolves_it(machine):
    named.cache_clear()
    try:
        assert isinstance(named("bubblewrap"), BubblewrapJail)
        assert isinstance(named("namespaces"), NamespaceJail)
        assert isinstance(named("none"), Unsandboxed) and named("none").describe() == "none"
        machine["namespaces"] = REFUSED
        assert isinstance(named("auto"), BubblewrapJail)
        with pytest.raises(ValueError, match="sandbox name must be one of"):
            named("docker")
    finally:
        named.cache_clear()  # the fakes' answers must not outlive this test


def test_a_sandbox_resolved_once_keeps_its_choice_in_the_pools_workers():
    """The CLI resolves the sandbox once; each pool worker grades with a pickled copy."""
    import pickle

    setuid = BubblewrapJail()
    setuid._problem, setuid.namespaces = "", bubblewrap.NO_USER  # as find_problem picks it
    copy = pickle.loads(pickle.dumps(setuid))
    assert copy.one_kernel_at_a_time and copy.problem() == ""
    assert copy.label() == setuid.label()
