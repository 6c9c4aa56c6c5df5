"""The explorer end to end: the real app under uvicorn on a loopback port, driven by headless
Chromium through Playwright. Screenshots land in test-artifacts/ (gitignored)."""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(small_models, small_mnist):
    """The app served by uvicorn in a background thread on a free loopback port: its base URL."""
    from notaverage.web.app import create_app

    app = create_app(small_models, small_mnist, seed=0)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP_NODELAY, as serve
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server, request):
    """A fresh page on the explorer, ready; fails the test on any console error or page error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)  # lets tests eval
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.set_default_timeout(15_000)
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready='1']")
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], f"console errors: {errors}"


def frame_sources(page) -> list[str]:
    return [page.get_attribute(f"#f-{name}", "src") or "" for name in ("vae", "pixel", "linear")]


@pytest.mark.browser
def test_drawing_a_stroke_gives_a_prediction(page):
    box = page.locator("#pad").bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + 0.3 * w, y + 0.2 * h)  # a 7: a bar across, then down to the left
    page.mouse.down()
    for fx, fy in [(0.5, 0.2), (0.7, 0.2), (0.62, 0.45), (0.52, 0.65), (0.45, 0.85)]:
        page.mouse.move(x + fx * w, y + fy * h, steps=4)
    page.mouse.up()
    page.wait_for_function("document.querySelector('#prediction').textContent.startsWith('Looks like a')")
    assert re.fullmatch(r"Looks like (a [0-79]|an 8) \(\d+% sure\)", page.text_content("#prediction"))
    page.wait_for_function("document.querySelectorAll('#neighbours img').length === 5")
    assert page.locator("#bars .bar").count() == 10
    assert page.get_attribute("#draw-recon", "src").startswith("data:image/png;base64,")
    assert page.is_enabled("#draw-as-a")
    page.click("#draw-as-a")  # the drawing becomes A of the blend
    page.wait_for_function("document.querySelector('#pick-a .name').textContent.startsWith('drawing')")
    page.click("#clear")
    assert page.text_content("#prediction") == "Draw a digit."


@pytest.mark.browser
def test_slider_changes_the_three_blends(page):
    page.wait_for_function("document.body.dataset.frameT === '0.5'")
    before = frame_sources(page)
    assert all(src.startswith("data:image/png") for src in before)
    page.focus("#t")
    for _ in range(20):  # keyboard: arrow keys step the slider, requests coalesce
        page.keyboard.press("ArrowRight")
    page.wait_for_function("document.body.dataset.frameT === '0.7'")
    assert page.input_value("#t") == "0.7"
    after = frame_sources(page)
    assert all(a != b for a, b in zip(before, after, strict=True)), "every image changes with t"
    assert len(set(after)) == 3, "the VAE, pixel and linear blends differ from each other"
    assert "%" in page.text_content("#p-vae")
    page.wait_for_function("window.lastFrameMs !== undefined")
    page.check("input[name=mode][value=slerp]")
    page.wait_for_function(f"document.querySelector('#f-vae').src !== {after[0]!r}")


@pytest.mark.browser
def test_latent_map_decodes_and_picks_digits(page):
    canvas = page.locator("#latent")
    box = canvas.bounding_box()
    assert page.get_attribute("#map-img", "src") is None
    canvas.click(position={"x": box["width"] * 0.37, "y": box["height"] * 0.41})
    page.wait_for_function("(document.querySelector('#map-img').src || '').startsWith('data:image/png')")
    assert page.text_content("#map-cap").startswith("decoded (")
    # click exactly on one digit's dot: it becomes B. Which digit that must be is worked out here, in
    # Python, from the map's data and the documented layout (12 px padding, y up), not by the page.
    page.select_option("#map-target", "b")
    points, indices, bounds, width, height = page.evaluate(
        "[state.map.points, state.map.indices, state.map.bounds, "
        "document.querySelector('#latent').width, document.querySelector('#latent').height]")
    (x0, y0, x1, y1), pad = bounds, 12
    xy = np.asarray(points, dtype=float)
    px = np.column_stack([pad + (xy[:, 0] - x0) * (width - 2 * pad) / (x1 - x0),
                          height - pad - (xy[:, 1] - y0) * (height - 2 * pad) / (y1 - y0)])
    gaps = np.linalg.norm(px[:, None] - px[None], axis=-1) + np.diag(np.full(len(px), np.inf))
    target = int(np.argmax(gaps.min(axis=1)))  # the most isolated dot: a click on it means only it
    assert gaps[target].min() > 3, "no dot is clear of the others"
    expected = indices[target]
    canvas.click(position={"x": px[target, 0] * box["width"] / width,
                           "y": px[target, 1] * box["height"] / height})
    # B was already a test digit before the click, so wait for the one the click names (or time out)
    page.wait_for_function(f"state.b && state.b.id === 'test:{expected}'")
    assert page.text_content("#pick-b .name").startswith(f"test:{expected}")


def one_png() -> bytes:
    """A dark '1' on white paper, 120x120: what a phone photo of a digit looks like, simplified."""
    import io

    from PIL import Image, ImageDraw

    im = Image.new("L", (120, 120), 255)
    ImageDraw.Draw(im).line([(62, 15), (58, 105)], fill=0, width=10)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.browser
def test_upload_sample_and_hybrid_buttons(page):
    page.set_input_files("#pick-a .upload", files=[{"name": "one.png", "mimeType": "image/png",
                                                     "buffer": one_png()}])
    page.wait_for_function("document.querySelector('#pick-a .name').textContent.startsWith('one.png')")
    page.fill("#sample-n", "4")
    page.click("#sample-go")
    page.wait_for_function("document.querySelectorAll('#samples .pair').length === 4")
    assert page.locator("#samples img").count() == 8
    # B: a test digit of a class A is not, so the hybrid search must be offered, and must run
    class_a = int(re.search(r"class (\d)", page.text_content("#pick-a .name")).group(1))
    class_b = (class_a + 5) % 10
    page.select_option("#pick-b .cls", str(class_b))
    page.wait_for_function(f"document.querySelector('#pick-b .name').textContent.endsWith('class {class_b}')")
    assert page.is_enabled("#hybrid")
    page.click("#hybrid")
    page.wait_for_function("document.querySelectorAll('#hybrids img').length >= 1")
    note = page.text_content("#hybrid-note")
    assert "search" in note and f"p({class_a})" in note and f"p({class_b})" in note, note


@pytest.mark.browser
def test_fits_a_phone(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, bypass_csp=True)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_function("document.body.dataset.frameT === '0.5'")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "test_fits_a_phone.png"), full_page=True)
    context.close()
    assert overflow <= 1, f"the page is {overflow}px wider than a phone"
    assert errors == []


@pytest.mark.parametrize("path", ["/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fservice.py",
                                  "/static/../../../../../../etc/passwd", "/../pyproject.toml"])
def test_raw_traversal_requests_fail(server, path):
    """Sent byte for byte (no client-side path normalisation) to the real server."""
    host, port = server.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("GET", path, skip_host=False)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read().decode(errors="replace")
    conn.close()
    assert response.status in (400, 404), (path, response.status)
    assert "def create_app" not in body and "root:" not in body and "import" not in body
