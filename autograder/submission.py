"""Reading what a student handed in: a module, a notebook, a folder or a zip of either.

Everything here only reads files; nothing of the submission runs in this process.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat

from autograder.notebook import CHECK_TAG

MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000


class SubmissionFileError(Exception):
    """The submission cannot be read at all (as opposed to code that fails)."""


@dataclass
class LoadedSubmission:
    source: str
    origin: str
    notes: list[str] = field(default_factory=list)
    cell_starts: list[tuple[int, int]] = field(default_factory=list)  # (first module line, cell number)

    def where(self, line: int) -> str:
        """A line of the module, as the student finds it: in their file, or in a notebook cell."""
        for start, cell in reversed(self.cell_starts):
            if line >= start:
                return f"line {line - start + 1} of cell {cell}"
        return f"line {line} of your file"


def load(path: Path, module: str) -> LoadedSubmission:
    """The module source of a submission at ``path`` for an assignment whose module is ``module``."""
    if not path.exists():
        raise SubmissionFileError(f"no such file or folder: {path}")
    if path.is_dir():
        return _from_folder(path, module)
    if path.suffix == ".zip":
        return _from_zip(path, module)
    return _from_file(path.name, _read(path), str(path))


def _read(path: Path) -> bytes:
    if path.stat().st_size > MAX_SOURCE_BYTES:
        raise SubmissionFileError(f"{path} is larger than {MAX_SOURCE_BYTES // 2**20} MiB")
    return path.read_bytes()


def _from_file(name: str, data: bytes, origin: str) -> LoadedSubmission:
    if name.endswith(".ipynb"):
        return notebook_source(data, origin)
    if not name.endswith(".py"):
        raise SubmissionFileError(f"{origin}: expected a .py module, a .ipynb notebook, a folder or a .zip")
    return LoadedSubmission(_text(data, origin), origin)


def _text(data: bytes, origin: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SubmissionFileError(f"{origin} is not UTF-8 text") from None


def _pick(names: list[str], module: str, where: str) -> str:
    """The module file among ``names`` (shallowest first), else the only notebook."""
    candidates = [n for n in names if not any(part.startswith(("__MACOSX", ".")) for part in PurePosixPath(n).parts)]
    by_depth = sorted(candidates, key=lambda n: (len(PurePosixPath(n).parts), n))
    modules = [n for n in by_depth if PurePosixPath(n).name == f"{module}.py"]
    if modules:
        return modules[0]
    notebooks = [n for n in by_depth if n.endswith(".ipynb") and ".ipynb_checkpoints" not in n]
    if len(notebooks) == 1:
        return notebooks[0]
    if notebooks:
        named = [n for n in notebooks if PurePosixPath(n).stem == module]
        if named:
            return named[0]
        raise SubmissionFileError(f"{where} holds several notebooks and no {module}.py: hand in one of them")
    raise SubmissionFileError(f"{where} holds no {module}.py and no notebook")


def _from_folder(folder: Path, module: str) -> LoadedSubmission:
    inside = folder.resolve()  # a link out of the folder could name the reference or the hidden tests
    names = [
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.resolve().is_relative_to(inside)
    ]
    chosen = _pick(names, module, str(folder))
    return _from_file(chosen, _read(folder / chosen), str(folder / chosen))


def _from_zip(path: Path, module: str) -> LoadedSubmission:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()][:MAX_ZIP_MEMBERS]
            chosen = _pick([info.filename for info in members], module, str(path))
            info = archive.getinfo(chosen)
            if info.file_size > MAX_SOURCE_BYTES:
                raise SubmissionFileError(f"{chosen} in {path} is too large")
            data = archive.read(info)
    except (zipfile.BadZipFile, OSError, RuntimeError) as error:
        raise SubmissionFileError(f"{path} is not a readable zip file: {error}") from None
    return _from_file(chosen, data, f"{path}:{chosen}")


def notebook_source(data: bytes, origin: str) -> LoadedSubmission:
    """A notebook's code cells in order, as a module; IPython magics and shell lines are dropped."""
    try:
        notebook = nbformat.reads(_text(data, origin), as_version=4)
    except Exception as error:  # nbformat raises many types for a broken notebook
        raise SubmissionFileError(f"{origin} is not a readable notebook: {error}") from None
    parts, notes, starts, next_line = [], [], [], 1
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code":
            continue
        if CHECK_TAG in cell.get("metadata", {}).get("tags", []):
            continue  # the notebook's own check cells run the public tests, not the student's code
        lines = cell.source.splitlines()
        if lines and lines[0].lstrip().startswith("%%"):
            notes.append(f"cell {number}: skipped a cell magic ({lines[0].strip()})")
            continue
        kept = []
        for line in lines:
            stripped = line.lstrip()
            if stripped.startswith(("%", "!")):
                notes.append(f"cell {number}: skipped the IPython line `{stripped[:60]}`")
                kept.append(line[: len(line) - len(stripped)] + "pass")
            else:
                kept.append(line)
        parts.append(f"# cell {number}\n" + "\n".join(kept))
        starts.append((next_line + 1, number))
        next_line += len(kept) + 2  # the header line, and the blank line between parts
    return LoadedSubmission("\n\n".join(parts) + "\n", origin, notes, starts)
