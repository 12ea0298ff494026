"""Read a directory tree as untrusted input (a bundle someone sent): only what is inside it.

Every file and subdirectory is opened relative to its parent's open descriptor, with O_NOFOLLOW: a symbolic
link is never followed (not even one pointing inside), so nothing outside the tree can be read through it,
and swapping a directory for a link between a check and an open changes nothing. Only regular files are
opened (a FIFO would block forever, /dev/zero never ends), and a tree nested deeper than `MAX_DEPTH` is
refused. What is skipped becomes a note for the report. Standard library only; no parsing here.
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from cronjob_doctor.errors import InputError

MAX_DEPTH = 8
"""Directories below the root: a bundle is at most failed-jobs/<job>/logs/<pod>/ deep (4); raw dumps add a
level or two. Deeper is not a bundle, and walking it would cost without end."""

_FOLLOW_NOT = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a FIFO for reading blocks until a writer comes, unless this
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_WITH_FDS = os.open in os.supports_dir_fd and os.scandir in os.supports_fd and bool(_FOLLOW_NOT)
_LINK_ERRORS = {errno.ELOOP, getattr(errno, "EMLINK", errno.ELOOP), getattr(errno, "EFTYPE", errno.ELOOP)}


def visible(text: str) -> str:
    """`text` with every control, format and line-separator character written as an escape (`\\n`, `\\x1b`,
    `\\u202e`): for names, which Kubernetes never allows such characters in, and paths shown in one-line errors."""
    if text.isprintable():
        return text
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in _HIDDEN else ch for ch in text
    )


_HIDDEN = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


@dataclass
class Entry:
    """One name in a directory, and what it is (never resolved through a link)."""

    name: str
    kind: str
    """`dir`, `file`, `link` or `other` (a FIFO, socket or device)."""


@dataclass
class Tree:
    """An open directory of the tree. `where` is its path relative to the root, for messages and notes."""

    root: Path
    where: PurePosixPath = field(default_factory=lambda: PurePosixPath("."))
    depth: int = 0
    notes: list[str] = field(default_factory=list)
    """Shared by the whole tree: what was skipped, in words."""
    _fd: int | None = None

    @classmethod
    @contextmanager
    def open(cls, root: Path) -> Iterator[Tree]:
        """The tree at `root` (which may itself be a link: the user named it), closed on exit."""
        tree = cls(root=root)
        if _WITH_FDS:
            try:
                tree._fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
            except OSError as exc:
                raise InputError(f"cannot read bundle {visible(str(root))}: {exc.strerror or exc}") from exc
        try:
            yield tree
        finally:
            tree.close()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _path(self, name: str) -> str:
        return visible(str(self.root.joinpath(*self.where.parts, name)))

    def _shown(self, name: str) -> str:
        return visible((self.where / name).as_posix())

    def entries(self) -> list[Entry]:
        """The names in this directory, sorted, each with its kind as it is (links not followed)."""
        try:
            with os.scandir(self._fd if self._fd is not None else self.root.joinpath(*self.where.parts)) as found:
                out = [Entry(e.name, _kind(e)) for e in found]
        except OSError as exc:
            raise InputError(f"cannot list {self._path('')}: {exc.strerror or exc}") from exc
        return sorted(out, key=lambda e: e.name)

    @contextmanager
    def child(self, name: str) -> Iterator[Tree | None]:
        """The subdirectory `name`, or None when there is none (a link or a special file is noted, not
        followed). InputError when the tree is deeper than MAX_DEPTH."""
        if self.depth + 1 > MAX_DEPTH:
            raise InputError(
                f"bundle {visible(str(self.root))}: {self._shown(name)} is nested deeper than {MAX_DEPTH} directories",
                hint="a bundle is at most failed-jobs/<job>/logs/<pod>/ deep; pass the bundle directory itself",
            )
        sub = Tree(root=self.root, where=self.where / name, depth=self.depth + 1, notes=self.notes)
        if self._fd is not None:
            try:
                sub._fd = os.open(name, os.O_RDONLY | _DIRECTORY | _FOLLOW_NOT | _CLOEXEC, dir_fd=self._fd)
            except OSError as exc:
                if exc.errno in _LINK_ERRORS or (exc.errno == errno.ENOTDIR and self._is_link(name)):
                    self._skip(name, "is a symbolic link: not followed (analyze reads only inside the bundle)")
                elif exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                    raise InputError(f"cannot read {self._path(name)}: {exc.strerror or exc}") from exc
                yield None
                return
        else:
            kind = self._lkind(name)
            if kind == "link":
                self._skip(name, "is a symbolic link: not followed (analyze reads only inside the bundle)")
            if kind != "dir":
                yield None
                return
        try:
            yield sub
        finally:
            sub.close()

    def open_file(self, name: str) -> BinaryIO | None:
        """The regular file `name` opened for reading in binary, or None when there is none; a link or a
        special file is noted and not opened."""
        if self._fd is not None:
            try:
                fd = os.open(name, os.O_RDONLY | _FOLLOW_NOT | _NONBLOCK | _CLOEXEC, dir_fd=self._fd)
            except OSError as exc:
                if exc.errno in _LINK_ERRORS:
                    self._skip(name, "is a symbolic link: not followed (analyze reads only inside the bundle)")
                elif exc.errno not in (errno.ENOENT, errno.ENOTDIR, errno.EISDIR):
                    raise InputError(f"cannot read {self._path(name)}: {exc.strerror or exc}") from exc
                return None
        else:
            kind = self._lkind(name)
            if kind == "link":
                self._skip(name, "is a symbolic link: not followed (analyze reads only inside the bundle)")
            if kind not in ("file", "other"):
                return None
            try:
                fd = os.open(self.root.joinpath(*self.where.parts, name), os.O_RDONLY | _NONBLOCK | _CLOEXEC)
            except OSError as exc:
                raise InputError(f"cannot read {self._path(name)}: {exc.strerror or exc}") from exc
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            os.close(fd)
            return None
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            self._skip(name, "is not a regular file (a FIFO, socket or device): not read")
            return None
        if _NONBLOCK:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")

    def _is_link(self, name: str) -> bool:
        return self._lkind(name) == "link"

    def _lkind(self, name: str) -> str:
        try:
            where = self.root.joinpath(*self.where.parts, name)
            info = os.lstat(name, dir_fd=self._fd) if self._fd is not None else os.lstat(where)
        except OSError:
            return "missing"
        return _mode_kind(info.st_mode)

    def _skip(self, name: str, why: str) -> None:
        note = f"{self._shown(name)} {why}"
        if note not in self.notes:
            self.notes.append(note)


def _kind(entry: os.DirEntry[str]) -> str:
    try:
        return _mode_kind(entry.stat(follow_symlinks=False).st_mode)
    except OSError:
        return "other"


def _mode_kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    return "other"


def open_inside(root: Path, relative: PurePosixPath) -> BinaryIO | None:
    """Open `root/relative` for reading as `Tree` would: every component without following a link, a regular
    file only. For a file found earlier and read later (a log read lazily): the tree may have changed since."""
    notes: list[str] = []
    with Tree.open(root) as tree:
        tree.notes = notes
        return _open_parts(tree, relative.parts)


def _open_parts(tree: Tree, parts: tuple[str, ...]) -> BinaryIO | None:
    if len(parts) == 1:
        return tree.open_file(parts[0])
    with tree.child(parts[0]) as sub:
        return _open_parts(sub, parts[1:]) if sub is not None else None
