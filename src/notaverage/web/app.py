"""The explorer's routes: a thin FastAPI face over `ExplorerService`.

`create_app(models, data)` builds the app (tests inject small models); `serve()` is what
`notaverage serve` runs. Every error leaves as JSON `{"error": "..."}`; no traceback ever does.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from notaverage.data.mnist import MnistData
from notaverage.errors import UserError
from notaverage.web import schemas as s
from notaverage.web.service import ExplorerService, UnknownDigit, png_data_url

STATIC = Path(__file__).parent / "static"
MAX_BODY = 1_000_000  # bytes per request
MAX_UPLOAD_TYPES = ("image/png", "image/jpeg", "image/webp", "image/bmp", "image/gif")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
log = logging.getLogger("notaverage.web")

SECURITY_HEADERS = [
    (b"content-security-policy", (b"default-src 'self'; img-src 'self' data: blob:; script-src 'self'; "
                                  b"style-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
                                  b"base-uri 'none'")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def _json_bytes(status: int, message: str) -> tuple[list, bytes]:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return headers, body


class GuardMiddleware:
    """Outermost ASGI layer: caps request bodies (Content-Length and streamed bytes, 413), adds
    security headers, and turns any unhandled exception into a bare 500 JSON (logged here)."""

    def __init__(self, app, max_body: int = MAX_BODY):
        self.app, self.max_body = app, max_body

    async def _reply(self, send, status: int, message: str) -> None:
        headers, body = _json_bytes(status, message)
        await send({"type": "http.response.start", "status": status, "headers": headers + SECURITY_HEADERS})
        await send({"type": "http.response.body", "body": body})

    def _length_refusal(self, scope) -> tuple[int, str] | None:
        """(status, message) when the Content-Length header alone rules the request out."""
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is None:
            return None
        if not length.isdigit():
            return 400, "the Content-Length header is not a number"
        return (413, self._too_big()) if int(length) > self.max_body else None

    def _too_big(self) -> str:
        return f"the request body is over {self.max_body:,} bytes; send a smaller image"

    async def _read_body(self, receive) -> bytes | None:
        """The whole body, counting streamed bytes too; None if the client left. Raises _TooBig."""
        chunks, total, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_body:
                raise _TooBig
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        refusal = self._length_refusal(scope)
        if refusal is not None:
            return await self._reply(send, *refusal)
        # Read the whole (capped) body first, then replay it to the app.
        try:
            body = await self._read_body(receive)
        except _TooBig:
            return await self._reply(send, 413, self._too_big())
        if body is None:
            return
        await self._forward(scope, receive, send, body)

    async def _forward(self, scope, receive, send, body: bytes) -> None:
        """Run the app on the replayed body, adding the security headers; a crash becomes a 500."""
        replayed, started = False, False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": list(message.get("headers", [])) + SECURITY_HEADERS}
            await send(message)

        try:
            await self.app(scope, replay, send_with_headers)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await self._reply(send, 500, "internal server error; the server log has the details")


class _TooBig(Exception):
    """The streamed body went over the cap."""


def _validation_message(err: RequestValidationError) -> str:
    parts = []
    for e in err.errors()[:3]:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        msg = str(e.get("msg", "invalid")).replace("Value error, ", "")
        parts.append(f"{where}: {msg}")
    more = len(err.errors()) - 3
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def create_app(models: dict, data: MnistData, seed: int = 0) -> FastAPI:
    """The explorer app over trained `models` (vae, linear, classifier, judge) and `data`."""
    service = ExplorerService(models, data, seed)
    app = FastAPI(title="notaverage explorer", version="1", docs_url=None, redoc_url=None,
                  description="Draw, blend and explore a VAE's latent space.")
    app.state.service = service
    _add_error_handlers(app)

    @app.get("/", include_in_schema=False)
    async def index():
        return FileResponse(STATIC / "index.html", headers={"cache-control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/info", response_model=s.InfoOut)
    async def info():
        return service.info()

    _add_digit_routes(app, service)
    _add_model_routes(app, service)
    app.add_middleware(GuardMiddleware)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    """Every error leaves as JSON {"error": "..."} with a 4xx status."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError):
        return JSONResponse({"error": _validation_message(err)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException):
        message = err.detail if isinstance(err.detail, str) and err.status_code != 404 else None
        message = message or ("not found" if err.status_code == 404 else "request refused")
        return JSONResponse({"error": message}, status_code=err.status_code, headers=err.headers)

    @app.exception_handler(UnknownDigit)
    async def _unknown(request: Request, err: UnknownDigit):
        return JSONResponse({"error": str(err)}, status_code=404)

    @app.exception_handler(UserError)
    async def _user(request: Request, err: UserError):
        return JSONResponse({"error": str(err)}, status_code=422)


def _digit_out(record) -> dict:
    return {"id": record.id, "label": record.label, "name": record.name, "png": png_data_url(record.image)}


def _encode(service: ExplorerService, body: s.EncodeIn) -> dict:
    if body.source == "drawing":
        return _digit_out(service.add_drawing(body.pixels, body.image))
    if body.index is not None:
        return _digit_out(service.test_digit(body.index))
    return _digit_out(service.random_test_digit(body.digit, body.seed))


def _add_digit_routes(app: FastAPI, service: ExplorerService) -> None:
    """Routes that turn a drawing, an upload or a test index into a digit the other routes can use."""

    @app.post("/api/recognize", response_model=s.RecognizeOut)
    async def recognize(body: s.Drawing):
        def work():
            record = service.add_drawing(body.pixels, body.image)
            return {"digit": _digit_out(record), **service.recognize(record)}
        return await run_in_threadpool(work)

    @app.post("/api/encode", response_model=s.DigitOut)
    async def encode(body: s.EncodeIn):
        return await run_in_threadpool(_encode, service, body)

    @app.post("/api/upload", response_model=s.DigitOut)
    async def upload(file: Annotated[UploadFile, File(description="a PNG/JPEG picture of one digit")]):
        if (file.content_type or "").split(";")[0].strip().lower() not in MAX_UPLOAD_TYPES:
            return JSONResponse({"error": f"the upload is {file.content_type or 'untyped'}, not an image; "
                                          "send a PNG or JPEG"}, status_code=415)
        raw = await file.read()
        if not raw:
            return JSONResponse({"error": "the uploaded file is empty; send a PNG or JPEG"}, status_code=422)
        name = Path(file.filename or "upload").name[:60]
        return await run_in_threadpool(lambda: _digit_out(service.add_image(raw, name)))


def _add_model_routes(app: FastAPI, service: ExplorerService) -> None:
    """Routes that run the models: blends, hybrids, the latent map, decoding and sampling."""

    @app.post("/api/blend", response_model=s.BlendOut)
    async def blend(body: s.BlendIn):
        # The hot path: concurrent frames go to the models as one batch, and a plain JSONResponse
        # skips re-validating the output against BlendOut.
        job = (service.digit(body.a), service.digit(body.b), body.t, body.mode)
        return JSONResponse(await service.frame_batcher.submit(job))

    @app.post("/api/blend/curves", response_model=s.CurvesOut)
    async def curves(body: s.CurvesIn):
        return await run_in_threadpool(lambda: service.curves(service.digit(body.a), service.digit(body.b),
                                                              body.steps, body.mode))

    @app.post("/api/hybrid", response_model=s.HybridOut)
    async def hybrid(body: s.HybridIn):
        return await run_in_threadpool(lambda: service.hybrid(service.digit(body.a), service.digit(body.b),
                                                              body.n_results, body.seed))

    @app.get("/api/map", response_model=s.MapOut)
    async def latent_map(n: int = Query(2000, ge=1, le=20_000, description="how many test digits to show")):
        return await run_in_threadpool(service.latent_map, n)

    @app.post("/api/decode", response_model=s.DecodeOut)
    async def decode(body: s.DecodeIn):
        return await run_in_threadpool(service.decode_point, body.x, body.y)

    @app.post("/api/sample", response_model=s.SampleOut)
    async def sample(body: s.SampleIn):
        return await run_in_threadpool(service.sample, body.digit, body.n, body.seed)


def loopback_warning(host: str) -> str | None:
    """The warning `serve` prints when it listens beyond this machine, else None."""
    if host in LOOPBACK:
        return None
    return (f"warning: listening on {host}, not loopback: anyone who can reach this machine can use the "
            "explorer (it has no login); use --host 127.0.0.1 to keep it local")


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket, or a one-line UserError (bad port, address in use, unknown host)."""
    if not 0 <= port <= 65535:
        raise UserError(f"--port {port} is not a TCP port; use 1-65535 (or 0 for any free port)")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on such sockets, and without it a
    # response's header and body segments wait ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)  # connections made as soon as the URL is printed wait in the backlog
    except (OSError, OverflowError) as err:
        sock.close()
        why = getattr(err, "strerror", None) or str(err)
        raise UserError(f"cannot listen on {host}:{port} ({why}); pass another --port or --host") from None
    return sock


def serve(data: MnistData, host: str = "127.0.0.1", port: int = 8000, preset: str = "fast", seed: int = 0,
          progress: bool = True) -> int:
    """`notaverage serve`: train or reuse the models, bind, print the URL, serve until Ctrl-C."""
    import torch
    import uvicorn

    from notaverage import zoo
    from notaverage.models.registry import LAB_MODELS

    if port:
        listen(host, port).close()  # a taken port fails now, not after minutes of training
    models = {name: t.model for name, t in zoo.get_models(data, LAB_MODELS, preset, seed,
                                                          progress=progress).items()}
    torch.set_num_threads(1)  # tiny models: one thread per batch beats threads fighting over 2 cores
    app = create_app(models, data, seed)
    sock = listen(host, port)
    warning = loopback_warning(host)
    if warning:
        print(warning, file=sys.stderr)
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, f"[{host}]" if ":" in host else host)
    print(f"notaverage explorer: http://{shown}:{sock.getsockname()[1]}/  (Ctrl-C to stop)", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_keep_alive=5,
                            limit_concurrency=200)
    uvicorn.Server(config).run(sockets=[sock])
    return 0
