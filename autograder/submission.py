"""Reading what a student handed in: a module, a notebook, a folder or a zip of either.

Everything here only reads files; nothing of the submission runs in this process. The
student controls every byte below the path the instructor names (on Gradescope, the
folder ``/autograder/submission``), so intake opens only regular files, never follows a
symbolic link (the named path itself included), never leaves that folder, and bounds what
it reads by the bytes actually read.
"""

from __future__ import annotations

import ast
import errno
import io
import os
import stat
import tokenize
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

CHECK_TAG = "autograder-check"  # the tag of a notebook's check() cells, skipped when it is read
CHECK_IMPORT = "from autograder.notebook import check"  # the generated notebook's import of check(), dropped too
MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_ZIP_BYTES = 32 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
MAX_FOLDER_ENTRIES = 10000
MAX_FOLDER_DEPTH = 8
SKIPPED_PREFIXES = (".", "__MACOSX", "__pycache__")
ADDED_PREFIX = "__autograder_"  # names of the code a notebook's module gains
FAILED_CELLS = ADDED_PREFIX + "failed_cells__"
MAX_FAILED_CELLS = 20  # notes on failed cells, each naming a real guarded cell, at most once
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class SubmissionFileError(Exception):
    """The submission cannot be read at all (as opposed to code that fails)."""


@dataclass
class LoadedSubmission:
    source: str
    origin: str
    notes: list[str] = field(default_factory=list)
    cell_lines: list[tuple[int, int] | None] = field(default_factory=list)  # per module line: (cell, line in cell)
    guarded_cells: tuple[int, ...] = ()  # notebook cells run so that when one raises, the others still run
    checked: str = ""  # the student's code as rules read it: the same lines, those the grader added blanked

    @property
    def checked_source(self) -> str:
        """What the rules and other readings of the code see (the grader's own lines left out)."""
        return self.checked or self.source

    def where(self, line: int) -> str:
        """A line of the module, as the student finds it: in their file, or in a notebook cell."""
        if not self.cell_lines:
            return f"line {line} of your file"
        cell, row = self.origin_of(line)
        return f"line {row} of cell {cell}" if cell else "code the grader added to your notebook"

    def origin_of(self, line: int) -> tuple[int, int]:
        """The notebook cell and the line in it that a line of the module came from; ``(0, 0)`` if none."""
        origin = self.cell_lines[line - 1] if 0 < line <= len(self.cell_lines) else None
        return origin or (0, 0)


# --- Opening files without following links ---------------------------------------------------


