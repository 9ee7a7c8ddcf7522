#!/usr/bin/env python3
"""Leave one document out: answering quality on leaflets nobody fitted on; prints JSON on stdout.

For each leaflet of our corpus (``eval/corpus/`` and the seed): fit the query adapter, the
accept/refuse model and every threshold without it (neither its index units nor any message
about it), then load it as an admin would (.txt, .docx or .pdf as ``docs.json`` says) and score
its own messages. The last line is the summary: mean and weakest in-scope, OOS refusal, wrong
quotes, one-tap reach. Progress goes to stderr.

Usage: python scripts/lodo.py [--keys nq09,kh218] [--quick] [--no-adapter] [--folder DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    from bot.answer.corpus import load_corpus
    from bot.answer.lodo import Workbench, leave_one_out
    from bot.embed.factory import create_embedder
    from bot.segment.factory import create_segmenter
    from bot.settings import get_settings
    from bot.threads import threads
    from tests.corpus import render_leaflet

    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", help="only these leaflets (comma-separated), default all")
    ap.add_argument("--quick", action="store_true", help="one point of each grid (minutes, not tens)")
    ap.add_argument("--no-adapter", action="store_true")
    ap.add_argument("--adapter-strength", type=float, help="keep an adapter of this strength whatever it does")
    ap.add_argument("--folder", type=Path, default=None, help="work folder (indexes, rendered files)")
    ap.add_argument("--show", action="store_true", help="print every message answered wrongly (stderr)")
    ap.add_argument(
        "--fit-all", type=Path, help="instead: fit on every leaflet, write calibration.json (+ adapter) here"
    )
    ap.add_argument("--dump", type=Path, help="with --fit-all: also write the judged features (npz) here")
    a = ap.parse_args()

    settings = get_settings()
    corpus = load_corpus()
    extra = {"folder": a.folder} if a.folder else {}
    bench = Workbench(
        settings,
        create_embedder(settings),
        create_segmenter(settings.segmenter),
        corpus,
        render=lambda leaflet, out: render_leaflet(leaflet.source, out, leaflet.format),
        **extra,
    )
    started = time.time()
    if a.fit_all:
        a.fit_all.mkdir(parents=True, exist_ok=True)
        with threads(settings.build_threads):
            calibration, adapter = bench.fit(
                sorted(corpus.leaflets),
                corpus,
                quick=a.quick,
                adapt=not a.no_adapter,
                dump=a.dump,
                adapter_strength=a.adapter_strength,
            )
        calibration.save(a.fit_all / "calibration.json")
        if adapter is not None:
            adapter.save(a.fit_all / "adapter.npz")
        print(json.dumps({"threshold": calibration.threshold, **calibration.metrics}, ensure_ascii=False))
        return
    with threads(settings.build_threads):
        results = leave_one_out(
            bench,
            a.keys.split(",") if a.keys else None,
            progress=lambda m: print(m, file=sys.stderr, flush=True),
            quick=a.quick,
            adapt=not a.no_adapter,
            adapter_strength=a.adapter_strength,
        )
    rows = []
    for r in results:
        rep = r.report
        rows.append(
            {
                "document": r.key,
                "messages": rep.inscope[1] + rep.oos[1],
                "inscope_lenient": round(rep.inscope_top1, 3),
                "inscope_strict": round(r.strict, 3),
                "oos_reject": round(rep.oos_reject, 3),
                "wrong_answers": rep.wrong_answers,
                "one_tap_reach": round(rep.one_tap_reach, 3),
                "threshold": r.calibration["threshold"],
                "adapter_strength": r.calibration.get("adapter_strength"),
                "per_kind": {k: f"{v[0]}/{v[1]}" for k, v in sorted(rep.per_category.items())},
            }
        )
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
        if a.show:
            for row, answer in rep.failures:
                src = answer.source
                got = f"{src.doc_id} q{src.question_number} i{src.item}" if answer.found and src else "-"
                offer = answer.suggestions[0] if answer.suggestions else None
                print(
                    f"  MISS {row.get('kind')}: {row['q'][:90]!r} want {row['expect']} got {got} "
                    f"p={answer.score:.2f}{' confirm' if answer.confirm else ''}"
                    f"{f' offer {offer.doc_id} q{offer.question_number}' if offer else ''}",
                    file=sys.stderr,
                )
    inscope = [x["inscope_lenient"] for x in rows]
    summary = {
        "documents": len(rows),
        "mean_inscope_lenient": round(sum(inscope) / len(inscope), 3),
        "weakest_inscope_lenient": min(inscope),
        "weakest_document": rows[inscope.index(min(inscope))]["document"],
        "mean_oos_reject": round(sum(x["oos_reject"] for x in rows) / len(rows), 3),
        "wrong_answers": sum(x["wrong_answers"] for x in rows),
        "mean_one_tap_reach": round(sum(x["one_tap_reach"] for x in rows) / len(rows), 3),
        "quick": a.quick,
        "adapter": not a.no_adapter,
        "seconds": round(time.time() - started, 1),
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
