"""A turn's model call through the Responses API, sync and async: the I/O of a ``CallModel``
whose ``api`` is ``responses``.

The request is built from the branch (``_responses_mapping``), the stream's events feed the
same ``ReplyState`` a chat call feeds (``_responses_reply.ResponseEvents``), and the final
Response, as the completion a chat call makes, goes to ``Turn.model_done``. Under
``api="auto"`` a 404 before any event sends the call to Chat Completions instead
(``_protocol_choice.fall_back``): these functions then return False and the caller asks chat.
"""

from __future__ import annotations

from typing import Any

from .._exceptions import InvalidParameterError
from ..protocol._parsing import parse_chat_completion
from ..types.response import Response
from ._protocol_choice import ResponsesUnavailableError, fall_back
from ._reply import TurnStopped
from ._responses_mapping import responses_request
from ._responses_reply import ResponseEvents, reasoning_items, to_completion
from ._turn import CallModel, Turn

__all__ = ["acall_responses", "call_responses"]


def call_responses(turn: Turn, step: CallModel, client: Any) -> bool:
    """Ask the model through ``client.responses``; False when the call went nowhere and should
    go to Chat Completions (``auto`` after a 404), True when the turn has what came of it."""
    events = ResponseEvents(step.reply)
    try:
        resource, body = _request(turn, step, client)
        if step.stream:
            with resource.stream(**body) as stream:
                _headers(step, stream)
                for event in stream:
                    events.on_event(event)
                    if turn.stopped:
                        raise TurnStopped("stopped")
                response: Response = stream.get_final_response()
        else:
            response = _whole(step, resource.with_raw_response.create(**body))
    except BaseException as exc:
        return _failed(turn, step, events, exc)
    return _done(turn, step, response)


async def acall_responses(turn: Turn, step: CallModel, client: Any) -> bool:
    """The async twin of ``call_responses``."""
    events = ResponseEvents(step.reply)
    try:
        resource, body = _request(turn, step, client)
        if step.stream:
            async with resource.stream(**body) as stream:
                _headers(step, stream)
                async for event in stream:
                    events.on_event(event)
                    if turn.stopped:
                        raise TurnStopped("stopped")
                response: Response = await stream.get_final_response()
        else:
            response = _whole(step, await resource.with_raw_response.create(**body))
    except BaseException as exc:
        return _failed(turn, step, events, exc)
    return _done(turn, step, response)


def _request(turn: Turn, step: CallModel, client: Any) -> tuple[Any, dict[str, Any]]:
    """The client's ``responses`` resource and the request's keywords, from the branch."""
    resource = getattr(client, "responses", None)
    if resource is None:
        raise InvalidParameterError(
            "api",
            f"this client ({type(client).__name__}) has no responses resource: send with"
            " api='chat'",
        )
    body = responses_request(step.request, turn.host.system, turn.host.history.path_view())
    return resource, body


def _failed(turn: Turn, step: CallModel, events: ResponseEvents, exc: BaseException) -> bool:
    """The call failed: False when it goes to Chat Completions instead (``auto`` after a 404
    before anything arrived; the reply is then marked as chat's); else the turn hears of it."""
    nothing = not events.calls and not step.reply.parts and not step.reply.reasoning
    try:
        if nothing and fall_back(turn.host.api, turn.host.client, exc):
            step.api = step.reply.message.api = "chat"
            return False
    except ResponsesUnavailableError as unavailable:  # api="responses": say so, naming auto
        exc = unavailable
    turn.model_failed(step, exc)  # raises again, unless the turn was stopped
    return True


def _done(turn: Turn, step: CallModel, response: Response) -> bool:
    """The reply as a chat completion, its text parsed into the ``response_format``, to the
    turn; the encrypted reasoning kept on the message, to send back."""
    try:
        if not isinstance(response, Response):  # another package's (openai's): read as ours
            response = Response.model_validate(response.model_dump(mode="json"))
        step.reply.message.reasoning_items = reasoning_items(response)
        completion = parse_chat_completion(
            completion=to_completion(response),
            response_format=step.request.get("response_format"),
            input_tools=None,
        )
    except BaseException as exc:
        turn.model_failed(step, exc)
        return True
    turn.model_done(step, completion, response.model_dump(mode="json"))
    return True


def _headers(step: CallModel, stream: object) -> None:
    response = getattr(stream, "response", None)
    if response is not None:
        step.reply.headers(response.headers)


def _whole(step: CallModel, answer: Any) -> Response:
    step.reply.headers(answer.headers)
    response: Response = answer.parse()
    return response