def _open(name: str | Path, shown: str, dir_fd: int | None = None) -> int:
    """A descriptor of ``name`` (relative to ``dir_fd``), refusing links."""
    try:
        return os.open(name, _OPEN_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        raise SubmissionFileError(f"no such file or folder: {shown}") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise SubmissionFileError(f"{shown} is a symbolic link: hand in the file itself") from None
        raise SubmissionFileError(f"{shown} cannot be opened ({error.strerror})") from None


def _read_fd(fd: int, shown: str, limit: int = MAX_SOURCE_BYTES) -> bytes:
    """All of a regular file's bytes, at most ``limit`` of them."""
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raise SubmissionFileError(f"{shown} is not a regular file: hand in the file itself")
    data = bytearray()
    while chunk := os.read(fd, min(1 << 20, limit + 1 - len(data))):
        data += chunk
        if len(data) > limit:
            raise SubmissionFileError(f"{shown} is larger than {limit // 2**20} MiB")
    return bytes(data)


def _read_inside(root_fd: int, name: str) -> bytes:
    """A regular file ``name`` below the folder ``root_fd``, each part opened without following links."""
    parts = PurePosixPath(name).parts
    fds = [root_fd]
    try:
        for part in parts[:-1]:
            fds.append(_open(part, name, fds[-1]))
            if not stat.S_ISDIR(os.fstat(fds[-1]).st_mode):
                raise SubmissionFileError(f"{name} is not a regular file: hand in the file itself")
        fds.append(_open(parts[-1], name, fds[-1]))
        return _read_fd(fds[-1], name)
    finally:
        for fd in fds[1:]:
            os.close(fd)


def _candidates_in(folder_fd: int) -> dict[str, bool]:
    """The ``.py`` and ``.ipynb`` files below a folder, each saying whether it is a regular file."""
    found: dict[str, bool] = {}
    visited = 0

    def walk(fd: int, prefix: str, depth: int) -> None:
        nonlocal visited
        with os.scandir(fd) as entries:
            for entry in entries:
                if entry.name.startswith(SKIPPED_PREFIXES):
                    continue
                visited += 1
                if visited > MAX_FOLDER_ENTRIES:
                    raise SubmissionFileError(f"the submission holds more than {MAX_FOLDER_ENTRIES} files")
                name = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if depth < MAX_FOLDER_DEPTH:
                        sub = _open(entry.name, name, fd)
                        try:
                            walk(sub, name + "/", depth + 1)
                        finally:
                            os.close(sub)
                elif name.endswith((".py", ".ipynb")):
                    found[name] = entry.is_file(follow_symlinks=False)

    walk(folder_fd, "", 0)
    return found


def modules_in(path: Path, module: str) -> int:
    """How many files named ``module.py`` the folder ``path`` holds, walked as intake walks it."""
    fd = _open(path, path.name)
    try:
        return sum(PurePosixPath(name).name == f"{module}.py" for name in _candidates_in(fd))
    finally:
        os.close(fd)


# --- What a submission is ----------------------------------------------------------------------


def load(path: Path, module: str, stub: str | None = None) -> LoadedSubmission:
    """The module source of a submission at ``path`` for an assignment whose module is ``module``.

    ``path`` itself must not be a symbolic link. ``stub`` (the untouched stub's text) lets a
    folder or zip holding both the stub and a worked notebook be graded from the notebook.
    """
    fd = _open(path, path.name)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            found = _candidates_in(fd)
            name, notes = _choose(found, lambda n: _read_inside(fd, n), module, stub, "the submission")
            loaded = _from_file(name, _read_inside(fd, name), f"{path}/{name}", name)
        elif path.suffix == ".zip":
            loaded, notes = _from_zip(_read_fd(fd, path.name, MAX_ZIP_BYTES), path, module, stub)
        else:
            return _from_file(path.name, _read_fd(fd, path.name), str(path), path.name)
    finally:
        os.close(fd)
    loaded.notes[:0] = notes
    return loaded


def _from_file(name: str, data: bytes, origin: str, shown: str) -> LoadedSubmission:
    if name.endswith(".ipynb"):
        return notebook_source(data, origin, shown)
    if not name.endswith(".py"):
        raise SubmissionFileError(f"{shown}: expected a .py module, a .ipynb notebook, a folder or a .zip")
    return LoadedSubmission(_text(data, shown), origin)


def _text(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SubmissionFileError(f"{shown} is not UTF-8 text") from None


def _from_zip(data: bytes, path: Path, module: str, stub: str | None) -> tuple[LoadedSubmission, list[str]]:
    shown = path.name
    if data.count(b"PK\x01\x02") > MAX_ZIP_MEMBERS:  # every member's directory entry starts so
        raise SubmissionFileError(f"{shown} holds more than {MAX_ZIP_MEMBERS} files")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            found = {}
            for info in archive.infolist():
                parts = PurePosixPath(info.filename.replace("\\", "/")).parts
                if info.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
                    raise SubmissionFileError(f"{shown} holds a file whose name leads out of its folder")
                kind = stat.S_IFMT(info.external_attr >> 16)
                if info.is_dir() or any(part.startswith(SKIPPED_PREFIXES) for part in parts):
                    continue
                if info.filename.endswith((".py", ".ipynb")):
                    found[info.filename] = kind in (0, stat.S_IFREG)

            def read(name: str) -> bytes:
                with archive.open(name) as member:
                    content = member.read(MAX_SOURCE_BYTES + 1)
                if len(content) > MAX_SOURCE_BYTES:
                    raise SubmissionFileError(f"{name} in {shown} is larger than {MAX_SOURCE_BYTES // 2**20} MiB")
                return content

            name, notes = _choose(found, read, module, stub, shown)
            content = read(name)
    except SubmissionFileError:
        raise
    except Exception:  # zipfile, zlib, bz2 and lzma raise many types for a broken archive
        raise SubmissionFileError(f"{shown} is not a readable zip file") from None
    return _from_file(name, content, f"{path}:{name}", name), notes


def _choose(
    found: dict[str, bool], read: Callable[[str], bytes], module: str, stub: str | None, where: str
) -> tuple[str, list[str]]:
    """Which of the files ``found`` (name: is regular) to grade, and notes saying why."""
    names = sorted((n for n in found if ".ipynb_checkpoints" not in n), key=lambda n: (len(PurePosixPath(n).parts), n))
    modules = [n for n in names if PurePosixPath(n).name == f"{module}.py"]
    notebooks = [n for n in names if n.endswith(".ipynb")]
    others = [n for n in names if n.endswith(".py") and n not in modules]

    def regular(name: str) -> str:
        if not found[name]:
            raise SubmissionFileError(f"{name} is a link or not a regular file: hand in the file itself")
        return name

    def worked(name: str) -> bool:
        """Whether the student changed the file from the stub (no stub known: assume so)."""
        if stub is None:
            return True
        data = read(regular(name))
        try:
            source = notebook_source(data, name, name).source if name.endswith(".ipynb") else _text(data, name)
        except SubmissionFileError:
            return True
        return not _same_definitions(source, stub)

    if modules and stub is None:
        return regular(modules[0]), [f"graded {modules[0]}"]
    if modules:
        chosen = regular(modules[0])
        worked_notebooks = [n for n in notebooks if worked(n)]
        if not worked_notebooks:
            return chosen, [f"graded {chosen}"]
        if worked(chosen):
            return chosen, [f"graded {chosen}; the notebook {worked_notebooks[0]} was changed too and was not graded"]
        notebooks = worked_notebooks
        reason = f"{chosen} is the untouched stub"
    else:
        reason = f"there is no {module}.py"
    if notebooks:
        named = [n for n in notebooks if PurePosixPath(n).stem == module]
        changed = [n for n in notebooks if worked(n)] if len(notebooks) > 1 and not named else []
        if len(notebooks) == 1 or named or len(changed) == 1:
            chosen = regular(notebooks[0] if len(notebooks) == 1 else (named or changed)[0])
            return chosen, [f"graded the notebook {chosen}: {reason}"]
        raise SubmissionFileError(f"{where} holds several notebooks ({', '.join(notebooks[:5])}): hand in one")
    if len(others) == 1:
        return regular(others[0]), [f"graded {others[0]}: {reason}"]
    if others:
        listed = ", ".join(others[:5])
        raise SubmissionFileError(f"{where} holds no {module}.py and several Python files ({listed}): hand in one")
    raise SubmissionFileError(f"{where} holds no {module}.py and no notebook")


def _same_definitions(source: str, stub: str) -> bool:
    """Whether ``source`` defines no function or class other than the stub's, nor differently."""
    mine, stubs = _definitions(source), _definitions(stub)
    return mine is not None and stubs is not None and mine.items() <= stubs.items()


def _definitions(source: str) -> dict[str, str] | None:
    """Top-level functions and classes by name (not those a notebook's module gains), as ASTs without docstrings."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    definitions = {}
    for node in tree.body:
        if isinstance(node, DEFINITIONS) and not node.name.startswith(ADDED_PREFIX):
            if node.body and _is_docstring(node.body[0]):
                node.body = node.body[1:] or [ast.Pass()]
            definitions[node.name] = ast.dump(node)
    return definitions


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


# --- Notebooks ---------------------------------------------------------------------------------

_PRELUDE = f"""\
def {FAILED_CELLS}():
    return __autograder_failures__


__autograder_failures__ = []


def __autograder_record__(cell, error):
    import traceback

    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == __file__]
    __autograder_failures__.append([cell, type(error).__name__, lines[-1] if lines else None])
"""


class _Module:
    """Module source built line by line, remembering where each line came from."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.origins: list[tuple[int, int] | None] = []
        self.checked: list[str] = []  # the same lines as the rules read them

    def add(self, line: str, origin: tuple[int, int] | None = None, checked: str = "") -> None:
        """Add a line; one the grader adds (no ``origin``) reads as ``checked`` to the rules."""
        self.lines.append(line)
        self.origins.append(origin)
        self.checked.append(line if origin is not None else checked)


def notebook_source(data: bytes, origin: str, shown: str | None = None) -> LoadedSubmission:
    """A notebook's code cells in order, as a module.

    IPython magics, shell lines, the notebook's own import of ``check`` (:data:`CHECK_IMPORT`)
    and Otter's own cells (``import otter``, ``grader.check``) are dropped. Definitions stay
    at the top level; every other statement runs guarded, so a cell that raises is recorded
    (see :func:`failed_cells`) and the rest still runs. A cell that does not parse is left
    out and noted.
    """
    import nbformat  # here, as reading a module needs none of it

    shown = shown or Path(origin).name
    try:
        notebook = nbformat.reads(_text(data, shown), as_version=4)
    except SubmissionFileError:
        raise
    except Exception:  # nbformat raises many types for a broken notebook
        raise SubmissionFileError(f"{shown} is not a readable notebook") from None
    cells = []
    notes: list[str] = []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code" or CHECK_TAG in cell.get("metadata", {}).get("tags", []):
            continue  # the notebook's own check cells run the public tests, not the student's code
        lines = cell.source.splitlines()
        if lines and lines[0].lstrip().startswith("%%"):
            notes.append(f"cell {number}: skipped a cell magic ({lines[0].strip()[:60]})")
            continue
        for index, line in enumerate(lines):
            stripped = line.lstrip()
            if stripped.startswith(("%", "!")):
                notes.append(f"cell {number}: skipped the IPython line `{stripped[:60]}`")
                lines[index] = line[: len(line) - len(stripped)] + "pass"
        try:
            tree = ast.parse("\n".join(lines))
        except (SyntaxError, ValueError) as error:
            at = f" (line {error.lineno})" if getattr(error, "lineno", None) else ""
            notes.append(f"cell {number} has a syntax error{at}: it was left out, the other cells were graded")
            continue
        cells.append((number, lines, tree))
    otter = _otter_names(tree for _, _, tree in cells)
    module = _Module()
    for line in _PRELUDE.splitlines():
        module.add(line)
    guarded: list[int] = []
    otter_cells = []
    for number, lines, tree in cells:
        statements = [node for node in tree.body if not (is_check_import(node) or _is_otter(node, otter))]
        if any(_is_otter(node, otter) for node in tree.body):
            otter_cells.append(str(number))
        module.add("")
        module.add(f"# cell {number}")
        continuation = _string_continuations("\n".join(lines))
        for group in _groups(statements):
            first, last = _first_line(group[0]), group[-1].end_lineno
            span = [(line, (number, row)) for row, line in enumerate(lines[first - 1 : last], start=first)]
            if isinstance(group[0], DEFINITIONS):
                for line, where in span:
                    module.add(line, where)
                continue
            guarded += [] if guarded and guarded[-1] == number else [number]
            module.add("try:", checked="if True:")
            for line, where in span:
                module.add(line if where[1] in continuation else "    " + line, where)
            module.add("except (Exception, SystemExit) as __autograder_error__:", checked="if False:")
            module.add(f"    __autograder_record__({number}, __autograder_error__)", checked="    pass")
    if otter_cells:
        notes.append(f"skipped Otter's own code (import otter, grader.check) in cells {', '.join(otter_cells)}")
    source, checked = "\n".join(module.lines) + "\n", "\n".join(module.checked) + "\n"
    return LoadedSubmission(source, origin, notes, module.origins, tuple(guarded), checked)


def _groups(statements: list[ast.stmt]) -> list[list[ast.stmt]]:
    """Runs of consecutive statements that are all definitions or all something else."""
    groups: list[list[ast.stmt]] = []
    for node in statements:
        if groups and isinstance(node, DEFINITIONS) == isinstance(groups[-1][0], DEFINITIONS):
            groups[-1].append(node)
        else:
            groups.append([node])
    return groups


def _first_line(node: ast.stmt) -> int:
    return min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])


