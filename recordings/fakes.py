"""Local stand-ins for the outside services of recordings, for tests and benches (never used in
production): Twilio's recording media endpoint, and an S3-compatible server (moto's, when the test
extras are installed). Both listen on 127.0.0.1 with an ephemeral port; the product reaches them
through its real clients (httpx, boto3), pointed at them by the base-URL settings
(``SWITCHBOARD_TWILIO__API_BASE``, ``SWITCHBOARD_RECORDINGS__S3_ENDPOINT_URL``)."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class FakeTwilioRecordings:
    """``GET /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.wav`` with HTTP basic auth
    (account SID + auth token), answering the WAV put in ``files`` (404 otherwise), as Twilio does."""

    account_sid: str
    auth_token: str
    files: dict[str, bytes] = field(default_factory=dict)
    fetches: list[str] = field(default_factory=list)
    url: str = ""

    def recording_url(self, sid: str) -> str:
        """The ``RecordingUrl`` Twilio would send in the status callback (no extension)."""
        return f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Recordings/{sid}"

    async def _media(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return Response('{"code": 20003, "message": "Authenticate"}', status_code=401,
                            media_type="application/json")
        if request.path_params["account"] != self.account_sid:
            return Response(status_code=404)
        sid = request.path_params["name"].removesuffix(".wav")
        self.fetches.append(sid)
        data = self.files.get(sid)
        if data is None:
            return Response('{"code": 20404, "message": "not found"}', status_code=404, media_type="application/json")
        return Response(data, media_type="audio/x-wav")

    @contextmanager
    def serving(self) -> Iterator[FakeTwilioRecordings]:
        app = Starlette(routes=[Route("/2010-04-01/Accounts/{account}/Recordings/{name}", self._media)])
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, name="fake-twilio-recordings", daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake Twilio server did not start")
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(timeout=10)


@contextmanager
def s3_server(bucket: str) -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 with ``bucket`` created; yields its endpoint URL."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                     aws_secret_access_key="test").create_bucket(Bucket=bucket)
        yield url
    finally:
        server.stop()
