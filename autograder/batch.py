"""``autograder grade-all``: a whole class graded on warm workers, into results that last.

Results
-------
One JSON file per submission, ``DIR/results/<key>.json``, written atomically as soon as the
submission is graded (so a stopped batch loses nothing and a rerun goes on where it stopped)::

    {
      "format": 1,
      "key": "submission_123456",          # unique, stable, safe as a file name
      "student": {"name", "id", "login", "email"},   # "" where unknown
      "co_submitters": [{"name", "id", "login", "email"}, ...],  # a group's other members
      "source": "submission_123456",       # where it came from, relative to SUBMISSIONS
      "late": false,                       # the export says so, or it was handed in after --due
      "submitted_at": "2026-12-01T22:04:37+00:00",   # when it was handed in, where the export says ("" else)
      "assignment": "01_gradient_descent",
      "submission_hash": "sha256:…",       # of the submission's files (names and bytes)
      "assignment_hash": "sha256:…",       # of its manifest, tests, reference, probes and bank
      "engine_version": "0.1.0+…",         # the package version and a digest of the engine's source
      "options": {"max_call_seconds": null},
      "graded_at": "2026-12-01T08:30:00+00:00",
      "error": "",                         # why it was not graded ("" when it was)
      "seconds": 1.23,
      "timings": {"load", "sandbox_start", "calls", "checks", "hints"},  # seconds, where they went
      "result": GradingResult.to_dict() | null,      # null when "error" is set
      "module_source": "…"                 # the graded module's text ("" when unreadable)
    }

A result is *current* when its submission, assignment and engine hashes and its options equal
today's; a rerun grades only submissions without a current result (``--regrade``: all), and
brings the others' identity (student, source, late, submitted_at) up to date with the export,
the roster and ``--due`` of this run.

Warm workers
------------
Each worker is a grader the batch's zygote forks (``launcher.Zygote.start_grader``) once the
zygote has imported torch and the assignment's preloads, so every worker and sandbox shares
those pages; it imports the tests and the reference once and opens one pytest session,
collected once. Its ``pytest_runtestloop`` takes submissions from the batch,
one at a time: it points the plugin's ``submission`` handle at a fresh sandbox of the new
submission, runs every collected item with ``runtestprotocol`` (the last with no next item,
so every fixture, the session's too, is torn down and rebuilt for the next submission: nothing
of one submission reaches the next) and sends the result back. What does not depend on the
submission (imported test modules, the reference, the probes, the bank's expected outputs)
stays loaded. The result is the one ``grade`` gives the submission alone.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import json
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TypeVar

import autograder
from autograder.course import Assignment
from autograder.errors import GradingError
from autograder.layouts import Found
from autograder.results import GradingResult, TaskResult, TestResult
from autograder.sandbox import launcher

FORMAT = 1
RESULTS = "results"
T = TypeVar("T")


class BatchError(GradingError):
    """The batch cannot proceed (the tests themselves cannot run, a bad option)."""


@dataclass(frozen=True)
class Stamp:
    """What a result must have been graded with to be current."""

    assignment_hash: str
    engine_version: str
    options: dict

    def is_current(self, record: dict, submission_hash: str) -> bool:
        return (
            record.get("format") == FORMAT
            and record.get("submission_hash") == submission_hash
            and record.get("assignment_hash") == self.assignment_hash
            and record.get("engine_version") == self.engine_version
            and record.get("options") == self.options
        )


def digest(files: list[tuple[str, Path]]) -> str:
    """sha256 of named files' names and bytes (symbolic links by their target's name, never followed)."""
    total = hashlib.sha256()
    for name, path in sorted(files):
        total.update(name.encode() + b"\0")
        if path.is_symlink():
            total.update(b"link:" + os.readlink(path).encode())
        else:
            with open(path, "rb") as file:
                for block in iter(lambda: file.read(1 << 20), b""):
                    total.update(block)
        total.update(b"\0")
    return "sha256:" + total.hexdigest()


def _files_under(folder: Path, skip: tuple[str, ...] = ()) -> list[tuple[str, Path]]:
    found = []
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if relative.parts[0] in skip or "__pycache__" in relative.parts:
            continue
        if path.is_symlink() or path.is_file():
            found.append((relative.as_posix(), path))
    return found


def submission_hash(path: Path) -> str:
    """The submission's files (a folder's without ``.git``), by name and content."""
    if path.is_dir() and not path.is_symlink():
        return digest(_files_under(path, skip=(".git",)))
    return digest([(path.name, path)])


def assignment_hash(assignment: Assignment) -> str:
    """Everything that decides a grade: manifest, public files, hidden tests, reference, probes, bank."""
    files = [(f"public/{name}", path) for name, path in _files_under(assignment.public_dir) if name.endswith(".py")]
    files.append(("public/assignment.toml", assignment.manifest_file))
    if assignment.solution_dir is not None:
        files += [(f"solutions/{name}", path) for name, path in _files_under(assignment.solution_dir)]
    return digest(files)


@functools.cache
def engine_version() -> str:
    """The package's version and a digest of its source: any change of the engine regrades."""
    package = Path(autograder.__file__).parent
    source = [(name, path) for name, path in _files_under(package) if name.endswith((".py", ".toml"))]
    return f"{autograder.__version__}+{digest(source).removeprefix('sha256:')[:12]}"


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` with 1 <= K <= N."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise BatchError(f"--shard takes K/N (e.g. 2/4), not {text!r}") from None
    if not 1 <= index <= count:
        raise BatchError(f"--shard {text}: K must be between 1 and N")
    return index, count


def in_shard(key: str, shard: tuple[int, int] | None) -> bool:
    """Whether the submission ``key`` belongs to shard K of N (by a stable hash of the key)."""
    if shard is None:
        return True
    index, count = shard
    return int(hashlib.sha256(key.encode()).hexdigest()[:16], 16) % count == index - 1


def record_path(out: Path, key: str) -> Path:
    return out / RESULTS / f"{key}.json"


def read_record(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def read_records(out: Path) -> list[dict]:
    """Every readable result under ``out`` (unreadable files are skipped)."""
    records = [read_record(path) for path in sorted((out / RESULTS).glob("*.json"))]
    return [record for record in records if record is not None and "key" in record]


def write_record(out: Path, record: dict) -> None:
    """Write atomically: a stopped batch leaves whole files or none; a full disk stops it in one line."""
    path = record_path(out, record["key"])
    partial = path.with_suffix(".json.partial")
    try:
        results_folder(out)
        partial.write_text(json.dumps(record, indent=1))
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise BatchError(f"cannot write the result of {record['key']} in {path.parent}: {error.strerror}") from None


def results_folder(out: Path) -> Path:
    """``out/results``, made where missing: open to its owner only, for every result holds a student's
    code (where sandboxes share the filesystem, as ``users`` mode does, no other uid may read them)."""
    folder = out / RESULTS
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
    return folder


def identity(item: Found) -> dict:
    """The fields of a result that the export, the roster and ``--due`` decide."""
    return {**item.identity(), "source": item.source, "late": item.late, "submitted_at": item.submitted_at}


def new_record(item: Found, assignment: Assignment, stamp: Stamp, sha: str, outcome: dict) -> dict:
    """A result file's content, from a worker's ``outcome`` (see the module docstring)."""
    return {
        "format": FORMAT,
        "key": item.key,
        **identity(item),
        "assignment": assignment.id,
        "submission_hash": sha,
        "assignment_hash": stamp.assignment_hash,
        "engine_version": stamp.engine_version,
        "options": stamp.options,
        "graded_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "error": outcome.get("error", ""),
        "seconds": round(outcome.get("seconds", 0.0), 3),
        "timings": outcome.get("timings", {}),
        "result": outcome.get("result"),
        "module_source": outcome.get("module_source", ""),
    }


@dataclass
class Plan:
    """What a run grades: the submissions without a current result."""

    todo: list[tuple[Found, str]]  # (submission, its hash)
    current: int  # submissions whose result is already current
    outside: int  # submissions of other shards


def plan(found: list[Found], out: Path, stamp: Stamp, shard: tuple[int, int] | None, regrade: bool) -> Plan:
    """The submissions of ``shard`` to grade; a current result whose identity the export, roster
    or due date of this run changed is rewritten with it (its grading stays)."""
    todo, current, outside = [], 0, 0
    for item in found:
        if not in_shard(item.key, shard):
            outside += 1
            continue
        sha = submission_hash(item.path) if item.path.exists() else ""
        old = None if regrade else read_record(record_path(out, item.key))
        if old is not None and stamp.is_current(old, sha):
            current += 1
            if any(old.get(name) != value for name, value in identity(item).items()):
                write_record(out, old | identity(item))
        else:
            todo.append((item, sha))
    return Plan(todo, current, outside)


def grade_all(
    assignment: Assignment,
    todo: list[tuple[Found, str]],
    out: Path,
    stamp: Stamp,
    jobs: int,
    progress: Callable[[dict], None],
    allow_unisolated: bool = False,
    note: Callable[[str], None] | None = None,
    hidden: tuple[Path, ...] = (),
) -> None:
    """Grade ``todo`` on ``jobs`` warm workers, writing each result as it comes.

    Where the sandbox cannot be isolated, hidden tests are refused (a :class:`BatchError`) unless
    ``allow_unisolated``; then ``note`` gets the one-line notice, once (by default it goes to
    stderr, as ``grade`` says it). No sandbox sees ``out`` or the folders ``hidden`` names (where
    the class's submissions are): one student's code cannot read another's, nor their results."""
    refused = [(item, sha) for item, sha in todo if item.problem]
    for item, sha in refused:
        record = new_record(item, assignment, stamp, sha, {"error": item.problem})
        write_record(out, record)
        progress(record)
    queue = [(item, sha) for item, sha in todo if not item.problem]
    if not queue:
        return
    count, max_call_seconds = min(jobs, len(queue)), stamp.options.get("max_call_seconds")
    results_folder(out)  # before any sandbox starts, so that each has it hidden
    with WorkerPool(assignment, count, max_call_seconds, allow_unisolated, note, (out, *hidden)) as pool:
        for (item, sha), outcome in pool.grade([(item.path, (item, sha)) for item, sha in queue]):
            record = new_record(item, assignment, stamp, sha, outcome)
            write_record(out, record)
            progress(record)


def result_from_dict(data: dict) -> GradingResult:
    """A :class:`GradingResult` back from its ``to_dict()`` (fields it does not know are dropped)."""
    known = set(TestResult.__dataclass_fields__)

    def task(stored: dict) -> TaskResult:
        tests = [TestResult(**{k: v for k, v in test.items() if k in known}) for test in stored["tests"]]
        return TaskResult(stored["name"], tests, stored["rule_broken"])

    tasks = [task(stored) for stored in data["tasks"]]
    return GradingResult(data["assignment"], data["submission"], tasks, data["execution_time"], data["notes"])


def default_workers() -> int:
    """As many workers as cores, up to four."""
    return max(1, min(os.cpu_count() or 1, 4))


def print_note(notice: str) -> None:
    print(f"note: {notice}", file=sys.stderr)


# --- the workers ---------------------------------------------------------------------------


class WorkerPool:
    """``count`` warm worker processes; a worker that dies is replaced and its submission reported."""

    def __init__(
        self,
        assignment: Assignment,
        count: int,
        max_call_seconds: float | None,
        allow_unisolated: bool = False,
        note: Callable[[str], None] | None = None,
        hidden: tuple[Path, ...] = (),
    ) -> None:
        self.assignment, self.count, self.max_call_seconds = assignment, count, max_call_seconds
        self.hidden = [str(folder) for folder in hidden]
        self.allow_unisolated, self.note, self.noted = allow_unisolated, note or print_note, set[str]()
        self.workers: list[Worker] = []

    def __enter__(self) -> WorkerPool:
        self.workers = [self._start() for _ in range(self.count)]
        return self

    def __exit__(self, kind: type | None, *exc: object) -> None:
        for worker in self.workers:
            worker.stop(at_once=kind is not None)

    def _start(self) -> Worker:
        ours, theirs = multiprocessing.Pipe()
        zygote = launcher.shared_zygote()
        if not zygote.ready():
            raise BatchError("the grader could not start its sandboxes (see the error above): nothing was graded")
        try:
            process = zygote.start_grader(
                "autograder.batch:worker_main",
                [str(self.assignment.public_dir), self.max_call_seconds, self.allow_unisolated, self.hidden],
                [*_streams(), theirs.fileno()],
                (*CLASS_PRELOAD, *self.assignment.sandbox_preload),
            )
        finally:
            theirs.close()
        return Worker(process, ours)

    def grade(self, queue: list[tuple[Path, T]]) -> Iterator[tuple[T, dict]]:
        """Grade each ``(path, tag)``; yield ``(tag, outcome)`` as workers finish, feeding each the next."""
        pending = list(reversed(queue))
        busy: dict[Worker, T] = {}
        while pending or busy:
            self._feed(pending, busy)
            done: list[tuple[T, dict]] = []
            waiting = {worker.connection: worker for worker in self.workers} | {
                worker.process.sentinel: worker for worker in self.workers
            }
            for worker in {waiting[handle] for handle in wait(list(waiting))}:
                if worker not in self.workers:
                    continue  # replaced in this round
                message = worker.receive()
                if message is None and not worker.ready:
                    raise BatchError(f"a grading worker could not start (exit status {worker.process.exitcode})")
                if message is None:  # the worker died
                    job = busy.pop(worker, None)
                    self._replace(worker)
                    if job is not None:
                        done.append((job, {"error": "the grading process ended while grading this submission"}))
                elif "fatal" in message:
                    raise BatchError(message["fatal"])
                elif "note" in message:
                    if message["note"] not in self.noted:  # every worker says it: once is enough
                        self.noted.add(message["note"])
                        self.note(message["note"])
                elif "ready" in message:
                    worker.ready = True
                elif "result" in message or "error" in message:
                    done.append((busy.pop(worker), message))
                    if message.get("retire"):  # its session is no longer sound: a fresh worker goes on
                        self._replace(worker)
            self._feed(pending, busy)  # before the caller writes the results: no worker waits for that
            yield from done

    def _feed(self, pending: list[tuple[Path, T]], busy: dict[Worker, T]) -> None:
        """Send the next submission to every worker that is ready and idle."""
        for worker in self.workers:
            if worker not in busy and pending and worker.ready:
                path, tag = pending.pop()
                worker.send({"path": str(path)})
                busy[worker] = tag

    def _replace(self, worker: Worker) -> None:
        worker.stop(at_once=True)
        self.workers[self.workers.index(worker)] = self._start()


def _streams() -> list[int]:
    """A worker's standard streams: no input, and this process's output for what escapes Python's."""
    return [os.open(os.devnull, os.O_RDONLY), 1, 2]


class Worker:
    def __init__(self, process: launcher.GraderProcess, connection: Connection) -> None:
        self.process, self.connection, self.ready = process, connection, False

    def send(self, job: dict) -> None:
        self.connection.send(job)

    def receive(self) -> dict | None:
        """The worker's next message, or None when it has died."""
        try:
            if self.connection.poll():
                return self.connection.recv()
        except (EOFError, OSError):
            return None
        return {} if self.process.is_alive() else None

    def stop(self, at_once: bool = False) -> None:
        """Hang up, so that the worker ends its session; ``at_once`` (or if it lingers): terminate it.

        A terminated worker unwinds, killing the sandbox of the submission it was grading.
        """
        self.connection.close()
        if not at_once:
            self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.process.close()


# What a submission may import on its own at a cost of seconds (``torch.optim``'s first step imports
# ``torch._dynamo``): the batch's zygote loads it once for the whole class, not once per such submission.
CLASS_PRELOAD = ("torch._dynamo",)


def worker_main(
    public_dir: str, max_call_seconds: float | None, allow_unisolated: bool, hidden: list[str], connection_fd: int
) -> None:
    """A warm worker: one pytest session that grades every submission it is sent; no sandbox sees ``hidden``."""
    connection = Connection(connection_fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the batch's to handle
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # unwinds, so the sandbox is killed
    from autograder import warm

    try:
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            warm.serve(Path(public_dir), max_call_seconds, connection, allow_unisolated, tuple(map(Path, hidden)))
    finally:  # leaving already: a terminate now just ends the process, never inside its exit handlers
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