def _string_continuations(source: str) -> set[int]:
    """Lines that continue a string begun on an earlier line (indenting them would change it)."""
    rows: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        rows.update(range(token.start[0] + 1, token.end[0] + 1))
    return rows


def _otter_names(trees: object) -> set[str]:
    """``otter`` and the names bound to it or to what it makes (``grader = otter.Notebook()``)."""
    names = {"otter"}
    for tree in trees:
        for node in tree.body:
            if isinstance(node, ast.Import):
                names |= {alias.asname or alias.name for alias in node.names if alias.name.split(".")[0] == "otter"}
            elif isinstance(node, ast.Assign) and _root(node.value) in names:
                names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    return names


def is_check_import(node: ast.stmt) -> bool:
    """Whether ``node`` is the generated notebook's :data:`CHECK_IMPORT` (not the student's code)."""
    return ast.unparse(node) == CHECK_IMPORT


def without_check_import(code: str) -> str:
    """A cell's code with the notebook's :data:`CHECK_IMPORT` blanked (the other lines keep their numbers)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return code
    lines = code.splitlines()
    for node in tree.body:
        if is_check_import(node):
            lines[node.lineno - 1 : node.end_lineno] = [""] * (node.end_lineno - node.lineno + 1)
    return "\n".join(lines)


def _is_otter(node: ast.stmt, names: set[str]) -> bool:
    if isinstance(node, ast.Import):
        return all(alias.name.split(".")[0] == "otter" for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == "otter"
    return isinstance(node, (ast.Assign, ast.Expr)) and _root(node.value) in names


def _root(node: ast.expr) -> str | None:
    """The name a call chain such as ``grader.check("q1")`` starts from."""
    while isinstance(node, (ast.Call, ast.Attribute)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def failed_cells(loaded: LoadedSubmission, call: Callable[[str], object]) -> list[str]:
    """Notes on the notebook cells that raised when the submission was imported.

    ``call(name)`` calls the submission's function ``name`` and returns its value. Call this
    before any test runs, so that what the submission reports cannot depend on hidden inputs.
    What it reports is believed only where it matches what the grader knows: a guarded cell
    of this notebook, each once and in the order they ran, a built-in exception's name and a
    line of that cell; at most ``MAX_FAILED_CELLS`` notes.
    """
    if not loaded.guarded_cells:
        return []
    from autograder.sandbox.client import SubmissionError  # here: intake itself never imports torch
    from autograder.sandbox.protocol import KNOWN_EXCEPTION_NAMES

    try:
        failures = call(FAILED_CELLS)
    except SubmissionError:  # the import failed, or the submission broke the function: nothing to add
        return []
    notes: list[str] = []
    last = 0
    for failure in failures if isinstance(failures, list) else []:
        if not (isinstance(failure, list) and len(failure) == 3 and type(failure[0]) is int):
            continue
        cell, name, line = failure
        if cell <= last or cell not in loaded.guarded_cells:
            continue
        if len(notes) == MAX_FAILED_CELLS:
            notes.append("more cells raised exceptions; the other cells still ran")
            break
        last = cell
        kind = name if type(name) is str and name in KNOWN_EXCEPTION_NAMES else "an exception"
        at = loaded.where(line) if type(line) is int and loaded.origin_of(line)[0] == cell else f"cell {cell}"
        notes.append(f"cell {cell} raised {kind} ({at}): the other cells still ran")
    return notes


def around(path: Path) -> Path:
    """The folder a submission's sandbox must not see: the submission's own, or the one it lies in
    (a class's other submissions may lie beside it)."""
    return path if path.is_dir() else path.parent
