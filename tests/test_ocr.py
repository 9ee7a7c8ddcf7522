"""Documents as offices really send them: scans, photos of pages, old .doc files (issue 23).

Real Tesseract (tesseract-ocr + tesseract-ocr-vie), real LibreOffice where installed, the real model;
the scans and photos are made here from the seed leaflet's own text, as a scanner and a phone would.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.documents.ocr import DISABLED, NOT_INSTALLED, OcrConfig, find_page, to_gray
from bot.documents.ocrfix import correct_words
from bot.documents.parser import parse_file
from bot.documents.readers import ReadOptions, read_document
from bot.errors import DocumentError
from tests import test_admin_telegram
from tests.conftest import SEED_DOC, make_settings
from tests.corpus import leaflet_pdf, photographed, scan_pages, scanned_pdf

admin_bot = test_admin_telegram.admin_bot  # the fixture: a Telegram bot (fake API) whose admin is ADMIN
pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")


def same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


@pytest.fixture(scope="module")
def official():
    return parse_file(SEED_DOC)


@pytest.fixture(scope="module")
def leaflet(tmp_path_factory) -> Path:
    """The seed as the A5 PDF a province prints (4 pages, running header, page numbers)."""
    return leaflet_pdf(SEED_DOC, tmp_path_factory.mktemp("leaflet") / "ct46.pdf")


def options(tmp_path: Path, **ocr) -> ReadOptions:
    return ReadOptions(OcrConfig(cache_path=tmp_path / "ocr.sqlite", **ocr))


def test_a_knowledge_folder_holding_only_a_scan_answers_every_official_question_verbatim(
    tmp_path, leaflet, official, embedder, segmenter
):
    """The seed printed, scanned at 200 dpi, each page turned by up to 0.6° and speckled: it builds, and each
    official question asked verbatim is answered with the official text; the citation says it was OCR'd.
    A second build after the parse cache is gone reads every page from the OCR cache, never Tesseract."""
    from bot.index.builder import build_index
    from bot.service import Assistant

    settings = make_settings(tmp_path)
    scanned_pdf(leaflet, settings.knowledge_dir / "ct46-scan.pdf")
    build_index(settings, embedder, segmenter)
    assistant = Assistant(settings, embedder=embedder)
    for pair in official.pairs:
        answer = assistant.ask(pair.question)
        assert answer.found and answer.source.question_number == pair.number
        assert same(answer.answer, pair.answer), f"Câu hỏi {pair.number}"
        assert answer.source.ocr and "OCR" not in answer.source.citation  # admins see it, members do not

    # Rebuild with a "tesseract" that only writes down that it was called (and fails).
    log = tmp_path / "tesseract-calls.log"
    spy = tmp_path / "bin" / "tesseract"
    spy.parent.mkdir()
    spy.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexit 1\n')
    spy.chmod(0o755)
    shutil.rmtree(settings.index_dir / "cache" / "documents")
    rebuilt = make_settings(tmp_path, ocr_tesseract_cmd=str(spy))
    result = build_index(rebuilt, embedder, segmenter)
    assert result.documents and not log.exists()


def test_a_pdf_mixing_typed_and_scanned_pages_is_read_page_by_page(tmp_path, leaflet, official):
    """Pages 1-2 keep their text layer, pages 3-4 are only pixels: the document is whole, only 3-4 are OCR'd,
    and the preview says so with a confidence per page."""
    from pypdf import PdfWriter

    scan = scanned_pdf(leaflet, tmp_path / "scan.pdf")
    mixed = tmp_path / "mixed.pdf"
    writer = PdfWriter()
    writer.append(str(leaflet), pages=(0, 2))
    writer.append(str(scan), pages=(2, 4))
    writer.write(mixed)

    doc = parse_file(mixed, options=options(tmp_path))
    assert [p.number for p in doc.pairs] == [p.number for p in official.pairs]
    for got, want in zip(doc.pairs, official.pairs, strict=True):
        assert same(got.question, want.question) and same(got.answer, want.answer), f"Câu hỏi {want.number}"
    assert doc.meta.ocr
    assert [p["page"] for p in doc.ocr["pages"]] == [3, 4]
    assert all(p["confidence"] > 80 for p in doc.ocr["pages"])
    assert any("OCR" in w and "trang 3" in w for w in doc.warnings)
    assert "Câu hỏi 8" in doc.ocr["text"]  # the recognised text the admin can download and correct


def test_a_phone_photo_at_an_angle_is_flattened_and_read(tmp_path, leaflet, official):
    """A page photographed from an angle on a desk: the page is found, warped upright and read."""
    page = scan_pages(leaflet, dpi=200, max_angle=0, speckles=0)[0]
    photo = photographed(page, tmp_path / "anh-chup.jpg")
    from PIL import Image

    assert find_page(to_gray(Image.open(photo))) is not None
    extracted = read_document(photo, options=options(tmp_path))
    text = " ".join(extracted.text.split())
    first = official.pairs[0]
    assert " ".join(f"Câu hỏi 1: {first.question}".split()) in text
    assert " ".join(first.items[0].text.split()) in text if first.items else first.answer.split()[0] in text
    assert extracted.ocr["pages"][0]["confidence"] > 80


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_an_old_doc_file_is_converted_by_libreoffice(tmp_path, official):
    """A Word 97-2003 file typed the old way (numbers typed, one paragraph per line)."""
    import docx

    document = docx.Document()
    for line in SEED_DOC.read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line)
    source = tmp_path / "ct46.docx"
    document.save(source)
    subprocess.run(
        ["soffice", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless", "--convert-to", "doc",
         "--outdir", str(tmp_path / "doc"), str(source)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    doc = parse_file(tmp_path / "doc" / "ct46.doc", options=options(tmp_path))
    assert len(doc.pairs) == len(official.pairs)
    for got, want in zip(doc.pairs, official.pairs, strict=True):
        assert same(got.answer, want.answer), f"Câu hỏi {want.number}"
    assert any("LibreOffice" in w for w in doc.warnings)


def test_an_old_doc_file_without_libreoffice_is_refused_saying_how_to_convert(tmp_path):
    doc = tmp_path / "cong-van.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)  # a Word 97-2003 (OLE2) header
    missing = ReadOptions(OcrConfig(cache_path=None), soffice_cmd=str(tmp_path / "not-installed" / "soffice"))
    with pytest.raises(DocumentError) as refused:
        parse_file(doc, options=missing)
    assert "LibreOffice" in refused.value.detail and "Lưu thành" in refused.value.detail
    assert ".docx" in refused.value.detail


def test_a_scan_without_ocr_is_refused_saying_why(tmp_path, leaflet):
    scan = scanned_pdf(leaflet, tmp_path / "scan.pdf")
    with pytest.raises(DocumentError) as off:
        parse_file(scan, options=options(tmp_path, enabled=False))
    assert off.value.detail == DISABLED
    with pytest.raises(DocumentError) as missing:
        parse_file(scan, options=options(tmp_path, tesseract_cmd=str(tmp_path / "no-tesseract")))
    assert missing.value.detail == NOT_INSTALLED


def test_marks_ocr_confuses_are_corrected_from_context_and_clean_text_is_left_alone():
    fixed, changes = correct_words(["Câu", "hòi", "1:", "Có", "quan", "điểm"], [96, 70, 96, 96, 96, 96])
    assert fixed == ["Câu", "hỏi", "1:", "Có", "quan", "điểm"] and len(changes) == 1
    fixed, _ = correct_words("ý kiến, đề xuất, nội dụng tham mưu".split(), [96] * 5 + [76] + [96] * 2)
    assert fixed[5] == "dung"
    clean = "Né tránh, đùn đẩy, không làm đúng, làm hết, làm đầy đủ chức trách, nhiệm vụ được giao.".split()
    assert correct_words(clean, [96.0] * len(clean)) == (clean, [])


async def test_an_admin_sends_a_photo_of_a_page_in_the_chat_and_sees_the_ocr_preview(
    fake, admin_bot, leaflet, tmp_path
):
    """A photo (no caption) from an admin in private is a page to add — as Telegram delivers it, at most
    1280 pixels on its long side. The preview says it was OCR'd, with the page's confidence."""
    import io
    import uuid

    from PIL import Image

    from tests.test_admin_telegram import ADMIN

    photo = Image.open(photographed(scan_pages(leaflet, dpi=200, max_angle=0, speckles=0)[0], tmp_path / "p.jpg"))
    photo.thumbnail((1280, 1280))
    data = io.BytesIO()
    photo.save(data, format="JPEG", quality=87)
    fid = uuid.uuid4().hex
    fake.files[fid] = data.getvalue()
    admin = fake.user(ADMIN, "Quản trị")
    chat = fake.private_chat(admin)
    sizes = [{"file_id": fid, "file_unique_id": fid[:8], "width": photo.width, "height": photo.height,
              "file_size": len(fake.files[fid])}]  # fmt: skip
    before = len(fake.calls)
    await fake.deliver({"update_id": 990001, "message": fake._message(chat, admin, photo=sizes)})
    preview = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == admin["id"], after=before)
    text = preview.params["text"]
    assert "nhận dạng chữ (OCR)" in text and "trang 1:" in text
    assert "Câu hỏi 1" in text and "46-CT/TU" in text


@pytest.fixture
async def album_bot(fake, settings, embedder):
    """An admin's bot whose upload limit an album of two photos fits in once combined (3 MB here)."""
    async with test_admin_telegram.running_admin_bot(fake, settings, embedder, max_upload_mb=3) as core:
        yield core


