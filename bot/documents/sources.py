"""Which files of a folder are source documents — regular files only.

A symbolic link in the knowledge folder is never followed: one pointing outside
the folder (``knowledge/x.txt -> /etc/passwd``) would have the system's files
indexed and quoted to members. Links are skipped with a notice saying why
(outside the folder, dangling, or a second name for a file already read), as
are sockets, pipes and devices. Hidden (``.history``) and ``_``-prefixed
folders and files, and READMEs, are not documents.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from bot.documents.readers import SUPPORTED_SUFFIXES
from bot.errors import DocumentError

log = logging.getLogger(__name__)


@dataclass
class Scan:
    files: list[Path] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # links and special files skipped, in Vietnamese


def _skipped_name(name: str) -> bool:
    return name.startswith((".", "_")) or name.upper().startswith("README")


def scan_folder(folder: Path) -> Scan:
    """Regular source files under ``folder`` (sorted), and notices for what was refused."""
    folder = Path(folder)
    scan = Scan()
    root = os.path.realpath(folder)
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not _skipped_name(d))
        here = Path(dirpath)
        for d in list(dirnames):
            if (here / d).is_symlink():
                dirnames.remove(d)
                scan.notices.append(_link_notice(here / d, folder, root))
        for name in sorted(filenames):
            if _skipped_name(name):
                continue
            path = here / name
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISLNK(info.st_mode):
                if name.lower().endswith(SUPPORTED_SUFFIXES) or not _inside(os.path.realpath(path), root):
                    scan.notices.append(_link_notice(path, folder, root))
                continue
            if not stat.S_ISREG(info.st_mode):
                if name.lower().endswith(SUPPORTED_SUFFIXES):
                    scan.notices.append(f"Bỏ qua {path.relative_to(folder)}: không phải tệp thường.")
                continue
            if info.st_nlink > 1 and name.lower().endswith(SUPPORTED_SUFFIXES):
                scan.notices.append(
                    f"Từ chối {path.relative_to(folder)}: là liên kết cứng (hard link) tới một tệp có tên khác, "
                    "có thể ở ngoài thư mục kho văn bản; không được đọc."
                )
                continue
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                scan.files.append(path)
    scan.files.sort()
    for notice in scan.notices:
        log.warning("knowledge folder: %s", notice)
    return scan


def own_file(path: Path) -> bool:
    """A regular file, not a link, with no other name (a hard link's other name may be anywhere)."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_nlink == 1


def foreign_entry(root: Path) -> str | None:
    """The first thing in the tree at ``root`` that is not a real folder or a file of its own there — a
    symbolic link (to a folder or a file), a hard link, a device — as "path: why"; None when all are."""
    root = Path(root)
    try:
        if stat.S_ISLNK(os.lstat(root).st_mode):
            return f"{root.name}: liên kết (symlink)"
    except OSError:
        return f"{root.name}: không đọc được"
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for name in sorted(dirnames) + sorted(filenames):
            path = here / name
            info = os.lstat(path)
            rel = path.relative_to(root.parent)
            if stat.S_ISLNK(info.st_mode):
                return f"{rel}: liên kết (symlink)"
            if stat.S_ISDIR(info.st_mode):
                continue
            if not stat.S_ISREG(info.st_mode):
                return f"{rel}: không phải tệp thường"
            if info.st_nlink > 1:
                return f"{rel}: liên kết cứng (hard link)"
    return None


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _link_notice(path: Path, folder: Path, root: str) -> str:
    rel = path.relative_to(folder)
    target = os.readlink(path)
    resolved = os.path.realpath(path)
    if not os.path.exists(resolved):
        return f"Liên kết hỏng {rel} → {target}: bỏ qua."
    if not _inside(resolved, root):
        return f"Từ chối liên kết {rel} → {target}: trỏ ra ngoài thư mục kho văn bản, không được đọc."
    return f"Bỏ qua liên kết {rel} → {target}: kho chỉ đọc tệp thường."


def find_sources(paths: list[Path]) -> Scan:
    """Source files named by ``paths`` (folders scanned as above; a named file must be a regular file)."""
    scan = Scan()
    for p in paths:
        p = Path(p)
        if p.is_symlink():
            raise DocumentError("là liên kết (symlink), không phải tệp thường; bị từ chối", p)
        if p.is_dir():
            found = scan_folder(p)
            scan.files += found.files
            scan.notices += found.notices
        elif p.is_file():
            scan.files.append(p)
        else:
            raise DocumentError("không tìm thấy tệp hoặc thư mục", p)
    return scan
