"""``grade --scheduler``: grading on a Dask cluster gives the local pool's grades, whatever
the workers do (die, differ from the client, lack the sandbox).

The clusters are ``LocalCluster``s on loopback with real worker processes; the grader is
driven through its CLI, as an instructor runs it. dask is imported inside the tests so
that collecting the suite stays fast.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ordinary_user
import pytest
from grading_corpus import (
    ASSIGNMENT,
    FIXTURE_CHAPTERS,
    GOOD,
    PROJECT,
    corpus,
    good,
    grade_args,
    grades,
    run_cli,
    write,
)


def _sandbox_problem() -> str:
    from autograder.sandbox import sandbox_problem
    return sandbox_problem()


# The workers are ordinary users (ordinary_user.py): they jail kernels in user namespaces.
needs_sandbox = pytest.mark.skipif(bool(_sandbox_problem()),
                                   reason="this machine cannot create the jail's namespaces")

# One of each kind of trouble: right, wrong, unreadable, endless, exiting the kernel,
# cheating (monkeypatch, lying subclass), exhausting processes and memory.
SUBSET = ["good", "off_by_one", "invalid_json", "loop_in_function", "os_exit", "monkeypatch",
          "lying_subclass", "fork_bomb", "memory_bomb"]
TIMEOUT = 10  # seconds a cell may run: generous on a loaded machine; each loop costs it twice


@contextlib.contextmanager
def local_cluster(n_workers: int = 2, **scheduler_config):
    """A loopback scheduler, ``n_workers`` worker processes run as an ordinary user (each
    with a nanny, one thread), and a client of our own."""
    import dask
    from distributed import Client, LocalCluster
    config = {"distributed.comm.timeouts.connect": "120s",
              "temporary-directory": tempfile.gettempdir() + "/pytest-dask",  # not /tmp itself
              **scheduler_config}
    with dask.config.set(config):  # the scheduler reads its settings when it starts
        # No dashboard; the scheduler's HTTP routes (health, metrics) on a free port, not the
        # 8787 that concurrent tests would fight over.
        cluster = LocalCluster(host="127.0.0.1", scheduler_port=0, n_workers=0,
                               processes=True, dashboard_address=None,
                               scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
    folder, prefix = ordinary_user.workspace()
    workers = [_start_worker(cluster.scheduler_address, str(i), PROJECT, dict(os.environ),
                             prefix=prefix, nanny=True, local=folder / f"w{i}")
               for i in range(n_workers)]
    try:
        with Client(cluster, set_as_default=False) as client:
            if n_workers:
                client.wait_for_workers(n_workers, timeout=300)
            yield cluster.scheduler_address, client
    finally:
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        cluster.close(timeout=120)
        ordinary_user.remove(folder)


@pytest.fixture
def user_folder():
    folder, prefix = ordinary_user.workspace()
    try:
        yield folder, tuple(prefix)
    finally:
        ordinary_user.remove(folder)


# Whether a timed-out kernel answers its interrupt in time (a fork bomb's may not) depends
# on the machine's load, not on where it ran: both endings are the same timeout.
TIMED_OUT = re.compile(r"(timed out after \S+ s)(; the kernel had to be restarted| and was "
                       r"interrupted)")


def _untimed(text: str) -> str:
    return TIMED_OUT.sub(r"\1", text)


def _results(out: Path) -> dict[str, dict]:
    """The per-submission results, without how long anything took."""
    found = {}
    for path in (out / "results").rglob("*.json"):
        result = json.loads(_untimed(path.read_text()))
        result.pop("seconds")
        result.pop("sandbox")  # the workers jail as ordinary users, the local pool as root
        found[path.parent.name] = result
    return found


def _descendants(pid: int) -> list[tuple[int, float]]:
    import psutil
    return [(p.pid, p.create_time()) for p in psutil.Process(pid).children(recursive=True)]


def _survivors(processes: list[tuple[int, float]], seconds: float = 60) -> list[int]:
    """Those of ``processes`` still running after a grace period for their teardown."""
    import psutil
    deadline = time.monotonic() + seconds
    while True:
        alive = []
        for pid, created in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                p = psutil.Process(pid)
                if p.create_time() == created and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(pid)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def _sleepy(seconds: int) -> bytes:
    """A right answer that takes a while (idle, not busy: kind to a loaded machine)."""
    answer = f"import time\ntime.sleep({seconds})\n" + GOOD["output_size"]
    return json.dumps(good(output_size=answer)).encode()


@contextlib.contextmanager
def _grading(subs: Path, out: Path, address: str):
    """``grade --scheduler`` in the background; never outlives the test."""
    log = out.parent / f"{out.name}.stderr"
    with log.open("w") as stderr:
        batch = subprocess.Popen(
            [sys.executable, "-m", "autograder",
             *grade_args(subs, out, "--scheduler", address, timeout=60)],
            cwd=PROJECT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=stderr)
    batch.log = log
    try:
        yield batch
    finally:
        if batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)
        batch.wait()


def _finish(batch: subprocess.Popen) -> str:
    batch.wait(timeout=600)
    stderr = batch.log.read_text()
    assert batch.returncode == 0, stderr[-3000:]
    return stderr


def _wait_until(condition, what: str, batch: subprocess.Popen, seconds: float = 300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        assert batch.poll() is None, f"the batch ended before {what}: {batch.log.read_text()}"
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _processing(client, student: str | None = None) -> dict[str, list[str]]:
    """Workers busy with a grading task (of ``student``, if given)."""
    busy = {}
    for worker, keys in client.processing().items():  # keys: ("grade", "student/assignment", ...)
        prefix = f"{student}/" if student else ""
        keys = [k for k in keys if k[0] == "grade" and k[1].startswith(prefix)]
        if keys:
            busy[worker] = keys
    return busy


@pytest.mark.slow
@needs_sandbox
def test_a_dask_cluster_grades_exactly_like_the_local_pool(user_folder):
    # The local pool runs as the same ordinary user as the workers: the same jail and
    # memory cap, so that even how a memory bomb ends is the same.
    tmp_path, prefix = user_folder
    entries = {s: e for s, e in corpus([], []).items() if s in SUBSET}
    subs = tmp_path / "submitted"
    write(subs, entries)
    ordinary_user.hand_over(tmp_path)

    local = run_cli(*grade_args(subs, tmp_path / "local", timeout=TIMEOUT), prefix=prefix)
    assert local.returncode == 0, local.stderr[-3000:]
    with local_cluster() as (address, _):
        remote = run_cli(*grade_args(subs, tmp_path / "dask", "--scheduler", address,
                                     timeout=TIMEOUT))
    assert remote.returncode == 0, remote.stderr[-3000:]
    problems = tmp_path / "dask" / "problems.csv"
    assert "NOT SANDBOXED" not in remote.stderr and "warning" not in remote.stderr, (
        remote.stderr[-2000:] + (problems.read_text()[-3000:] if problems.exists() else ""))

    expected = {s: f"{score:g}" for s, (_, _, score) in entries.items()}
    assert {s: r["score"] for s, r in grades(tmp_path / "local").items()} == expected
    assert (tmp_path / "dask" / "grades.csv").read_bytes() == \
        (tmp_path / "local" / "grades.csv").read_bytes()
    assert _untimed((tmp_path / "dask" / "problems.csv").read_text()) == \
        _untimed((tmp_path / "local" / "problems.csv").read_text())
    assert _results(tmp_path / "dask") == _results(tmp_path / "local")
    pages = {p.relative_to(tmp_path / "local") for p in (tmp_path / "local").rglob("*.html")}
    assert pages == {p.relative_to(tmp_path / "dask") for p in (tmp_path / "dask").rglob("*.html")}


@pytest.mark.slow
@needs_sandbox
def test_a_killed_worker_loses_and_doubles_nothing(tmp_path):
    subs, out = tmp_path / "submitted", tmp_path / "graded"
    name = f"{ASSIGNMENT}.ipynb"
    entries = {"a_slow": (_sleepy(10), name, 6)}
    entries.update({s: e for s, e in corpus([], []).items() if s in ("good", "off_by_one")})
    write(subs, entries)
    with local_cluster() as (address, client), _grading(subs, out, address) as batch:
        _wait_until(lambda: list((out / "results").rglob("*.json")), "a first result", batch)
        # Kill a worker in the middle of a task: the slow one's, unless it already finished.
        busy = _wait_until(lambda: _processing(client, "a_slow") or _processing(client),
                           "a task in flight", batch)
        victim = sorted(busy)[0]
        pid = client.run(os.getpid, workers=[victim])[victim]
        orphans = _descendants(pid)  # its kernels and sandboxes, which must die with it
        os.kill(pid, signal.SIGKILL)
        stderr = _finish(batch)
    assert "not graded" not in stderr
    assert {s: r["score"] for s, r in grades(out).items()} == \
        {s: f"{score:g}" for s, (_, _, score) in entries.items()}
    assert len(list((out / "results").rglob("*.json"))) == len(entries)
    assert not _survivors(orphans)


@pytest.mark.slow
@needs_sandbox
def test_a_submission_that_keeps_killing_workers_is_not_graded_and_retried(tmp_path):
    subs, out = tmp_path / "submitted", tmp_path / "graded"
    name = f"{ASSIGNMENT}.ipynb"
    entries = {"a_victim": (_sleepy(5), name, 6), "b_good": (json.dumps(good()).encode(), name, 6)}
    write(subs, entries)
    # No second chance for a task whose worker dies, and one task per worker at a time, so
    # that exactly the victim's task is on the worker killed.
    with local_cluster(**{"distributed.scheduler.allowed-failures": 0,
                          "distributed.scheduler.worker-saturation": 1.0}) as (address, client):
        with _grading(subs, out, address) as batch:
            busy = _wait_until(lambda: _processing(client, "a_victim"), "the victim's task",
                               batch)
            victim = next(iter(busy))
            os.kill(client.run(os.getpid, workers=[victim])[victim], signal.SIGKILL)
            stderr = _finish(batch)
        assert f"a_victim/{ASSIGNMENT}: not graded (the worker grading it died, 1 time" \
            in stderr
        assert {s: r["score"] for s, r in grades(out).items()} == {"b_good": "6"}
        assert not (out / "feedback" / "a_victim").exists()

        client.wait_for_workers(2, timeout=300)  # the nanny restarts the killed worker
        again = run_cli(*grade_args(subs, out, "--scheduler", address, timeout=60))
    assert again.returncode == 0, again.stderr[-3000:]
    assert "1 to grade, 1 already graded" in again.stderr
    assert {s: r["score"] for s, r in grades(out).items()} == {"a_victim": "6", "b_good": "6"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("address, message", [
    ("tcp://127.0.0.1:{port}", "cannot connect to the Dask scheduler at tcp://127.0.0.1:"),
    ("nonsense://somewhere", "is not a Dask scheduler address"),
    ("tcp://10.0.0.5", "missing port"),
])
def test_an_unreachable_scheduler_is_one_clear_error_and_writes_nothing(tmp_path, address,
                                                                        message):
    write(tmp_path / "subs", {"alice": (json.dumps(good()).encode(), f"{ASSIGNMENT}.ipynb", 6)})
    env = dict(os.environ, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="3s")
    done = subprocess.run(
        [sys.executable, "-m", "autograder", *grade_args(
            tmp_path / "subs", tmp_path / "out", "--scheduler", address.format(port=_free_port()))],
        capture_output=True, text=True, timeout=300, cwd=PROJECT, env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not (tmp_path / "out").exists()


def _start_worker(address: str, name: str, cwd: Path, env: dict, prefix=(), nanny=False,
                  local: Path | None = None) -> subprocess.Popen:
    """``dask worker`` (``prefix``: as another user, or in a namespace)."""
    argv = [sys.executable, "-m", "distributed.cli.dask_worker", address, "--name", name,
            "--nthreads", "1", "--nanny" if nanny else "--no-nanny", "--no-dashboard",
            "--host", "127.0.0.1"]
    if local is not None:
        argv += ["--local-directory", str(local)]
    return subprocess.Popen([*prefix, *argv], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


@pytest.mark.slow
def test_workers_with_other_code_or_no_sandbox_are_refused_up_front_and_in_the_task(tmp_path):
    from autograder import cluster
    from autograder.course.source import find_assignments
    from autograder.course.submissions import notebook_jobs

    # "stale": another commit of the project (one changed line); "unjailed": our code, but
    # in a user namespace that may create no further ones (as where a distribution forbids
    # unprivileged user namespaces), so it cannot build the jail.
    stale = tmp_path / "stale"
    for package in ("autograder", "solutions", "convlab"):
        shutil.copytree(PROJECT / package, stale / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    with (stale / "solutions" / "__init__.py").open("a") as f:
        f.write("\n# a later commit\n")
    bin_dir = os.path.dirname(sys.executable)
    write(tmp_path / "subs", {"alice": (json.dumps(good()).encode(), f"{ASSIGNMENT}.ipynb", 6)})

    with local_cluster(n_workers=0) as (address, client):
        workers = [
            _start_worker(address, "stale", stale, dict(os.environ, PYTHONPATH=os.pathsep.join(
                [str(stale), os.environ.get("PYTHONPATH", "")]))),
            _start_worker(address, "unjailed", PROJECT,
                          dict(os.environ, PATH=f"{bin_dir}:/usr/bin:/bin"), prefix=(
                              "unshare", "--user", "--map-root-user", "sh", "-c",
                              'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', "-")),
        ]
        try:
            client.wait_for_workers(2, timeout=300)
            done = run_cli(*grade_args(tmp_path / "subs", tmp_path / "out",
                                       "--scheduler", address))
            assert done.returncode == 2
            assert "refusing to grade on this cluster" in done.stderr
            assert "(stale): its grading code (autograder, solutions, convlab) differs" \
                in done.stderr
            assert "(unjailed): it cannot sandbox" in done.stderr
            assert "--no-sandbox" in done.stderr
            assert not (tmp_path / "out").exists()

            # A worker that joins after the check is caught by the task itself.
            job = _job(tmp_path / "subs" / "alice" / ASSIGNMENT,
                       find_assignments(FIXTURE_CHAPTERS)[ASSIGNMENT], notebook_jobs)
            names = client.run(lambda dask_worker: str(dask_worker.name))  # by value
            by_name = {name: worker for worker, name in names.items()}
            for name, why in [("stale", "differs"), ("unjailed", "cannot sandbox")]:
                future = client.submit(cluster.grade_task, job, cluster.identity(), pure=False,
                                       workers=[by_name[name]])
                with pytest.raises(cluster.UnfitWorker, match=f"\\({name}\\): .*{why}"):
                    future.result(timeout=300)
        finally:
            for worker in workers:
                worker.kill()
                worker.wait()


def _job(folder: Path, assignment, notebook_jobs):
    from autograder.course.submissions import code_fingerprint
    from autograder.grade import Job
    return Job("alice", ASSIGNMENT, notebook_jobs(folder, assignment), "/nowhere/convlab",
               timeout=TIMEOUT, wall_clock=600, case_seed=1, code=code_fingerprint(), jail="auto")


def test_refusals_name_every_reason():
    from autograder.cluster import identity, refusals
    mine = identity()
    fit = {"name": "w", "identity": mine, "sandbox": "", "threads": 1}
    assert refusals(fit, mine, sandboxed=True) == []
    odd = dict(fit, identity=dict(mine, python="3.12"), sandbox="it cannot sandbox (x)",
               threads=4)
    why = refusals(odd, mine, sandboxed=True)
    assert len(why) == 3
    assert "python differs" in why[0] and "same project commit" in why[0]
    assert why[1].startswith("it cannot sandbox (x)") and "--no-sandbox" in why[1]
    assert "4 threads" in why[2] and "--nthreads 1" in why[2]
    assert refusals(odd, mine, sandboxed=False) == why[:1]  # unsandboxed: threads are fine
    assert "could not describe" in refusals({"name": "w", "error": "boom"}, mine, True)[0]


def _fake_grade(job, expected):
    from autograder.course.records import Graded, Submission
    return Graded(Submission(job.student_id, job.assignment_id, job.key, False, "none", ()),
                  {})


def test_a_big_class_is_fed_to_the_scheduler_in_portions(tmp_path, monkeypatch):
    import dask
    from distributed import Client, LocalCluster

    from autograder import batch, cluster
    from autograder.course.submissions import NotebookJob
    from autograder.grade import Job
    jobs = [Job(f"s{i:02}", ASSIGNMENT, (NotebookJob(ASSIGNMENT, "{}", b"x" * 1000),), "",
                timeout=1, wall_clock=60, case_seed=i, code="", jail="none")
            for i in range(12)]
    monkeypatch.setattr(cluster, "MAX_IN_FLIGHT", 2500)  # room for two jobs' notebooks
    monkeypatch.setattr(cluster, "grade_task", _fake_grade)
    counts = {"submitted": 0, "saved": 0, "most": 0}
    save = batch.accept

    def accept(*args):
        counts["saved"] += 1
        save(*args)
    monkeypatch.setattr(batch, "accept", accept)
    with dask.config.set({"distributed.comm.timeouts.connect": "120s"}):
        local = LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                             dashboard_address=None,
                             scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
    try:
        with Client(local, set_as_default=False) as client:
            submit = client.submit

            def counted(*args, **kwargs):
                counts["submitted"] += 1
                counts["most"] = max(counts["most"], counts["submitted"] - counts["saved"])
                return submit(*args, **kwargs)
            monkeypatch.setattr(client, "submit", counted)
            errors = cluster.run(client, jobs, tmp_path, expected={})
    finally:
        local.close(timeout=120)
    assert errors == []
    assert counts["submitted"] == counts["saved"] == 12 and counts["most"] == 2
    assert sorted(p.stem for p in (tmp_path / "results").rglob("*.json")) == [ASSIGNMENT] * 12
    assert len(list((tmp_path / "results").iterdir())) == 12


@pytest.mark.slow
def test_a_plain_install_fingerprints_like_the_checkout(tmp_path):
    """A worker's ``pip install .`` must hold all the grading code (subpackages too), or
    every worker would be refused as running other code."""
    from autograder.course.submissions import code_fingerprint
    copy = tmp_path / "project"  # built outside the checkout: no build/ left in it
    copy.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT / name, copy / name)
    for package in ("autograder", "solutions", "convlab"):
        shutil.copytree(PROJECT / package, copy / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                           "--no-build-isolation", "--no-compile", "--target",
                           str(tmp_path / "site"), str(copy)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert code_fingerprint(tmp_path / "site") == code_fingerprint(copy)


@pytest.mark.skipif(os.geteuid() != 0, reason="the per-worker system users exist only as root")
@needs_sandbox
def test_root_workers_remove_their_system_users_when_the_batch_ends(tmp_path):
    """As root, each worker grades as a system user of its own (sandbox.machine); once the
    batch has ended, the workers delete them, as a local batch does."""
    import fcntl
    import pwd

    from autograder.sandbox import machine

    def held_by_others(name: str) -> bool:  # another batch's slot: its lock says so
        lock = os.open(machine.SLOT_DIR / f"slot{name[len('convlab-grader'):]}.lock", os.O_RDWR)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(lock)

    write(tmp_path / "subs", {"alice": (json.dumps(good()).encode(), f"{ASSIGNMENT}.ipynb", 6)})
    with local_cluster(n_workers=0) as (address, client):
        worker = _start_worker(address, "root", PROJECT, dict(os.environ))  # as root
        try:
            client.wait_for_workers(1, timeout=300)
            made = client.run(lambda: pwd.getpwuid(
                __import__("autograder.sandbox.machine").sandbox.machine.slot_user()[0]).pw_name)
            (name,) = made.values()  # the worker's user, as its first kernel makes it
            done = run_cli(*grade_args(tmp_path / "subs", tmp_path / "out",
                                       "--scheduler", address, timeout=TIMEOUT))
            assert done.returncode == 0, done.stderr[-3000:]
            assert grades(tmp_path / "out")["alice"]["score"] == "6"
            assert "warning" not in done.stderr, done.stderr[-2000:]
        finally:
            os.killpg(worker.pid, signal.SIGKILL)  # its slot lock goes with it
            worker.wait()
    # Gone, unless another batch on this machine has taken the same slot since.
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    assert held_by_others(name), f"{name} outlived the batch"
