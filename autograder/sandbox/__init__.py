"""The jails: where a student's kernel runs, and everything that crosses its boundary.

Interface (what the rest of the grader uses, importable from here):

- :func:`named` (``"auto"``, ``"namespaces"``, ``"bubblewrap"``, ``"none"``) resolves the
  sandbox once per process into a :class:`Sandbox` object; :data:`JAILS` is what
  ``--jail`` accepts, :func:`sandbox_problem` says why a jail cannot run here.
- :class:`Kernel` (one kernel's start, interrupt and kill in its sandbox) and its
  :class:`Limits`.
- :func:`matplotlib_cache`, :func:`startup_file` (the output bound, run at the kernel's
  start) and :mod:`.hostile_fs` (reading files the student controls).

Inside, arrows go down: ``choice`` picks one of the jails (``namespaces``: our own,
``bubblewrap``, ``unsandboxed``); each jail builds on ``base`` (the Sandbox/Kernel
contract), ``world`` (what the kernel sees), ``machine`` (what this machine allows) and
``jail.py`` (the script that builds our namespaces, run by path in a fresh interpreter).
``memory_cap``, ``hostile_fs`` and ``bound_output`` depend on nothing of the grader.
``syscall_filter`` is the kernel's seccomp filter (world.kernel_filter), which every jail
installs right before the kernel starts.

Paths in the kernel's world: none of the grading machine's (the project, the venv, the
interpreter's install, a home dir, the grader's scratch dirs). What the kernel sees is:

- ``/sandbox``: its work dir (cwd and HOME; ``/sandbox/convlab`` is the student-side
  convlab, ``/sandbox/.matplotlib`` and ``/sandbox/.ipython`` its caches and start-up file);
- ``/grader``: the recorder (``/grader/recorder.py``) and the hidden cases, read-only, and
  ``/grader/out``, what the recorder writes back;
- ``/python/base``: the interpreter's install, wherever it is on the host (a pyenv under a
  home dir), with ``LD_LIBRARY_PATH=/python/base/lib`` for a shared ``libpython``;
  ``/python/env``: a venv's site-packages, with a ``pyvenv.cfg`` naming ``/python/base``
  and ``bin/python3``, the kernel's ``sys.executable`` (world.interpreter). An
  interpreter under ``/usr`` stays there. An editable install's finder and ``.pth`` and
  every ``direct_url.json`` read as empty files: they name the project's host path.
- ``/usr``, ``/etc`` and the ``/bin``, ``/lib`` links; ``/tmp``, ``/dev``, ``/dev/shm``,
  ``/proc`` of its own.

The warm launcher imports there too: it starts on the host, enters a *world*
(jail.enter_world: a mount namespace with the host's top-level dirs bound recursively
and ``/python`` added, in a user namespace of its own as an ordinary user) and execs the
interpreter at ``/python/env/bin/python3`` on a copy of jail.py at ``/launcher/jail.py``.
So what a forked kernel inherits (module files, code objects, sys.path, its command line
and environment, which are its pid 1's too) is neutral; before the kernel runs, the forked
process empties the spec (host paths) that its stack's frames hold. A cold start execs
the same way (``jail.py SPEC`` enters a world, then execs with the spec on stdin), and
bwrap binds the same neutral paths and reads its options (host paths) from a descriptor,
so its pid 1's command line names none. tests/test_kernel_world_paths.py searches all of
it, every process and every gc-tracked object, in each jail, as root and as an ordinary
user. Our jail mounts the interpreter's dirs as read-only overlays named from inside
(``lowerdir=.``, jail.mount_read_only), because ``/proc/*/mountinfo`` shows the path of
a *bind's* source inside its filesystem, a host path. Left: bubblewrap (0.8) can only
bind, so in bwrap that field still names the interpreter's host dirs (as it does in our
jail where overlayfs is refused); install the grading venv and its Python under a
neutral path (e.g. ``/opt``) if that matters. File
contents are not rewritten: the bytecode caches pip wrote and the interpreter's
build configuration (``sysconfig``) still hold the paths they were built at.

Kernel-global channels, and how each is closed (the same in every jail unless said;
tests/test_kernel_channels.py checks them in both jails, as root and as an ordinary user):

- keyrings (the uid's user keyring outlives the kernel; an ordinary user's kernels would
  share the grader's session keyring): a fresh, empty session keyring per kernel
  (jail.join_new_session_keyring), then the filter denies ``add_key``, ``keyctl`` and
  ``request_key``; ``/proc/keys`` and ``/proc/key-users`` are masked.
- SysV IPC (shared memory, semaphores, message queues) and POSIX message queues: an IPC
  namespace per kernel (jail.py's CLONE_NEWIPC, bwrap's --unshare-ipc).
- sockets: a network namespace with nothing in it (loopback and abstract Unix sockets
  included); the filter refuses the socket families a network namespace does not cover
  (``AF_VSOCK``, ``AF_ALG``, ...), as Docker's profile does.
- files: the system is read-only binds; ``/tmp``, ``/dev/shm``, the work and grader dirs
  are tmpfs of this kernel alone. What two kernels still share are inodes of those
  read-only files, so the filter denies what would signal through them: ``inotify_*``,
  ``fanotify_init``, ``fcntl`` F_NOTIFY, ``flock`` and ``fcntl`` locks and leases.
- cgroup files: no ``/sys`` in the jail, and a cgroup namespace (CLONE_NEWCGROUP;
  bwrap's --unshare-cgroup-try) in which the kernel's cgroup is ``/``.
- ``/proc/sys``: read-only in our jail (as Docker mounts it); bwrap write-protects each
  part the kernel's user could write, and leaves that user only the IPC sysctls of its
  own IPC namespace. The kernel's uid owns no sysctl of the host's.
- ``/sys``: not mounted.
- time: no time namespace: it would only shift the monotonic and boot clocks (the host's
  uptime is no student's data). Setting a clock needs CAP_SYS_TIME, which the kernel
  lacks, and the filter denies ``clock_settime`` and ``settimeofday`` (``adjtimex`` and
  ``clock_adjtime`` stay, as in Docker's profile: without the capability they only read).
- processes: a pid namespace; the filter denies ``ptrace``, ``process_vm_*``, ``kcmp``,
  ``pidfd_getfd``; a UTS namespace for the host name.
- other kernel objects a process can create and name (eBPF maps, perf events, io_uring
  rings, userfaultfd, new namespaces, mounts, kernel modules, kexec): denied by the filter.
- left open: what kernels running *at the same time* share by sharing a machine (CPU
  load, memory pressure, page-cache timing, the counters in ``/proc/stat`` and
  ``/proc/loadavg``). They carry nothing from one kernel to a later one; ``--jobs 1``
  grades one kernel at a time.
"""

from .base import Kernel, Limits, Sandbox
from .bound_output import startup_file
from .choice import (
           JAILS,
           can_sandbox,
           choose,
           describe,
           named,
           sandbox_problem,
           unsandboxed_warning,
)
from .world import matplotlib_cache

__all__ = ["JAILS", "Kernel", "Limits", "Sandbox", "can_sandbox", "choose", "describe",
           "matplotlib_cache", "named", "sandbox_problem", "startup_file", "unsandboxed_warning"]
