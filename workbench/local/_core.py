"""The local model's core, shared by the in-process transport and the HTTP server.

A request (method, path, query, headers, body) goes in; a ``LocalResponse`` comes out: a status,
headers, and either a whole body or a sequence of SSE events, with the pacing and faults that the
adapters carry out. Nothing here does I/O.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from .._exceptions import InvalidParameterError
from ..protocol._validate import validate_create_params
from ._batch_input import BatchLimits, BatchRequest
from ._batch_store import BatchStore, BatchTiming
from ._batches_endpoint import batch_endpoints, batches_route
from ._embeddings import LOCAL_EMBEDDING_MODEL
from ._embeddings import embeddings as embeddings_answer
from ._faults import FAULT_HEADER, Fault, FaultPlan, Stalled, broken, error_body, replacement
from ._file_store import FileStore
from ._files_endpoint import files_route
from ._generate import answer
from ._local_response import LocalResponse
from ._local_response import error as _error
from ._local_response import ok as _ok
from ._pacing import Pacing
from ._predict import check_prediction
from ._responses_endpoint import Reply, ResponsesEndpoint
from ._schema_problems import validate_schema
from ._speech import check_format
from ._store import CompletionStore
from ._think import REASONING_FIELDS
from ._variants import REPEAT_HEADER, Variants, sampled

__all__ = ["LOCAL_MODELS", "LocalModel", "LocalResponse"]

LOCAL_MODELS = ("workbench-local", "workbench-local-mini", "workbench-local-reasoning")
"""The models ``models.list()`` shows; chat requests accept any model name. The last one sends
its reasoning text (``_think``)."""

_COMPLETION = re.compile(r"^/chat/completions/([^/]+)$")
_MESSAGES = re.compile(r"^/chat/completions/([^/]+)/messages$")
_MODEL = re.compile(r"^/models/(.+)$")
_JSON = [("content-type", "application/json")]
log = logging.getLogger("workbench.local")


class LocalModel:
    """A deterministic chat model that speaks Chat Completions and the Responses API
    (``/v1/responses``, answered by the same generator), with ``/v1/embeddings``. A simulator.

    It samples as a real model does, deterministically: without a ``seed`` (and at a
    ``temperature`` above 0) the nth identical request it answers gets the nth variant of the
    reply, so Regenerate shows another reply; with a ``seed`` identical requests get identical
    replies (``_variants``; ``reset_variants()`` starts the counts again).

    It keeps files (``/v1/files``) and runs batches (``/v1/batches``) as the Batch API does, in
    simulated time (``_batch_store``); a batch's lines are answered as live requests would be.

    Args:
        api_key: when set, requests must carry ``Authorization: Bearer <api_key>`` (else 401).
        pacing: stream pacing for visible demos (default: as fast as possible).
        faults: faults injected into matching requests (see ``Fault``); per request, the
            ``x-workbench-fault`` header adds more, e.g. ``429;times=2;retry-after=0.5``.
        refusal_trigger: a message containing this text is refused (``refusal`` instead of
            content); None turns refusals off.
        reasoning_field: where ``workbench-local-reasoning`` sends its reasoning text:
            ``reasoning_content`` (as DeepSeek, llama.cpp's server, LiteLLM and older vLLM do) or
            ``reasoning`` (as newer vLLM, Ollama, OpenRouter and Groq do).
        responses: whether it answers ``/v1/responses``; False makes it a server that speaks
            Chat Completions only (a 404 there), as many OpenAI-compatible servers are.
        embeddings: whether it answers ``/v1/embeddings`` (``_embeddings``: word and spelling
            overlap, not meaning); False makes it a server without embeddings (a 404 there).
        batch_timing: how long its batches take, in simulated time, and how fast that runs
            (``BatchTiming``; the default runs 2,000 lines in about 4.5 s).
        batch_limits: how many requests and bytes a batch's input file may hold (``BatchLimits``;
            the API's 50,000 and 200 MB by default).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        pacing: Pacing | None = None,
        faults: list[Fault] | None = None,
        refusal_trigger: str | None = "please refuse",
        reasoning_field: str = "reasoning_content",
        responses: bool = True,
        embeddings: bool = True,
        batch_timing: BatchTiming | None = None,
        batch_limits: BatchLimits | None = None,
    ) -> None:
        if reasoning_field not in REASONING_FIELDS:
            raise ValueError(
                f"reasoning_field must be one of {', '.join(REASONING_FIELDS)},"
                f" not {reasoning_field!r}"
            )
        self.reasoning_field = reasoning_field
        self.speaks_responses = responses
        self.speaks_embeddings = embeddings
        self.embedding_model = LOCAL_EMBEDDING_MODEL
        """The name its embeddings go by (it takes any), which grids ask for by default."""
        self._api_key = api_key
        self.pacing = pacing or Pacing()
        self.faults = FaultPlan(list(faults or ()))
        self.refusal_trigger = refusal_trigger
        self.store = CompletionStore()
        self._ids = itertools.count(1)
        self._id_lock = threading.Lock()
        self._variants = Variants()
        self._responses = ResponsesEndpoint(
            check_chat=_validate, next_number=self._next_number, variants=self._variants
        )
        timing = batch_timing or BatchTiming()
        now = timing.simulated_clock()
        self.files = FileStore(now)
        """The files uploaded to ``/v1/files`` and those its batches wrote."""
        self.batches = BatchStore(
            self.files, timing, batch_limits or BatchLimits(), now, self._answer_line
        )
        """The batches of ``/v1/batches``."""
        self.instance = secrets.token_hex(6)
        """A random name: grids log their batches here under it (they end with this model)."""

    def _next_number(self) -> int:
        with self._id_lock:
            return next(self._ids)

    def reset_variants(self) -> None:
        """Answer every request from now on as if it were the first of its kind (variant 0)."""
        self._variants.reset()

    def __repr__(self) -> str:
        return f"LocalModel(api_key=<{'set' if self._api_key else 'none'}>, pacing={self.pacing})"

    # -- the entry point ---------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> LocalResponse:
        """Answer one request. ``path`` is below ``/v1`` (e.g. ``/chat/completions``);
        ``headers`` have lower-case names."""
        if self._api_key is not None and headers.get("authorization") != f"Bearer {self._api_key}":
            return _error(
                401, "Incorrect API key provided.", "invalid_request_error", code="invalid_api_key"
            )
        try:
            faults = self.faults.select(headers, in_stream=False)
        except ValueError as exc:
            return _error(
                400,
                f"Invalid {FAULT_HEADER} header: {exc}",
                "invalid_request_error",
                param=FAULT_HEADER,
            )
        delay = sum(f.seconds or 0.0 for f in faults if f.kind == "latency")
        for fault in faults:
            if fault.kind == "drop":
                return LocalResponse(0, drop=True, delay=delay)
            if fault.kind == "stall":
                return LocalResponse(0, stall=Stalled(fault.seconds), delay=delay)
            if fault.kind == "status":
                return _fault_status(fault, delay)
            if fault.kind in ("empty", "not-json", "huge"):
                kind, content, events = replacement(fault, body, responses=_is_responses(path))
                return LocalResponse(200, [("content-type", kind)], content, events, delay)
        response = self._answer(
            method, path, query, headers, body, headers.get(REPEAT_HEADER), self._variants
        )
        response.delay += delay
        if response.events is not None:
            stream_faults = self.faults.select(headers, in_stream=True)
            if stream_faults:
                response.events = broken(
                    response.events, stream_faults[0], responses=_is_responses(path)
                )
        return response

    def _answer(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
        repeat: str | None,
        variants: Variants,
    ) -> LocalResponse:
        """Route a request, turning a bad parameter into a 400 and a bug into a 500."""
        try:
            return self._route(
                method.upper(), path.rstrip("/") or "/", query, headers, body, repeat, variants
            )
        except InvalidParameterError as exc:
            return _error(400, str(exc), "invalid_request_error", param=exc.param)
        except Exception as exc:  # a bug here must reach the client as a server error, not hang
            log.exception("the local model failed on %s %s", method, path)
            return _error(
                500, f"The local model failed: {type(exc).__name__}: {exc}", "server_error"
            )

    def _answer_line(
        self, request: BatchRequest, repeat: str | None, variants: Variants
    ) -> tuple[int, dict[str, Any]]:
        """A batch line answered as the same request sent live would be (never streamed)."""
        if request.body.get("stream"):
            message = "A batch request cannot stream: 'stream' must be false or left out."
            response = _error(400, message, "invalid_request_error", param="stream")
        else:
            body = json.dumps(request.body).encode()
            response = self._answer("POST", request.path, {}, {}, body, repeat, variants)
        return response.status, json.loads(response.body)

    def _route(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
        repeat: str | None,
        variants: Variants,
    ) -> LocalResponse:
        if path == "/files" or path.startswith("/files/"):
            self.batches.advance()  # a batch that has ended writes its output files
            routed = files_route(
                self.files, method, path, query, headers, body,
                max_batch_bytes=self.batches.limits.max_bytes,
            )  # fmt: skip
            if routed is not None:
                return routed
        elif path == "/batches" or path.startswith("/batches/"):
            data = _json_body(body) if method == "POST" else {}
            answered = batch_endpoints(
                responses=self.speaks_responses, embeddings=self.speaks_embeddings
            )
            routed = batches_route(self.batches, method, path, query, data, answered)
            if routed is not None:
                return routed
        elif path == "/chat/completions":
            if method == "POST":
                return self._create(_json_body(body), repeat, variants)
            if method == "GET":
                return _ok(self.store.list(**_list_query(query, with_model=True)))
        elif match := _MESSAGES.match(path):
            if method == "GET":
                page = self.store.messages(match[1], **_list_query(query))
                return _ok(page) if page is not None else _missing(match[1])
        elif match := _COMPLETION.match(path):
            return self._stored(method, match[1], body)
        elif _is_responses(path) and self.speaks_responses:
            reply = self._responses.route(
                method,
                path,
                query,
                _json_body(body) if method == "POST" else {},
                repeat=repeat,
                variants=variants,
                refusal_trigger=self.refusal_trigger,
                list_query=_list_query,
            )
            if reply is not None:
                return self._reply(reply)
        elif path == "/embeddings" and method == "POST" and self.speaks_embeddings:
            return _ok(embeddings_answer(_json_body(body)))
        elif path == "/models" and method == "GET":
            return _ok({"object": "list", "data": [_model(m) for m in LOCAL_MODELS]})
        elif (match := _MODEL.match(path)) and method == "GET":
            if match[1] in LOCAL_MODELS:
                return _ok(_model(match[1]))
            return _error(
                404,
                f"The model '{match[1]}' does not exist.",
                "invalid_request_error",
                param="model",
                code="model_not_found",
            )
        return _error(404, f"Unknown route: {method} /v1{path}", "invalid_request_error")

    def _reply(self, reply: Reply) -> LocalResponse:
        if reply.events is None:
            return LocalResponse(reply.status, list(_JSON), json.dumps(reply.body).encode())
        return LocalResponse(
            reply.status,
            [("content-type", "text/event-stream"), ("cache-control", "no-cache")],
            events=reply.events,
            delay=self.pacing.first_token,
            chunk_delay=self.pacing.chunk_delay,
        )

    # -- chat completions --------------------------------------------------------------------

    def _create(
        self, body: dict[str, Any], repeat: str | None, variants: Variants
    ) -> LocalResponse:
        _validate(body)
        number = self._next_number()
        result = answer(
            body,
            id=f"chatcmpl-local{number:08d}",
            created=int(time.time()),
            refusal_trigger=self.refusal_trigger,
            reasoning_field=self.reasoning_field,
            variant=variants.next(body, repeat) if sampled(body) else 0,
        )
        if body.get("store") is True:
            self.store.put(result.completion(body.get("metadata")), body["messages"])
        if not body.get("stream"):
            return LocalResponse(
                200, _JSON, json.dumps(result.completion(body.get("metadata"))).encode()
            )
        options = body.get("stream_options") or {}
        chunks = result.chunks(include_usage=bool(options.get("include_usage")))
        return LocalResponse(
            200,
            [("content-type", "text/event-stream"), ("cache-control", "no-cache")],
            events=_sse(chunks),
            delay=self.pacing.first_token,
            chunk_delay=self.pacing.chunk_delay,
        )

    def _stored(self, method: str, completion_id: str, body: bytes) -> LocalResponse:
        if method == "GET":
            found = self.store.get(completion_id)
            return _ok(found) if found is not None else _missing(completion_id)
        if method == "POST":
            data = _json_body(body)
            metadata = data.get("metadata")
            if metadata is not None and not isinstance(metadata, dict):
                raise InvalidParameterError("metadata", "must be an object of strings or null")
            updated = self.store.update(completion_id, metadata)
            return _ok(updated) if updated is not None else _missing(completion_id)
        if method == "DELETE":
            if self.store.delete(completion_id):
                return _ok(
                    {"object": "chat.completion.deleted", "id": completion_id, "deleted": True}
                )
            return _missing(completion_id)
        return _error(405, f"Method {method} is not allowed here.", "invalid_request_error")


