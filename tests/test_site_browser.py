"""The public site in a real headless Chromium: search, ticket check with Web Crypto, Chinese rendering."""

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

import publish_data as data
from dsr.core.tickets import LABEL_UNIT, ticket
from dsr.publish.site import Site, build_site

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    site = Site("安阳市消防救援支队", (), (), (data.view(),), {}, "2026-09-30 10:00", {"文峰区": "安阳市文峰区消防救援大队"})
    return build_site(site, root / "public")


def _chromium(tmp_path, *args):
    profile = tmp_path / "profile"
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, timeout=120)
    shutil.rmtree(profile, ignore_errors=True)
    return done


def _dom(tmp_path, url):
    done = _chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", url)
    return done.stdout.decode("utf-8")


def _tickets(dom):
    return dict(re.findall(r'<li data-draw="([^"]+)" data-ticket="([0-9a-f]{64})"', dom))


def test_page_ticket_equals_python_ticket_for_a_drawn_unit(index, tmp_path):
    """For a drawn unit the page's Web Crypto ticket equals dsr.core.tickets.ticket and says 已抽中."""
    unit = data.view().units[2]
    dom = _dom(tmp_path, index.as_uri() + "#check=" + unit.key)
    assert 'data-state="done"' in dom
    assert _tickets(dom) == {data.DRAW_ID: ticket(data.SEED, LABEL_UNIT, unit.key).hex()}
    assert "已抽中" in dom and "页面计算的签号与抽取记录一致。" in dom


def test_page_ticket_for_an_undrawn_code_typed_with_spaces(index, tmp_path):
    """A code typed in lower case with spaces is normalised; an undrawn unit gets its ticket and 未抽中."""
    key = data.draw_result()["units"][5]["key"]  # a not-drawn unit of the plain stratum
    typed = key[:6].lower() + "%20" + key[6:]
    dom = _dom(tmp_path, index.as_uri() + "#check=" + typed)
    assert _tickets(dom) == {data.DRAW_ID: ticket(data.SEED, LABEL_UNIT, key).hex()}
    assert "未抽中" in dom


def test_search_finds_a_unit_by_name(index, tmp_path):
    """Searching a unit name (from the URL fragment) leaves exactly its row visible in the task notice."""
    unit = data.view().units[1]
    dom = unescape(_dom(tmp_path, index.as_uri() + "#q=" + unit.name[-10:]))
    rows = re.findall(r'<tr data-q="[^"]*" data-brigade="[^"]*"( class="(?:hidden)?")?>(.*?)</tr>', dom)
    visible = [cells for cls, cells in rows if "hidden" not in cls]
    assert len(visible) == 1 and unit.key in visible[0]
    assert "符合条件 1 行" in dom


def test_screenshot_renders_chinese(index, tmp_path):
    """A screenshot is taken, is not blank, and the page text is Chinese in a CJK font that is installed."""
    shot = tmp_path / "shot.png"
    _chromium(tmp_path, "--window-size=1280,900", f"--screenshot={shot}", index.as_uri())
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert image.size == (1280, 900) and len(colours) > 50  # text, header and table rules, not one flat colour
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    assert "Noto Sans CJK SC" in fonts or "WenQuanYi Micro Hei" in fonts


def test_draw_page_recomputes_commitment_hash_and_seed(index, tmp_path):
    """The draw page hashes the embedded commitment and rederives the seed with Web Crypto; both match."""
    page = next((index.parent / "draws").glob("*.html"))
    dom = _dom(tmp_path, page.as_uri())
    assert '<div id="verify-out" data-state="done" data-commit="ok" data-seed="ok">' in dom
    assert "由承诺哈希和公布的熵值重新计算的种子与本次抽取的种子一致。" in dom


def test_tampered_seed_is_flagged(tmp_path):
    """A page whose seed does not follow from the commitment and entropy says so."""
    import dataclasses

    bad = dataclasses.replace(data.view(), seed_hex="00" * 32)
    site = Site("安阳市消防救援支队", (), (), (bad,), {}, "2026-09-30 10:00", {})
    index = build_site(site, tmp_path / "public")
    dom = _dom(tmp_path, next((index.parent / "draws").glob("*.html")).as_uri())
    assert 'data-seed="bad"' in dom and "重新计算的种子与本次抽取的种子不一致！" in dom
