"""The protocol client: ``Client`` and ``AsyncClient`` (the ``openai`` package's surface), their
one non-I/O base (requests, retries, errors), the resources (``chat.completions``, ``models``),
streams, raw responses, pagination and provider profiles.

Imports: ``workbench.local`` and ``workbench.cassette`` (the transports a client can plug in),
``workbench.protocol``, ``workbench.media``, ``workbench.types`` and the base modules; never a
conversation, a widget, IPython or pandas.
"""
