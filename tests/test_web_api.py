"""The explorer's JSON API through FastAPI's TestClient, on the small models: known answers for
every endpoint, and the error contract (4xx, one JSON `error`, no traceback) for bad input."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from notaverage import latent
from notaverage.data.mnist import as_float
from notaverage.models.registry import MODELS
from notaverage.web.app import create_app

Q = 0.5 / 255 + 1e-6  # PNG frames carry 8-bit grey levels: a float image comes back within half a step


@pytest.fixture(scope="session")
def app(small_models, small_mnist):
    return create_app(small_models, small_mnist, seed=0)


@pytest.fixture(scope="session")
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def test_images(small_mnist):
    return as_float(small_mnist.test_images)


def pixels(url: str) -> np.ndarray:
    head, _, data = url.partition(",")
    assert head == "data:image/png;base64"
    with Image.open(io.BytesIO(base64.b64decode(data))) as im:
        assert im.size == (28, 28) and im.mode == "L"
        return np.asarray(im, dtype=np.float32) / 255


def png_bytes(image: np.ndarray, scale: int = 1, invert: bool = False) -> bytes:
    a = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    im = Image.fromarray(255 - a if invert else a, "L")
    if scale > 1:
        im = im.resize((28 * scale, 28 * scale), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def data_url(raw: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(raw).decode()


def first_of(labels, digit: int, judge=None, images=None) -> int:
    """The first test digit of a class (that the judge, if given, also calls that class)."""
    for i in np.flatnonzero(labels == digit):
        if judge is None or judge.predict(images[i][None])[0] == digit:
            return int(i)
    raise AssertionError(f"no usable {digit}")


def assert_error(response, status: int):
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"], body
    assert "\n" not in body["error"]
    for leak in ("Traceback", 'File "', "site-packages", "/work/"):
        assert leak not in response.text


# --- good input, known answers ---------------------------------------------------------------

def test_info_index_static_and_openapi(client, small_mnist):
    info = client.get("/api/info").json()
    assert info["test_digits"] == len(small_mnist.test_labels)
    assert info["latent_dim"] == MODELS["vae"].config.latent_dim
    page = client.get("/")
    assert page.status_code == 200 and "<canvas id=\"pad\"" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    for name in ("app.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    schema = client.get("/openapi.json").json()
    for path in ("/api/recognize", "/api/encode", "/api/upload", "/api/blend", "/api/blend/curves",
                 "/api/hybrid", "/api/map", "/api/decode", "/api/sample"):
        assert path in schema["paths"], path


def test_encode_test_digit_by_index_and_by_class(client, small_mnist, test_images):
    out = client.post("/api/encode", json={"source": "test", "index": 5}).json()
    assert out["id"] == "test:5" and out["label"] == int(small_mnist.test_labels[5])
    assert np.array_equal(pixels(out["png"]), test_images[5])  # uint8 data: the PNG is exact
    for digit in (0, 3, 9):
        out = client.post("/api/encode", json={"source": "test", "digit": digit, "seed": 7}).json()
        assert out["label"] == digit and out["id"].startswith("test:")
        assert small_mnist.test_labels[int(out["id"][5:])] == digit


def test_blend_endpoints_are_exactly_a_and_b(client, small_mnist, test_images):
    ia, ib = first_of(small_mnist.test_labels, 9), first_of(small_mnist.test_labels, 2)
    for t, expected in ((0.0, test_images[ia]), (1.0, test_images[ib])):
        out = client.post("/api/blend", json={"a": f"test:{ia}", "b": f"test:{ib}", "t": t}).json()
        assert out["class_a"] == 9 and out["class_b"] == 2 and out["t"] == t
        assert np.array_equal(pixels(out["frames"]["pixel"]["png"]), expected)


@pytest.mark.parametrize("mode", ["lerp", "slerp"])
def test_blend_frames_match_the_library_paths(client, small_models, small_mnist, test_images, mode):
    vae, linear, judge = small_models["vae"], small_models["linear"], small_models["judge"]
    ia, ib = first_of(small_mnist.test_labels, 4), first_of(small_mnist.test_labels, 7)
    a, b = test_images[ia], test_images[ib]
    steps = 5
    vae_path = latent.latent_path(vae, a, b, steps, mode)
    lin_a, lin_b = linear.decode(linear.encode(np.stack([a, b])))
    for k, t in enumerate(latent.blend_weights(steps)):
        out = client.post("/api/blend", json={"a": f"test:{ia}", "b": f"test:{ib}", "t": float(t),
                                              "mode": mode}).json()
        frames = {name: pixels(f["png"]) for name, f in out["frames"].items()}
        assert np.abs(frames["vae"] - vae_path[k]).max() <= Q + 1e-3
        assert np.abs(frames["pixel"] - ((1 - t) * a + t * b)).max() <= Q
        # the linear model's latent blend is the pixel blend of its two reconstructions
        assert np.abs(frames["linear"] - np.clip((1 - t) * lin_a + t * lin_b, 0, 1)).max() <= Q + 1e-4
        expected = judge.predict_proba(np.stack([vae_path[k], (1 - t) * a + t * b,
                                                 np.clip((1 - t) * lin_a + t * lin_b, 0, 1)]))
        for name, p in zip(("vae", "pixel", "linear"), expected, strict=True):
            assert out["frames"][name]["p_a"] == pytest.approx(p[4], abs=2e-3)
            assert out["frames"][name]["p_b"] == pytest.approx(p[7], abs=2e-3)
    mid = client.post("/api/blend", json={"a": f"test:{ia}", "b": f"test:{ib}", "t": 0.5,
                                          "mode": mode}).json()
    images = [pixels(f["png"]) for f in mid["frames"].values()]
    assert min(np.abs(x - y).mean() for i, x in enumerate(images) for y in images[i + 1:]) > 0.01


def test_curves_match_the_judge_on_three_paths(client, small_models, small_mnist, test_images):
    judge = small_models["judge"]
    ia = first_of(small_mnist.test_labels, 9, judge, test_images)
    ib = first_of(small_mnist.test_labels, 2, judge, test_images)
    out = client.post("/api/blend/curves", json={"a": f"test:{ia}", "b": f"test:{ib}", "steps": 11}).json()
    assert out["ts"][0] == 0 and out["ts"][-1] == 1 and len(out["ts"]) == 11
    pixel = out["curves"]["pixel"]
    p_a = judge.predict_proba(test_images[ia][None])[0, 9]
    assert pixel["p_a"][0] == pytest.approx(p_a, abs=1e-3)  # t=0 is A itself
    assert pixel["p_a"][0] > 0.5 and pixel["p_b"][-1] > 0.5  # the judge knows A and B
    for curve in out["curves"].values():
        assert len(curve["p_a"]) == len(curve["p_b"]) == 11
        assert all(0 <= p <= 1 for p in curve["p_a"] + curve["p_b"])


def test_recognize_real_test_digits(client, small_mnist, test_images):
    rng = np.random.default_rng(0)
    picks = rng.choice(len(test_images), 20, replace=False)
    right = 0
    for i in picks:
        out = client.post("/api/recognize", json={"pixels": test_images[i].tolist()}).json()
        right += out["label"] == small_mnist.test_labels[i]
        assert len(out["probs"]) == 10 and sum(out["probs"]) == pytest.approx(1, abs=1e-4)
        assert out["label"] == int(np.argmax(out["probs"]))
    assert right >= 16, f"only {right}/20 test digits recognised"


def test_recognize_a_canvas_png_with_neighbours(client, small_models, small_mnist, test_images):
    i = first_of(small_mnist.test_labels, 3, small_models["classifier"], test_images)
    # a 280x280 canvas with dark ink on white: preprocess_image must undo both
    url = data_url(png_bytes(test_images[i], scale=10, invert=True))
    out = client.post("/api/recognize", json={"image": url}).json()
    assert out["label"] == 3 and out["digit"]["id"].startswith("u:")
    digit = pixels(out["digit"]["png"])
    neighbours = out["neighbours"]
    assert len(neighbours) == 5
    distances = [n["distance"] for n in neighbours]
    assert distances == sorted(distances)
    train = as_float(small_mnist.train_images)
    for n in neighbours:
        assert n["label"] == small_mnist.train_labels[n["index"]]
        assert np.array_equal(pixels(n["png"]), train[n["index"]])
        assert np.linalg.norm(digit - train[n["index"]]) == pytest.approx(n["distance"], abs=0.02)
    recon = pixels(out["reconstruction"])
    assert np.abs(recon - digit).mean() < 0.15  # the VAE reconstructs what it was given
    # the drawing's id is a digit source for blending; same drawing -> same id
    again = client.post("/api/encode", json={"source": "drawing", "image": url}).json()
    assert again["id"] == out["digit"]["id"]
    blend = client.post("/api/blend", json={"a": again["id"], "b": "test:0", "t": 0.0}).json()
    assert np.abs(pixels(blend["frames"]["pixel"]["png"]) - digit).max() <= Q


def test_upload_png_then_blend(client, small_mnist, test_images):
    i = first_of(small_mnist.test_labels, 7)
    files = {"file": ("seven.png", png_bytes(test_images[i], scale=4), "image/png")}
    out = client.post("/api/upload", files=files).json()
    assert out["id"].startswith("u:") and "seven.png" in out["name"]
    assert pixels(out["png"]).max() == 1.0
    blend = client.post("/api/blend", json={"a": out["id"], "b": f"test:{i}", "t": 0.5})
    assert blend.status_code == 200


def test_hybrid_is_more_balanced_than_either_end(client, small_models, small_mnist, test_images):
    judge = small_models["judge"]
    ia = first_of(small_mnist.test_labels, 9, judge, test_images)
    ib = first_of(small_mnist.test_labels, 2, judge, test_images)
    out = client.post("/api/hybrid", json={"a": f"test:{ia}", "b": f"test:{ib}", "n_results": 2}).json()
    assert out["method"] == "hybrid search" and 1 <= len(out["results"]) <= 2
    ends = judge.predict_proba(test_images[[ia, ib]])
    worst_end = min(abs(ends[0, 9] - ends[0, 2]), abs(ends[1, 9] - ends[1, 2]))
    for r in out["results"]:
        assert 0 <= r["p_a"] <= 1 and 0 <= r["p_b"] <= 1
        assert abs(r["p_a"] - r["p_b"]) < worst_end
        image = pixels(r["png"])
        assert judge.predict_proba(image[None])[0, 9] == pytest.approx(r["p_a"], abs=0.05)


def test_map_points_are_the_projection(client, app, small_mnist):
    out = client.get("/api/map", params={"n": 300}).json()
    assert len(out["points"]) == len(out["labels"]) == len(out["indices"]) == 300
    service = app.state.service
    idx = np.array(out["indices"])
    assert np.array_equal(out["labels"], small_mnist.test_labels[idx])
    assert np.allclose(out["points"], service.map_points[idx], atol=1e-3)
    assert len(client.get("/api/map", params={"n": 20_000}).json()["points"]) == len(small_mnist.test_labels)
    assert out["plane"] == "linear discriminant plane"
    assert out["knn5_accuracy"] == pytest.approx(service.map.separation)
    assert out["knn5_accuracy"]["lda"] > out["knn5_accuracy"]["pca"]  # the point of the discriminant plane


def test_decode_a_map_point(client, app, small_models):
    service = app.state.service
    x, y = (float(v) for v in service.map_points[0])
    out = client.post("/api/decode", json={"x": x, "y": y}).json()
    code = service.map.plane.inverse_transform(np.array([[x, y]]))
    expected = small_models["vae"].decode(code)[0]
    assert np.abs(pixels(out["png"]) - expected).max() <= Q + 1e-4
    assert out["label"] == int(np.argmax(out["probs"]))
    assert client.post("/api/decode", json={"x": 999.0, "y": -999.0}).status_code == 200  # far, still finite


def test_sample_new_digits_with_their_nearest_neighbour(client, small_models, small_mnist):
    out = client.post("/api/sample", json={"digit": 6, "n": 5, "seed": 3}).json()
    assert out["digit"] == 6 and len(out["samples"]) == 5
    classifier = small_models["classifier"]
    train = as_float(small_mnist.train_images)
    images = np.stack([pixels(s["png"]) for s in out["samples"]])
    assert (classifier.predict(images) == 6).mean() >= 0.8
    for s, image in zip(out["samples"], images, strict=True):
        n = s["neighbour"]
        assert np.linalg.norm(image - train[n["index"]]) == pytest.approx(n["distance"], abs=0.02)
        dists = np.linalg.norm((train - image).reshape(len(train), -1), axis=1)
        assert n["distance"] == pytest.approx(dists.min(), abs=0.02)  # it is the nearest
    same = client.post("/api/sample", json={"digit": 6, "n": 5, "seed": 3}).json()
    assert same == out  # seeded


def test_unhandled_errors_are_bare_500s(client, app, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals /work/main")
    monkeypatch.setattr(app.state.service, "decode_point", boom)
    response = client.post("/api/decode", json={"x": 0.0, "y": 0.0})
    assert_error(response, 500)
    assert "secret" not in response.text
    monkeypatch.setattr(app.state.service.frame_batcher, "fn", boom)  # the batched slider path
    response = client.post("/api/blend", json={"a": "test:0", "b": "test:1", "t": 0.5})
    assert_error(response, 500)
    assert "secret" not in response.text
    monkeypatch.undo()
    assert client.post("/api/blend", json={"a": "test:0", "b": "test:1", "t": 0.5}).status_code == 200


# --- bad input: 4xx, JSON error, no traceback -------------------------------------------------

GOOD_BLEND = {"a": "test:0", "b": "test:1", "t": 0.5}
ROW = [0.0] * 28
BLANK = [ROW] * 28
TEXT_URL = "data:image/png;base64," + base64.b64encode(b"hello, not a picture").decode()


def blend_with(**change):
    return {**GOOD_BLEND, **change}


def raw(text: str):
    return {"content": text.encode(), "headers": {"content-type": "application/json"}}


BAD = [
    ("t above 1", "/api/blend", {"json": blend_with(t=1.5)}, 422),
    ("t below 0", "/api/blend", {"json": blend_with(t=-0.1)}, 422),
    ("t NaN", "/api/blend", raw('{"a": "test:0", "b": "test:1", "t": NaN}'), 422),
    ("t Infinity", "/api/blend", raw('{"a": "test:0", "b": "test:1", "t": Infinity}'), 422),
    ("t a word", "/api/blend", {"json": blend_with(t="half")}, 422),
    ("t a list", "/api/blend", {"json": blend_with(t=[0.5])}, 422),
    ("t missing", "/api/blend", {"json": {"a": "test:0", "b": "test:1"}}, 422),
    ("a missing", "/api/blend", {"json": {"b": "test:1", "t": 0.5}}, 422),
    ("bad mode", "/api/blend", {"json": blend_with(mode="cubic")}, 422),
    ("unknown id", "/api/blend", {"json": blend_with(a="u:0123456789abcdef")}, 404),
    ("test index out of range", "/api/blend", {"json": blend_with(b="test:999999")}, 404),
    ("malformed id", "/api/blend", {"json": blend_with(a="../../etc/passwd")}, 422),
    ("extra field", "/api/blend", {"json": blend_with(steps=3)}, 422),
    ("not JSON", "/api/blend", raw("hello"), 422),
    ("JSON array", "/api/blend", {"json": [1, 2, 3]}, 422),
    ("form body", "/api/blend", {"data": {"a": "test:0"}}, 422),
    ("27 rows", "/api/recognize", {"json": {"pixels": [ROW] * 27}}, 422),
    ("27 columns", "/api/recognize", {"json": {"pixels": [[0.0] * 27] * 28}}, 422),
    ("pixel above 1", "/api/recognize", {"json": {"pixels": [[2.0] * 28] * 28}}, 422),
    ("pixel below 0", "/api/recognize", {"json": {"pixels": [[-1.0] * 28] * 28}}, 422),
    ("pixel NaN", "/api/recognize", raw('{"pixels": [' + ",".join(["[" + ",".join(["NaN"] * 28) + "]"] * 28)
                                        + "]}"), 422),
    ("pixels strings", "/api/recognize", {"json": {"pixels": [["x"] * 28] * 28}}, 422),
    ("pixels flat", "/api/recognize", {"json": {"pixels": [0.0] * 784}}, 422),
    ("pixels and image", "/api/recognize", {"json": {"pixels": BLANK, "image": TEXT_URL}}, 422),
    ("no drawing", "/api/recognize", {"json": {}}, 422),
    ("image not a data URL", "/api/recognize", {"json": {"image": "http://example.com/seven.png"}}, 422),
    ("image bad base64", "/api/recognize",
     {"json": {"image": "data:image/png;base64,@@@not-base64@@@"}}, 422),
    ("image not an image", "/api/recognize", {"json": {"image": TEXT_URL}}, 422),
    ("blank drawing", "/api/recognize", {"json": {"pixels": BLANK}}, 422),
    ("image too long", "/api/recognize", {"json": {"image": "data:image/png;base64," + "A" * 800_000}}, 422),
    ("class 10", "/api/encode", {"json": {"source": "test", "digit": 10}}, 422),
    ("class -1", "/api/encode", {"json": {"source": "test", "digit": -1}}, 422),
    ("class a string", "/api/encode", {"json": {"source": "test", "digit": "7"}}, 422),
    ("class and index", "/api/encode", {"json": {"source": "test", "digit": 7, "index": 3}}, 422),
    ("unknown source", "/api/encode", {"json": {"source": "web", "digit": 7}}, 422),
    ("drawing without image", "/api/encode", {"json": {"source": "drawing"}}, 422),
    ("index out of range", "/api/encode", {"json": {"source": "test", "index": 999_999}}, 404),
    ("n zero", "/api/sample", {"json": {"digit": 3, "n": 0}}, 422),
    ("huge n", "/api/sample", {"json": {"digit": 3, "n": 100_000}}, 422),
    ("sample class 11", "/api/sample", {"json": {"digit": 11}}, 422),
    ("sample class 3.5", "/api/sample", {"json": {"digit": 3.5}}, 422),
    ("negative seed", "/api/sample", {"json": {"digit": 3, "seed": -1}}, 422),
    ("decode NaN", "/api/decode", raw('{"x": NaN, "y": 0}'), 422),
    ("decode far away", "/api/decode", {"json": {"x": 1e9, "y": 0}}, 422),
    ("decode missing y", "/api/decode", {"json": {"x": 0.0}}, 422),
    ("curves 1 step", "/api/blend/curves", {"json": {"a": "test:0", "b": "test:1", "steps": 1}}, 422),
    ("curves huge steps", "/api/blend/curves",
     {"json": {"a": "test:0", "b": "test:1", "steps": 10_000}}, 422),
    ("hybrid huge n", "/api/hybrid", {"json": {"a": "test:0", "b": "test:1", "n_results": 100}}, 422),
    ("oversized body", "/api/blend", {"content": b"{" + b" " * 2_000_000 + b"}",
                                      "headers": {"content-type": "application/json"}}, 413),
    ("streamed oversized body", "/api/recognize",
     {"content": iter([b" " * 400_000] * 4), "headers": {"content-type": "application/json"}}, 413),
    ("upload text", "/api/upload", {"files": {"file": ("x.txt", b"hello", "text/plain")}}, 415),
    ("upload garbage png", "/api/upload",
     {"files": {"file": ("x.png", b"\x89PNG garbage", "image/png")}}, 422),
    ("upload empty", "/api/upload", {"files": {"file": ("x.png", b"", "image/png")}}, 422),
    ("upload no file", "/api/upload", {"data": {"other": "1"}}, 422),
]


@pytest.mark.parametrize("name,path,kwargs,status", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_a_json_4xx(client, name, path, kwargs, status):
    assert_error(client.post(path, **kwargs), status)


def test_hybrid_of_one_class_is_refused(client, small_mnist):
    i, j = np.flatnonzero(small_mnist.test_labels == 5)[:2]
    assert_error(client.post("/api/hybrid", json={"a": f"test:{i}", "b": f"test:{j}"}), 422)


@pytest.mark.parametrize("path,method,status", [
    ("/api/map?n=0", "get", 422), ("/api/map?n=abc", "get", 422), ("/api/map?n=10000000", "get", 422),
    ("/api/blend", "get", 405), ("/api/nope", "get", 404), ("/api/info", "delete", 405),
])
def test_bad_routes_and_queries(client, path, method, status):
    assert_error(getattr(client, method)(path), status)


@pytest.mark.parametrize("path", [
    "/static/../app.py", "/static/%2e%2e/app.py", "/static/%2e%2e%2fapp.py", "/static/..%2fservice.py",
    "/static/....//app.py", "/static/%252e%252e/app.py", "/static//etc/passwd", "/static/%2fetc%2fpasswd",
    "/static/..\\app.py", "/static/", "/static/nothing.js",
])
def test_static_files_stay_in_their_folder(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404), (path, response.status_code)
    assert "error" in response.json()
    assert "def create_app" not in response.text and "root:" not in response.text


def test_concurrent_frames_are_batched_and_each_correct(app, small_mnist, test_images):
    """Frames that arrive together go to the models as one batch; each still gets its own t."""
    import asyncio

    service = app.state.service
    a, b = service.digit("test:0"), service.digit("test:1")
    calls = []
    real = service.frame_batcher.fn

    def counting(jobs):
        calls.append(len(jobs))
        return real(jobs)

    service.frame_batcher.fn = counting
    try:
        async def many():
            return await asyncio.gather(*[service.frame_batcher.submit((a, b, t, "lerp"))
                                          for t in np.linspace(0, 1, 12)])
        outs = asyncio.run(many())
    finally:
        service.frame_batcher.fn = real
    assert sum(calls) == 12 and len(calls) < 12 and max(calls) > 1
    for out, t in zip(outs, np.linspace(0, 1, 12), strict=True):
        assert out["t"] == t
        expected = (1 - t) * test_images[0] + t * test_images[1]
        assert np.abs(pixels(out["frames"]["pixel"]["png"]) - expected).max() <= Q


def test_error_body_is_valid_one_line_json(client):
    response = client.post("/api/blend", json=blend_with(t=7))
    assert response.headers["content-type"].startswith("application/json")
    message = json.loads(response.text)["error"]
    assert "t" in message and "1" in message  # names the field and the limit


def test_serve_refuses_bad_ports_and_warns_off_loopback():
    from notaverage.errors import UserError
    from notaverage.web.app import listen, loopback_warning

    assert loopback_warning("127.0.0.1") is None and loopback_warning("localhost") is None
    assert "not loopback" in loopback_warning("0.0.0.0")
    with pytest.raises(UserError, match="not a TCP port"):
        listen("127.0.0.1", 70_000)
    taken = listen("127.0.0.1", 0)
    try:
        with pytest.raises(UserError, match="pass another --port"):
            listen("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()


def test_cli_has_a_serve_command():
    from notaverage.cli import build_parser

    args = build_parser().parse_args(["serve", "--port", "8123", "--limit", "3000", "--preset", "tiny"])
    assert (args.command, args.host, args.port, args.limit) == ("serve", "127.0.0.1", 8123, 3000)
