"""A control group shaped like Gradescope's default container: 768 MB of memory, half a CPU.

Used by ``benchmarks/memory.py`` and by the engine's tests to run ``autograder grade`` as it
runs on Gradescope. It needs root and the memory and cpu controllers, of cgroup v1 (a group
per controller, ``memory.limit_in_bytes`` and ``cpu.cfs_quota_us``) or v2 (one group,
``memory.max`` and ``cpu.max``).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MEMORY_BYTES = 768 * 2**20
CPUS = 0.5
CPU_PERIOD_US = 100_000
CGROUP = Path("/sys/fs/cgroup")


class NoContainer(Exception):
    """This machine or user cannot make such a control group; the text says why."""


@dataclass(frozen=True)
class Container:
    groups: tuple[Path, ...]  # the memory group first
    v2: bool

    def wrap(self) -> tuple[str, ...]:
        """A command prefix that runs a command inside the groups."""
        enter = " && ".join(f'echo $$ > "{group}/cgroup.procs"' for group in self.groups)
        return ("sh", "-c", f'{enter} && exec "$@"', "container")

    def peak_bytes(self) -> int:
        """The most memory the group has used (page cache included, as the kernel counts it)."""
        return int(self._read("memory.peak" if self.v2 else "memory.max_usage_in_bytes"))

    def oom_kills(self) -> int:
        """How many processes the kernel's OOM killer killed in the group."""
        for line in self._read("memory.events" if self.v2 else "memory.oom_control").splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0

    def _read(self, name: str) -> str:
        return (self.groups[0] / name).read_text()


def _limits(memory_bytes: int, cpus: float) -> list[tuple[Path, dict[str, str]]]:
    """Where the groups go and what to write in each, for the cgroup version mounted here."""
    quota = str(round(cpus * CPU_PERIOD_US))
    if (CGROUP / "memory" / "memory.limit_in_bytes").exists():
        cpu = next(CGROUP / name for name in ("cpu", "cpu,cpuacct") if (CGROUP / name / "cpu.cfs_quota_us").exists())
        return [
            (CGROUP / "memory", {"memory.limit_in_bytes": str(memory_bytes)}),
            (cpu, {"cpu.cfs_period_us": str(CPU_PERIOD_US), "cpu.cfs_quota_us": quota}),
        ]
    controllers = (CGROUP / "cgroup.subtree_control").read_text().split()
    if not {"memory", "cpu"} <= set(controllers):
        raise NoContainer(f"the cgroup v2 root does not delegate memory and cpu (only {' '.join(controllers)})")
    return [(CGROUP, {"memory.max": str(memory_bytes), "cpu.max": f"{quota} {CPU_PERIOD_US}"})]


@contextlib.contextmanager
def container(memory_bytes: int = MEMORY_BYTES, cpus: float = CPUS) -> Iterator[Container]:
    """Fresh groups with these limits, removed afterwards; raises :class:`NoContainer`."""
    if os.geteuid() != 0:
        raise NoContainer("making a control group needs root")
    try:
        limits = _limits(memory_bytes, cpus)
    except (OSError, StopIteration):
        raise NoContainer("no memory and cpu cgroup controllers here") from None
    name = f"autograder-container-{os.getpid()}-{time.monotonic_ns()}"
    made: list[Path] = []
    try:
        for base, settings in limits:
            made.append(base / name)
            made[-1].mkdir()
            for setting, value in settings.items():
                (made[-1] / setting).write_text(value)
    except OSError as error:
        _remove(made)
        raise NoContainer(f"cannot make a control group here ({error.strerror})") from None
    try:
        yield Container(tuple(made), v2=len(limits) == 1)
    finally:
        _remove(made)


def _remove(groups: list[Path]) -> None:
    """Remove the groups once empty (the zygote leaves a moment after the grader)."""
    for group in groups:
        for _ in range(50):
            try:
                group.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)
