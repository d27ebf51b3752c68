"""The memory of a worker's whole process tree, read cheaply: kept-open /proc files, `pread`, no parsing of
`status`.

Lambda's limit is the kernel's (the execution environment's cgroup). Where the runner cannot give each
worker a cgroup v2 `memory.max` (this needs the memory controller delegated to the runner's cgroup; hosts
with the memory controller on cgroup v1, as the development VM, have none), the worker's tree is polled:
the resident set of the worker process plus every descendant found through `/proc/<pid>/task/<pid>/children`
(a handler's subprocess counts, as it does in Lambda's cgroup). One sample costs a few `pread` calls on files
opened once (about 3 us each here), against 60 us for opening and parsing `/proc/<pid>/status`.
"""

from __future__ import annotations

import contextlib
import os

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


class _Proc:
    """Open /proc files of one process: statm (resident pages) and its main thread's children."""

    __slots__ = ("children_fd", "pid", "statm_fd")

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.statm_fd = os.open(f"/proc/{pid}/statm", os.O_RDONLY | os.O_CLOEXEC)
        try:
            self.children_fd = os.open(f"/proc/{pid}/task/{pid}/children", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:  # kernels without CONFIG_PROC_CHILDREN: the process alone is measured
            self.children_fd = -1

    def rss_kb(self) -> int:
        fields = os.pread(self.statm_fd, 128, 0).split()
        return int(fields[1]) * PAGE_KB if len(fields) > 1 else 0

    def children(self) -> list[int]:
        if self.children_fd < 0:
            return []
        return [int(p) for p in os.pread(self.children_fd, 4096, 0).split()]

    def close(self) -> None:
        for fd in (self.statm_fd, self.children_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)


class TreeMemory:
    """Resident memory (kB) of a process and its descendants; files stay open between samples."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._procs: dict[int, _Proc] = {}

    def sample(self) -> int:
        """kB resident in the whole tree now; 0 when the root process is gone."""
        total = 0
        seen: set[int] = set()
        todo = [self.pid]
        while todo:
            pid = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            try:
                proc = self._procs.get(pid) or self._open(pid)
                total += proc.rss_kb()
                todo.extend(proc.children())
            except (OSError, ValueError):  # exited between the two reads (or a pid reused): not counted
                self._drop(pid)
        for gone in set(self._procs) - seen:
            self._drop(gone)
        return total

    def _open(self, pid: int) -> _Proc:
        proc = _Proc(pid)
        self._procs[pid] = proc
        return proc

    def _drop(self, pid: int) -> None:
        proc = self._procs.pop(pid, None)
        if proc is not None:
            proc.close()

    def close(self) -> None:
        for pid in list(self._procs):
            self._drop(pid)
