"""Query workers cannot open network connections: the second layer behind safety.py.

The lexical check refuses SERVICE and LOAD, but a single disagreement with Oxigraph's parser would
let a query make the server call any address (pyoxigraph's HTTP client is in Rust, out of reach
of Python hooks, and pyoxigraph 0.5.13 has no switch to turn SERVICE off). So each worker process,
first thing at start and before it opens the store, takes away its own network:

1. **A network namespace of its own** (``unshare(CLONE_NEWNET)``). It holds only a loopback
   interface that is down: no address can be reached, not even 127.0.0.1. Needs Linux and either
   root (CAP_SYS_ADMIN, as in this project's containers) or unprivileged user namespaces (then a
   user namespace is made first, which needs a single-threaded process: a freshly spawned worker
   is one). Container runtimes' default seccomp profiles and some distributions forbid both.
2. **A seccomp filter** (libseccomp through pyseccomp) under which ``socket()`` fails with EACCES
   for every address family but AF_UNIX. Needs Linux with seccomp and the libseccomp2 library
   (``apt-get install libseccomp2``); it works unprivileged and inside most containers.

Either layer alone stops SERVICE and LOAD; both are applied where the kernel allows. The pipe
between server and worker is a socketpair made before, so it keeps working.

Where neither can be applied (macOS, Windows, a locked-down container) the worker logs a warning
and serves with the lexical check alone rather than refusing to start: that check is tested
against Oxigraph's own reading, and refusing would leave those machines without an endpoint.
``isolation_of(pid)`` reads the kernel's view of a worker (its network namespace and seccomp
filters), for a startup log or a health report.
"""
from __future__ import annotations

import ctypes
import errno
import logging
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("alliances.sandbox")

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


@dataclass(frozen=True)
class Isolation:
    """Which layers hold in a process, and why the others do not."""

    layers: tuple[str, ...]
    missing: tuple[str, ...] = ()  # "layer: reason"

    @property
    def isolated(self) -> bool:
        return bool(self.layers)


def enter_network_namespace() -> None:
    """Move this process into a new, empty network namespace."""
    if not sys.platform.startswith("linux"):
        raise OSError(errno.ENOSYS, "network namespaces exist on Linux only")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) == 0:
        return
    alone = ctypes.get_errno()
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare was refused ({os.strerror(alone)}; with a user namespace: {os.strerror(err)})")
    # Keep the same user and group inside the new user namespace (else they read as nobody).
    for path, line in (("/proc/self/setgroups", "deny"), ("/proc/self/uid_map", f"{uid} {uid} 1"),
                       ("/proc/self/gid_map", f"{gid} {gid} 1")):
        try:
            with open(path, "w") as file:
                file.write(line)
        except OSError:
            pass  # cosmetic: the network is gone either way


def refuse_network_sockets() -> None:
    """Install a seccomp filter: socket() fails for every family but AF_UNIX."""
    try:
        import pyseccomp as seccomp
    except (ImportError, RuntimeError, OSError) as error:  # RuntimeError: libseccomp2 not found
        raise OSError(errno.ENOSYS, f"pyseccomp is unusable ({error}); apt-get install libseccomp2") from None
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    rules.add_rule(seccomp.ERRNO(errno.EACCES), "socket", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
    rules.load()


LAYERS: dict[str, Callable[[], None]] = {
    "network namespace": enter_network_namespace,
    "seccomp": refuse_network_sockets,
}


def isolate_network() -> Isolation:
    """Apply every layer this machine allows to the calling process; warn if none holds."""
    layers, missing = [], []
    for name, apply in LAYERS.items():
        try:
            apply()
        except OSError as error:
            missing.append(f"{name}: {error.strerror or error}")
        else:
            layers.append(name)
    isolation = Isolation(tuple(layers), tuple(missing))
    if not isolation.isolated:
        log.warning("query worker %d has network access (%s): SERVICE and LOAD are refused by the lexical check "
                    "alone; run on Linux as root, or with user namespaces or libseccomp2", os.getpid(),
                    "; ".join(missing))
    return isolation


def _seccomp_filters(pid: int | str) -> int:
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status if ":" in line)
    if "Seccomp_filters" in fields:  # Linux 5.9 and later count them
        return int(fields["Seccomp_filters"])
    return int(fields.get("Seccomp", "0").strip() == "2")


def isolation_of(pid: int) -> Isolation:
    """The layers that hold in process ``pid``, as the kernel reports them, compared with this
    process (a container may already run everything under a seccomp filter of its own)."""
    try:
        layers = []
        if os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net"):
            layers.append("network namespace")
        if _seccomp_filters(pid) > _seccomp_filters("self"):
            layers.append("seccomp")
    except OSError as error:
        return Isolation((), (f"cannot read /proc/{pid}: {error.strerror}",))
    return Isolation(tuple(layers), tuple(f"{name}: not applied" for name in LAYERS if name not in layers))
