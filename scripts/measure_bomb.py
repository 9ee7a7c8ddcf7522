#!/usr/bin/env python3
"""A 3 MB PDF whose streams inflate to 3 GB, given to ``hoidap docs preview`` as an admin would.

Two shapes (tests/corpus.py ``pdf_bomb``): 30 streams of 100 MB (one stream past the per-stream
limit) and 200 streams of 15 MB (each under it, together past the per-document limit). For each:
the file's size, what it inflates to, whether it was refused and with what message, the wall-clock
seconds of the whole command, the peak resident memory of the command's own process and of the child
process that parsed the file (read from the child). Prints one JSON object.

Usage: python scripts/measure_bomb.py
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SHAPES = {"30x100MB": (30, 100), "200x15MB": (200, 15)}


def main() -> dict:
    from bot.documents import sandbox
    from bot.documents.sandbox import ParseLimits, parse_in_child
    from bot.errors import DocumentError
    from tests.corpus import pdf_bomb

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = dict(
            os.environ,
            HOIDAP_KNOWLEDGE_DIR=str(root / "knowledge"),
            HOIDAP_INDEX_DIR=str(root / "index"),
            HOIDAP_DATA_DIR=str(root / "data"),
            HOIDAP_DATABASE_URL=f"sqlite:///{root / 'data' / 'bomb.db'}",
        )
        for name, (streams, each_mb) in SHAPES.items():
            bomb = pdf_bomb(root / f"bomb-{name}.pdf", streams, each_mb * 1024 * 1024)
            began = time.monotonic()
            run = subprocess.run(
                [str(Path(sys.executable).with_name("hoidap")), "docs", "preview", str(bomb)],
                env=env,
                capture_output=True,
                text=True,
            )
            seconds = time.monotonic() - began
            cli_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
            with contextlib.suppress(DocumentError):  # the same parse in-process, to read the child's peak
                parse_in_child(bomb, bomb.read_bytes(), None, ParseLimits(768 * 1024 * 1024, 60))
            out[name] = {
                "file_mb": round(bomb.stat().st_size / 1048576, 2),
                "inflates_to_gb": round(streams * each_mb / 1024, 2),
                "refused": run.returncode != 0,
                "message": (run.stdout + run.stderr).strip().splitlines()[-1]
                if (run.stdout + run.stderr).strip()
                else "",
                "docs_preview_s": round(seconds, 2),
                "command_peak_mb": round(cli_peak / 1048576),
                "parsing_child_peak_mb": round((sandbox.last_run["peak_bytes"] or 0) / 1048576),
            }
    return out


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False))