async def test_an_album_of_page_photos_in_the_chat_is_one_document(fake, album_bot, leaflet, tmp_path):
    """Telegram delivers an album as one update per photo: the photos are gathered (in the database, so
    any process may get any of them) and previewed once, as one document with a page each, in order."""
    import io
    import uuid

    from PIL import Image

    from tests.test_admin_telegram import ADMIN

    admin = fake.user(ADMIN, "Quản trị")
    chat = fake.private_chat(admin)
    before = len(fake.calls)
    for n, page in enumerate(scan_pages(leaflet, dpi=200, max_angle=0, speckles=0)[:2], 1):
        photo = Image.open(photographed(page, tmp_path / f"p{n}.jpg", seed=n))
        photo.thumbnail((1280, 1280))  # as Telegram recompresses photos
        data = io.BytesIO()
        photo.save(data, format="JPEG", quality=87)
        fid = uuid.uuid4().hex
        fake.files[fid] = data.getvalue()
        sizes = [{"file_id": fid, "file_unique_id": fid[:8], "width": photo.width, "height": photo.height,
                  "file_size": len(fake.files[fid])}]  # fmt: skip
        message = fake._message(chat, admin, photo=sizes, media_group_id="13579")
        await fake.deliver({"update_id": 991000 + n, "message": message})
    preview = await fake.wait_for(
        "sendMessage", lambda c: int(c.params["chat_id"]) == admin["id"], after=before, timeout=120
    )
    text = preview.params["text"]
    assert "nhận dạng chữ (OCR)" in text and "trang 1:" in text and "trang 2:" in text, text
    assert "46-CT/TU" in text
    await asyncio.sleep(3)  # nothing more: not a preview per photo
    previews = [c for c in fake.calls[before:] if c.method == "sendMessage" and "OCR" in c.params.get("text", "")]
    assert len(previews) == 1


