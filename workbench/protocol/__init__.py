"""What the Chat Completions wire protocol says, with no I/O: request validation, JSON schemas
for structured output and tools, parsing replies, accumulating streamed chunks into a
completion (with typed stream events), decoding server-sent events, and usage accounting
(prices, estimated token counts).

A second wire protocol gets its own modules here; the layers above see typed completions and
events, never the wire. Imports: ``workbench.media``, ``workbench.types`` and the base modules
only.
"""