def _validate(body: dict[str, Any]) -> None:
    """The checks the real API makes, reported as it reports them (400, naming the parameter)."""
    if "messages" not in body:
        raise InvalidParameterError("messages", "Missing required parameter: 'messages'.")
    if "model" not in body:
        raise InvalidParameterError("model", "Missing required parameter: 'model'.")
    validate_create_params(body)

    if "audio" in (body.get("modalities") or ()):
        check_format(body["audio"].get("format"))  # a spoken reply in a format it can encode
    check_prediction(body)
    seen: set[str] = set()
    for i, message in enumerate(body["messages"]):
        for call in message.get("tool_calls") or ():
            if isinstance(call, Mapping):
                seen.add(str(call.get("id")))
        if message.get("role") == "tool" and message.get("tool_call_id") not in seen:
            raise InvalidParameterError(
                f"messages[{i}].tool_call_id",
                "an assistant message with 'tool_calls' must come before, with a call of id"
                f" {message.get('tool_call_id')!r}",
            )

    response_format = body.get("response_format")
    if isinstance(response_format, Mapping):
        kind = response_format.get("type")
        if kind not in ("text", "json_object", "json_schema"):
            raise InvalidParameterError(
                "response_format.type",
                f"got {kind!r}",
                allowed=("text", "json_object", "json_schema"),
            )
        if kind == "json_schema":
            spec = response_format.get("json_schema")
            if not isinstance(spec, Mapping) or not spec.get("name"):
                raise InvalidParameterError("response_format.json_schema.name", "is required")
            problems = validate_schema(spec.get("schema") or {})
            if problems:
                raise InvalidParameterError(
                    "response_format.json_schema.schema", f"Invalid schema: {problems[0]}"
                )
    for i, tool in enumerate(body.get("tools") or ()):
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if isinstance(function, Mapping) and function.get("parameters") is not None:
            problems = validate_schema(function["parameters"])
            if problems:
                raise InvalidParameterError(
                    f"tools[{i}].function.parameters", f"Invalid schema: {problems[0]}"
                )
    _validate_tool_choice(body.get("tools") or (), body.get("tool_choice"))


