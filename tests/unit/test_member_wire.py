"""The hub's member calls on the wire (members/wire.py) against scripted HTTP servers.

Each server is a real socket on loopback answering with bytes written here, so the framing
(Content-Length, chunked, end of connection), kept connections, a member closing an idle
connection, malformed and oversized answers, cancellation and TLS are exercised as a member
would send them. Every case runs on asyncio's own loop and on uvloop (what uvicorn runs the
hub on: its transports are not asyncio.Transport subclasses).
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import inspect
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import uvloop
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from network_hub.members.wire import AnswerTooLarge, MalformedAnswer, WirePool

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
HEADERS = (("Content-Type", "application/json"),)


LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


def on_both_loops(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """The async test run once on each loop (a plain test, outside pytest-asyncio's loop)."""

    @pytest.mark.parametrize("loop_name", list(LOOPS))
    @functools.wraps(test)
    def run(loop_name: str, **kwargs: Any) -> None:
        with asyncio.Runner(loop_factory=LOOPS[loop_name]) as runner:
            runner.run(test(**kwargs))

    # pytest reads the signature: the test's own fixtures plus the loop.
    params = [inspect.Parameter("loop_name", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += list(inspect.signature(test).parameters.values())
    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return run


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes] | None:
    """One request's head and body; None at the end of the connection."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head, await reader.readexactly(length)


def answer(body: bytes, *extra: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + b"".join(extra)
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )


@asynccontextmanager
async def server(handler: Handler, ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the client went away (what some cases are about)

    srv = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ssl_context)
    try:
        yield srv.sockets[0].getsockname()[1]
    finally:
        srv.close()
        for writer in writers:
            writer.close()
        await srv.wait_closed()


@asynccontextmanager
async def echo_server(connections: list[int]) -> AsyncIterator[int]:
    """Answers every request on a connection with its body, counting connections."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while (request := await read_request(reader)) is not None:
            writer.write(answer(request[1]))
            await writer.drain()
        writer.close()

    async with server(handle) as port:
        yield port


def slow_echo(gate: asyncio.Event, started: asyncio.Event) -> Handler:
    """Echoes every body, except that a ``slow`` one is answered only once ``gate`` is set
    (``started`` is set when it arrives)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (request := await read_request(reader)) is not None:
            if request[1] == b"slow":
                started.set()
                await gate.wait()
            writer.write(answer(request[1]))
            await writer.drain()

    return handle


@on_both_loops
async def test_kept_connection_is_reused_and_the_request_is_as_sent() -> None:
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (request := await read_request(reader)) is not None:
            seen.append(request[0])
            writer.write(answer(b'{"n": %d}' % len(seen)))
            await writer.drain()

    async with server(handle) as port:
        pool = WirePool(f"http://127.0.0.1:{port}/network/graphql")
        answers = [await pool.post(b'{"q": 1}', HEADERS) for _ in range(3)]
        pool.close()
    assert answers == [(200, b'{"n": 1}'), (200, b'{"n": 2}'), (200, b'{"n": 3}')]
    assert pool.opened == 1
    head = seen[0].decode()
    assert head.startswith("POST /network/graphql HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{port}\r\n" in head
    assert "Content-Length: 8\r\n" in head
    assert "Content-Type: application/json\r\n" in head


@on_both_loops
async def test_concurrent_calls_get_their_own_answers() -> None:
    connections: list[int] = []
    async with echo_server(connections) as port:
        pool = WirePool(f"http://127.0.0.1:{port}/", max_connections=4)
        bodies = [b'{"i": %d}' % i for i in range(40)]
        answers = await asyncio.gather(*(pool.post(b, HEADERS) for b in bodies))
        pool.close()
    assert [a[1] for a in answers] == bodies
    assert len(connections) <= 4  # callers beyond the cap waited for a kept connection


@on_both_loops
async def test_a_member_closing_an_idle_connection_costs_nothing() -> None:
    """uvicorn closes idle kept connections after 5 s: the next call opens a fresh one."""
    served: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await read_request(reader)
        assert request is not None
        served.append(1)
        writer.write(answer(b"{}"))
        await writer.drain()
        writer.close()  # without saying Connection: close

    async with server(handle) as port:
        pool = WirePool(f"http://127.0.0.1:{port}/")
        assert await pool.post(b"{}", HEADERS) == (200, b"{}")
        await asyncio.sleep(0)  # the close may or may not have arrived: both must work
        assert await pool.post(b"{}", HEADERS) == (200, b"{}")
        assert await pool.post(b"{}", HEADERS) == (200, b"{}")
        pool.close()
    assert len(served) == 3


@on_both_loops
async def test_close_racing_a_reused_connection_is_retried_once() -> None:
    """The member closes a kept connection just as the next request goes out: nothing of an
    answer came back, so the request is sent again on a fresh connection."""
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        first = connections == 1
        request = await read_request(reader)
        assert request is not None
        writer.write(answer(b'{"c": %d}' % connections))
        await writer.drain()
        if first:
            await read_request(reader)  # the second request arrives ... and is dropped
            writer.transport.abort()

    async with server(handle) as port:
        pool = WirePool(f"http://127.0.0.1:{port}/")
        assert await pool.post(b"{}", HEADERS) == (200, b'{"c": 1}')
        assert await pool.post(b"{}", HEADERS) == (200, b'{"c": 2}')
        pool.close()
    assert pool.opened == 2


@on_both_loops
async def test_a_fresh_connection_closed_before_answering_is_an_error() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.transport.abort()

    async with server(handle) as port:
        pool = WirePool(f"http://127.0.0.1:{port}/")
        with pytest.raises(ConnectionError):
            await pool.post(b"{}", HEADERS)
        pool.close()
    assert pool.opened == 1  # not retried: the member may have acted on it


@on_both_loops
async def test_close_in_the_middle_of_an_answer_is_an_error() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"half')
        await writer.drain()
        writer.close()

    async with server(handle) as port:
        pool = WirePool(f"http://127.0.0.1:{port}/")
        with pytest.raises(ConnectionError):
            await pool.post(b"{}", HEADERS)
        pool.close()


@on_both_loops
async def test_chunked_answers_and_answers_ended_by_the_close() -> None:
    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await read_request(reader) is not None:
            writer.write(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b'5\r\n{"a":\r\n3\r\n 1}\r\n0\r\n\r\n'
            )
            await writer.drain()

    async def until_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        writer.write(b'{"b": 2}')
        await writer.drain()
        writer.close()

    async with server(chunked) as port:
        pool = WirePool(f"http://127.0.0.1:{port}/")
        assert await pool.post(b"{}", HEADERS) == (200, b'{"a": 1}')
        assert await pool.post(b"{}", HEADERS) == (200, b'{"a": 1}')
        assert pool.opened == 1
        pool.close()
    async with server(until_close) as port:
        pool = WirePool(f"http://127.0.0.1:{port}/")
        assert await pool.post(b"{}", HEADERS) == (200, b'{"b": 2}')
        assert await pool.post(b"{}", HEADERS) == (200, b'{"b": 2}')
        assert pool.opened == 2  # "Connection: close" is honoured
        pool.close()


@on_both_loops
async def test_error_statuses_come_back_as_they_are() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await read_request(reader) is not None:
            writer.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy")
            await writer.drain()

    async with server(handle) as port:
        pool = WirePool(f"http://127.0.0.1:{port}/")
        assert await pool.post(b"{}", HEADERS) == (503, b"busy")
        pool.close()


@on_both_loops
async def test_bytes_that_are_not_http_and_oversized_answers_are_refused() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()

    async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(100):
            writer.write(b"x" * 1000)
        await writer.drain()

    async with server(garbage) as port:
        pool = WirePool(f"http://127.0.0.1:{port}/")
        with pytest.raises(MalformedAnswer):
            await pool.post(b"{}", HEADERS)
        pool.close()
    async with server(huge) as port:
        pool = WirePool(f"http://127.0.0.1:{port}/", max_answer_bytes=10_000)
        with pytest.raises(AnswerTooLarge):
            await pool.post(b"{}", HEADERS)
        pool.close()


@on_both_loops
async def test_a_call_cancelled_by_its_timeout_does_not_leave_its_answer_to_the_next() -> None:
    """The late answer to a timed-out call must never be read as the next call's answer."""
    gate = asyncio.Event()
    async with server(slow_echo(gate, asyncio.Event())) as port:
        pool = WirePool(f"http://127.0.0.1:{port}/")
        assert await pool.post(b"warm", HEADERS) == (200, b"warm")
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await pool.post(b"slow", HEADERS)
        gate.set()
        assert await pool.post(b"next", HEADERS) == (200, b"next")
        assert pool.opened == 2  # the timed-out call's connection was closed, not reused
        pool.close()


@on_both_loops
async def test_an_unreachable_member_is_an_os_error() -> None:
    srv = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    srv.close()
    await srv.wait_closed()
    pool = WirePool(f"http://127.0.0.1:{port}/")
    with pytest.raises(ConnectionRefusedError):
        await pool.post(b"{}", HEADERS)


@on_both_loops
async def test_header_values_with_line_breaks_are_refused() -> None:
    pool = WirePool("http://127.0.0.1:9/")
    with pytest.raises(ValueError, match="line breaks"):
        await pool.post(b"{}", (("Authorization", "Bearer x\r\nX-Evil: 1"),))


def test_only_http_urls() -> None:
    with pytest.raises(ValueError, match="not an http"):
        WirePool("ftp://example.org/network/graphql")


def _certificate(tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert_file, key_file)
    trusting = ssl.create_default_context(cafile=str(cert_file))
    return served, trusting


@on_both_loops
async def test_https_members_with_verified_certificates(tmp_path: Path) -> None:
    served, trusting = _certificate(tmp_path)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (request := await read_request(reader)) is not None:
            writer.write(answer(request[1]))
            await writer.drain()

    async with server(handle, served) as port:
        pool = WirePool(f"https://127.0.0.1:{port}/network/graphql", ssl_context=trusting)
        assert await pool.post(b'{"tls": 1}', HEADERS) == (200, b'{"tls": 1}')
        assert await pool.post(b'{"tls": 2}', HEADERS) == (200, b'{"tls": 2}')
        assert pool.opened == 1
        pool.close()
        # The system's trust store does not know this certificate: refused.
        untrusting = WirePool(f"https://127.0.0.1:{port}/network/graphql")
        with pytest.raises(ssl.SSLError):
            await untrusting.post(b"{}", HEADERS)
        untrusting.close()


@on_both_loops
async def test_the_call_timeout_closes_the_connection_and_frees_the_slot() -> None:
    """``timeout=`` (the member client's): no answer in time is TimeoutError, the late answer
    is never read as the next call's, and the slot it held serves the next call."""
    gate = asyncio.Event()
    async with server(slow_echo(gate, asyncio.Event())) as port:
        pool = WirePool(f"http://127.0.0.1:{port}/", max_connections=1)
        assert await pool.post(b"warm", HEADERS, timeout=5) == (200, b"warm")
        with pytest.raises(TimeoutError):
            await pool.post(b"slow", HEADERS, timeout=0.05)
        gate.set()
        assert await pool.post(b"next", HEADERS, timeout=5) == (200, b"next")
        assert pool.opened == 2  # the timed-out call's connection was closed, not reused
        pool.close()


@on_both_loops
async def test_waiting_for_a_slot_counts_against_the_timeout() -> None:
    """With every connection busy, a caller waits for a slot only until its deadline; the
    slots stay right afterwards (all calls then get through, one at a time)."""
    gate = asyncio.Event()
    started = asyncio.Event()
    async with server(slow_echo(gate, started)) as port:
        pool = WirePool(f"http://127.0.0.1:{port}/", max_connections=1)
        holder = asyncio.create_task(pool.post(b"slow", HEADERS))
        await started.wait()
        with pytest.raises(TimeoutError):
            await pool.post(b"late", HEADERS, timeout=0.05)
        gate.set()
        assert await holder == (200, b"slow")
        bodies = [b'{"n": %d}' % i for i in range(6)]
        answers = await asyncio.gather(*(pool.post(b, HEADERS, timeout=5) for b in bodies))
        assert answers == [(200, b) for b in bodies]
        assert pool.opened == 1  # the one slot's connection served every call
        pool.close()