async def test_an_admin_uploads_photos_of_two_pages_on_the_dashboard_as_one_document(web, leaflet, tmp_path):
    """Several photos chosen at once are one document, a page each, in order; the preview shows each
    page's confidence, offers the recognised text to download and shows it with doubtful words marked."""
    import urllib.parse

    import httpx
    from PIL import Image

    from tests.test_web import WEB_ADMIN, csrf_of, log_in

    pages = scan_pages(leaflet, dpi=200, max_angle=0, speckles=0)[:2]
    photos = [photographed(page, tmp_path / f"trang-{n}.jpg", seed=n) for n, page in enumerate(pages, 1)]
    for p in photos:  # as a phone app sends them, small enough for this server's 2 MB limit
        image = Image.open(p)
        image.thumbnail((1400, 1400))
        image.save(p, quality=80)
    async with httpx.AsyncClient(base_url=web.url, timeout=300) as admin:
        assert (await log_in(admin, web, WEB_ADMIN)).status_code == 303
        csrf = await csrf_of(admin, "/admin/documents")
        files = [("file", (p.name, p.read_bytes(), "image/jpeg")) for p in photos]
        page = await admin.post("/admin/documents", data={"csrf": csrf}, files=files)
    assert page.status_code == 200
    assert "Nhận dạng chữ (OCR) từ ảnh scan/chụp" in page.text and "từ 2/2 trang" in page.text
    assert "Tải văn bản nhận dạng (.txt)" in page.text
    link = page.text.split('href="data:text/plain;charset=utf-8,', 1)[1].split('"', 1)[0]
    recognised = urllib.parse.unquote(link)
    assert "Câu hỏi 1:" in recognised and "Câu hỏi 2:" in recognised  # page 2 follows page 1


