"""The local model over HTTP: a thin asyncio adapter over h11 (the HTTP/1.1 stack httpx uses).

h11 leaves the socket to us, so injected faults are real: a dropped connection is a closed
socket, a cut stream an aborted one, a stall a connection held open in silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
import sys
from urllib.parse import parse_qsl, unquote

import h11

from ._batches_endpoint import may_block
from ._core import LocalModel, LocalResponse
from ._faults import Stalled
from ._pacing import Clock, apaced

__all__ = ["LocalServer", "serve"]

_PREFIX = "/v1"
_MAX_BODY = 32 * 1024 * 1024


class LocalServer:
    """Serves a ``LocalModel`` on a host and port; ``await start()``, ``await stop()``.

    ``clock`` gives the time and sleeps for pacing and injected delays (tests pass a fake).
    """

    def __init__(
        self,
        model: LocalModel,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        clock: Clock | None = None,
    ) -> None:
        self.model = model
        self.host = host
        self.port = port
        self.clock = clock or Clock()
        self._server: asyncio.Server | None = None
        self._open: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    @property
    def url(self) -> str:
        """The base URL clients use (with ``/v1``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening, close the open connections (idle keep-alive ones included), and wait.

        Closing them ourselves keeps shutdown quiet and prompt: otherwise ``asyncio.run`` cancels
        their tasks (which Python 3.11 reports as errors) or ``wait_closed`` (3.12+) waits for
        clients to hang up.
        """
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._open.values()):
            writer.close()
        if self._open:
            _, pending = await asyncio.wait(list(self._open), timeout=2.0)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        await self._server.wait_closed()

    async def serve_forever(self) -> None:
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_BODY)
        task = asyncio.current_task()
        if task is not None:
            self._open[task] = writer
        try:
            while await self._exchange(conn, reader, writer):
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:  # shutdown: end quietly (3.11 logs a cancelled handler)
            pass
        finally:
            if task is not None:
                self._open.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _exchange(
        self, conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Serve one request; return whether the connection stays open for another."""
        request: h11.Request | None = None
        body = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
            else:  # ConnectionClosed, or PAUSED after a close
                return False
        assert request is not None
        target = request.target.decode("ascii", "replace")
        raw_path, _, raw_query = target.partition("?")
        path = unquote(raw_path)
        if path.startswith(_PREFIX):
            path = path[len(_PREFIX) :]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers}
        handle = functools.partial(
            self.model.handle,
            request.method.decode("ascii"),
            path,
            dict(parse_qsl(raw_query)),
            headers,
            bytes(body),
        )
        answer = await asyncio.to_thread(handle) if may_block(path) else handle()
        if answer.delay:
            await self.clock.async_sleep(answer.delay)
        if answer.drop:
            writer.transport.abort()
            return False
        if answer.stall is not None:
            await _hold(reader, answer.stall)
            writer.transport.abort()
            return False
        await self._respond(conn, reader, writer, answer)
        return conn.our_state is h11.DONE and conn.their_state is h11.DONE

    async def _respond(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        answer: LocalResponse,
    ) -> None:
        headers = [(k.encode(), v.encode()) for k, v in answer.headers]
        headers.append((b"server", b"workbench-local"))
        if answer.events is None:
            headers.append((b"content-length", str(len(answer.body)).encode()))
            writer.write(conn.send(h11.Response(status_code=answer.status, headers=headers)))
            writer.write(conn.send(h11.Data(data=answer.body)))
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
            return
        writer.write(conn.send(h11.Response(status_code=answer.status, headers=headers)))
        try:
            async with contextlib.aclosing(
                apaced(answer.events, answer.chunk_delay, self.clock)
            ) as events:
                async for event in events:
                    writer.write(conn.send(h11.Data(data=event)))
                    await writer.drain()
        except ConnectionResetError:  # an injected cut: end the stream mid-way
            writer.transport.abort()
            raise
        except Stalled as stall:  # an injected stall: hold the connection silent, then close
            await _hold(reader, stall)
            writer.transport.abort()
            raise ConnectionResetError(str(stall)) from None
        writer.write(conn.send(h11.EndOfMessage()))
        await writer.drain()


async def _hold(reader: asyncio.StreamReader, stall: Stalled) -> None:
    """Send nothing until the client hangs up, or for the stall's seconds when it has some."""

    async def until_closed() -> None:
        while await reader.read(65536):
            pass

    with contextlib.suppress(asyncio.TimeoutError, ConnectionError):
        await asyncio.wait_for(until_closed(), stall.seconds)


def serve(model: LocalModel, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the server until Ctrl-C (or SIGTERM), printing its URL first."""

    async def main() -> None:
        server = LocalServer(model, host=host, port=port)
        await server.start()
        print(f"workbench local model (a simulator) serving on {server.url}", flush=True)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await server.stop()
        print("workbench local model stopped", file=sys.stderr, flush=True)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