def _validate_tool_choice(tools: Any, choice: object) -> None:
    """A forcing ``tool_choice`` needs tools, and a named one a tool of that name (as the API)."""
    if choice is None or choice in ("auto", "none"):
        return
    if not tools:
        raise InvalidParameterError(
            "tool_choice", "'tool_choice' is only allowed when 'tools' are specified."
        )
    if isinstance(choice, Mapping) and choice.get("type") in ("function", "custom"):
        kind = str(choice["type"])
        named = choice.get(kind)
        name = named.get("name") if isinstance(named, Mapping) else None
        offered = {
            (tool.get(kind) or {}).get("name")
            for tool in tools
            if isinstance(tool, Mapping) and tool.get("type", "function") == kind
        }
        if name not in offered:
            raise InvalidParameterError(
                "tool_choice", f"tool choice {name!r} not found in the 'tools' parameter."
            )


def _is_responses(path: str) -> bool:
    return path.startswith("/responses")


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        raise InvalidParameterError(
            "body", "We could not parse the JSON body of your request."
        ) from None
    if not isinstance(data, dict):
        raise InvalidParameterError("body", "The request body must be a JSON object.")
    return data


def _list_query(query: Mapping[str, str], *, with_model: bool = False) -> dict[str, Any]:
    try:
        limit = int(query.get("limit", 20))
    except ValueError:
        raise InvalidParameterError("limit", "must be an integer") from None
    if not 1 <= limit <= 100:
        raise InvalidParameterError("limit", f"{limit} is out of range", allowed="1 to 100")
    order = query.get("order", "asc")  # the API's default for both lists: oldest first
    if order not in ("asc", "desc"):
        raise InvalidParameterError("order", f"got {order!r}", allowed=("asc", "desc"))
    args: dict[str, Any] = {"after": query.get("after"), "limit": limit, "order": order}
    if with_model:
        args["model"] = query.get("model")
        args["metadata"] = {
            k[9:-1]: v for k, v in query.items() if k.startswith("metadata[") and k.endswith("]")
        }
    return args


def _sse(chunks: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for chunk in chunks:
        yield b"data: " + dumps(chunk).encode() + b"\n\n"
    yield b"data: [DONE]\n\n"


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 1735689600, "owned_by": "workbench"}


def _missing(completion_id: str) -> LocalResponse:
    return _error(
        404, f"No chat completion found with id '{completion_id}'.", "invalid_request_error"
    )


def _fault_status(fault: Fault, delay: float) -> LocalResponse:
    kinds = {429: "rate_limit_exceeded", 503: "server_overloaded"}
    message = f"Injected fault: status {fault.status} from the local model."
    error = {
        "message": message,
        "type": "requests" if fault.status == 429 else "server_error",
        "param": None,
        "code": kinds.get(fault.status),
    }
    kind, body = error_body(fault, message, error)
    response = LocalResponse(fault.status, [("content-type", kind)], body)
    if fault.retry_after is not None:
        response.headers.append(("retry-after", f"{fault.retry_after:g}"))
    response.delay = delay
    return response
