"""Old Word 97–2003 ``.doc`` files: converted to .docx by LibreOffice, then read as .docx.

The binary .doc format has no maintained pure-Python reader; LibreOffice reads it as Word does.
``soffice --headless --convert-to docx`` runs in a private temporary folder with a profile of its own
(two conversions at once would otherwise fight over the user's profile lock), under a time limit, in
the capped parsing child (:mod:`bot.documents.sandbox`), whose limits it inherits. Where LibreOffice is
not installed the file is refused with a message saying how to convert it by hand.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from bot.documents.readers import Extracted
from bot.errors import DocumentError, DocumentTooLarge

CONVERT_SECONDS = 60
NOT_INSTALLED = (
    "tệp .doc (Word 97–2003) cần LibreOffice để đọc, nhưng máy chủ chưa cài (gói Debian "
    "libreoffice-writer-nogui); hãy mở tệp bằng Word và chọn Tệp → Lưu thành → Tài liệu Word (.docx), "
    "rồi gửi lại tệp .docx"
)
# Word 97-2003 files are OLE2 compound files; anything else named .doc (an .rtf, a .docx renamed) is not one.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def soffice_available(cmd: str) -> bool:
    return shutil.which(cmd) is not None


def convert_to_docx(data: bytes, path: Path, cmd: str = "soffice") -> bytes:
    """The .docx LibreOffice makes of the .doc ``data``."""
    if not soffice_available(cmd):
        raise DocumentError(NOT_INSTALLED, path)
    with tempfile.TemporaryDirectory(prefix="hoidap-doc-") as tmp:
        folder = Path(tmp)
        source = folder / "input.doc"
        source.write_bytes(data)
        profile = (folder / "profile").as_uri()
        try:
            result = subprocess.run(
                [
                    cmd,
                    f"-env:UserInstallation={profile}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "docx",
                    "--outdir",
                    str(folder / "out"),
                    str(source),
                ],
                capture_output=True,
                timeout=CONVERT_SECONDS,
                check=False,
                cwd=folder,
            )
        except subprocess.TimeoutExpired as e:
            raise DocumentTooLarge(
                f"chuyển tệp .doc sang .docx quá {CONVERT_SECONDS} giây; hãy lưu lại thành .docx bằng Word rồi gửi lại",
                path,
            ) from e
        except OSError as e:
            raise DocumentError(NOT_INSTALLED, path) from e
        converted = folder / "out" / "input.docx"
        if not converted.is_file():
            detail = (result.stderr or result.stdout).decode("utf-8", "replace").strip().splitlines()
            raise DocumentError(
                "LibreOffice không chuyển được tệp .doc sang .docx"
                + (f" ({detail[-1][:120]})" if detail else "")
                + "; hãy mở bằng Word, lưu thành .docx rồi gửi lại",
                path,
            )
        return converted.read_bytes()


def read_doc(data: bytes, path: Path, cmd: str = "soffice") -> Extracted:
    if not data.startswith(OLE2_MAGIC):
        raise DocumentError(
            "tệp .doc không phải định dạng Word 97–2003; hãy mở bằng Word, lưu thành .docx rồi gửi lại", path
        )
    from bot.documents.readers.word import read_docx

    extracted = read_docx(convert_to_docx(data, path, cmd), path)
    extracted.notes.insert(0, "Tệp .doc (Word 97–2003) đã được chuyển sang .docx bằng LibreOffice — hãy kiểm tra lại.")
    return extracted
