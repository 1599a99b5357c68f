"""Local servers for the collector tests: HTTP(S) in a thread (a self-signed certificate
made with openssl), and a real IMAP server (pymap, in-memory backend) in a subprocess."""

from __future__ import annotations

import http.server
import imaplib
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class ReportServer:
    """Serves ``body`` at /report.json with an ETag; counts what it was asked."""

    body: bytes = b""
    etag: str = '"v1"'
    requests: list[dict[str, str]] = field(default_factory=list)
    not_modified: int = 0
    url: str = ""


def _handler(server_state: ReportServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server_state.requests.append(dict(self.headers.items()))
            if self.path != "/report.json":
                self.send_error(404)
                return
            if self.headers.get("If-None-Match") == server_state.etag:
                server_state.not_modified += 1
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("ETag", server_state.etag)
            self.send_header("Content-Disposition", 'attachment; filename="indicators.json"')
            self.send_header("Content-Length", str(len(server_state.body)))
            self.end_headers()
            self.wfile.write(server_state.body)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


@contextmanager
def report_server(tls: tuple[Path, Path] | None = None) -> Iterator[ReportServer]:
    state = ReportServer()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    scheme = "http"
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    state.url = f"{scheme}://localhost:{server.server_address[1]}/report.json"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1 and its key, made by openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class Mailbox:
    host: str
    port: int
    user: str
    password: str
    #: The server's certificate when it offers STARTTLS.
    ca: Path | None = None

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port)
        if self.ca is not None:
            client.starttls(ssl.create_default_context(cafile=str(self.ca)))
        client.login(self.user, self.password)
        return client

    def deliver(self, *, subject: str, sender: str, attachments: dict[str, bytes]) -> None:
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = sender
        message["To"] = f"{self.user}@cert.example.pk"
        message.set_content("Reports attached.")
        for name, content in attachments.items():
            message.add_attachment(content, maintype="application", subtype="json", filename=name)
        client = self.client()
        try:
            client.append("INBOX", None, None, message.as_bytes())
        finally:
            client.logout()

    def seen(self) -> dict[str, bool]:
        """Subject → whether the mail is marked seen."""
        client = self.client()
        try:
            client.select("INBOX")
            _, data = client.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        finally:
            client.logout()
        result: dict[str, bool] = {}
        for part in data:
            if isinstance(part, tuple):
                flags, header = part[0].decode(), part[1].decode()
                subject = header.split(":", 1)[1].strip()
                result[subject] = "\\Seen" in flags
        return result


@contextmanager
def imap_server(tls: tuple[Path, Path] | None = None) -> Iterator[Mailbox]:
    """pymap on a free port; with ``tls`` (certificate, key) it offers STARTTLS."""
    port = free_port()
    host = "127.0.0.1" if tls is None else "localhost"
    mailbox = Mailbox(host, port, "reports", "s3cret-pass", tls[0] if tls else None)
    pymap = Path(sys.executable).with_name("pymap")
    certificate = ["--cert", str(tls[0]), "--key", str(tls[1])] if tls else []
    command = [str(pymap), "--host", "127.0.0.1", "--port", str(port), *certificate]
    command += ["dict", "--demo-user", mailbox.user, "--demo-password", mailbox.password]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                mailbox.client().logout()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield mailbox
    finally:
        process.terminate()
        process.wait(10)