async def test_an_admin_sends_a_photo_of_a_page_on_zalo_and_sees_the_ocr_preview(
    leaflet, tmp_path, seed_settings, embedder
):
    """Zalo gives the address of the image; the bot downloads it (within the upload limit) and reads it."""
    import io

    from PIL import Image

    from bot.channels.zalo.app import ZaloChannel
    from bot.service import Assistant
    from tests.fakes.zalo_api import FakeZalo
    from tests.test_zalo import ADMIN, zalo_settings

    photo = Image.open(photographed(scan_pages(leaflet, dpi=200, max_angle=0, speckles=0)[0], tmp_path / "p.jpg"))
    photo.thumbnail((1280, 1280))
    data = io.BytesIO()
    photo.save(data, format="JPEG", quality=87)
    zalo = FakeZalo()
    await zalo.start()
    settings = zalo_settings(seed_settings, zalo, tmp_path)
    core = Assistant(settings, embedder=embedder)
    channel = ZaloChannel(settings, core)
    await channel.start()
    try:
        before = len(zalo.calls)
        await zalo.deliver(zalo.image_update(ADMIN, ADMIN, "Quản trị", data.getvalue()))
        reply = await zalo.wait_for("sendMessage", lambda c: c.params["chat_id"] == ADMIN, after=before, timeout=120)
        text = reply.params["text"]
        assert "nhận dạng chữ (OCR)" in text and "Câu hỏi 1" in text
    finally:
        zalo.release_polls()
        await channel.stop()
        core.close()
        await zalo.stop()


def test_the_settings_that_change_what_a_scan_reads_as_are_part_of_both_cache_keys(tmp_path):
    """Another resolution or language re-reads the scan; the cache's place and the worker count do not."""
    from bot.documents.cache import ParseCache
    from bot.documents.ocr import page_key

    def keys(**ocr):
        config = OcrConfig(cache_path=tmp_path / "ocr.sqlite", **ocr)
        return ParseCache(tmp_path, options=ReadOptions(config))._key("ab" * 32, ".pdf"), page_key("cd" * 32, 1, config)

    base = keys()
    assert keys(dpi=200)[0] != base[0] and keys(dpi=200)[1] != base[1]
    assert keys(languages="vie+eng")[0] != base[0] and keys(languages="vie+eng")[1] != base[1]
    assert keys(workers=1) == base and keys(page_seconds=5) == base


def test_the_pages_ocrd_in_the_capped_child_are_reported_as_they_are_done(tmp_path, leaflet):
    """The preview's progress: each page recognised in the parsing child is told to the parent."""
    from bot.documents.cache import ParseCache
    from bot.documents.sandbox import ParseLimits
    from bot.progress import CallbackProgress

    pages = scan_pages(leaflet)[:2]
    scan = tmp_path / "hai-trang.pdf"
    pages[0].save(scan, save_all=True, append_images=pages[1:], resolution=200)
    seen = []
    cache = ParseCache(tmp_path / "docs", ParseLimits(768 * 1024 * 1024, 60, 300), options(tmp_path))
    doc = cache.parse(scan, progress=CallbackProgress(lambda stage, done, total: seen.append((stage, done, total))))
    assert doc.meta.ocr and [p["page"] for p in doc.ocr["pages"]] == [1, 2]
    assert [s[1:] for s in seen] == [(0, 2), (1, 2), (2, 2)] and seen[0][0].startswith("Nhận dạng chữ (OCR)")
