"""Write a tiny random-weight llama as a GGUF file that llama.cpp loads and chats with.

Run with the interop venv's python (it needs ``gguf``, ``numpy`` and ``tokenizers``)::

    .interop/llama/bin/python tests/interop/make_model.py OUT.gguf

No weights can be downloaded here, so the model is made: a byte-level BPE vocabulary trained in
well under a second on the corpus below (the 256 byte symbols, about 120 merges and the ChatML
special tokens), and a 2-layer llama with hidden size 64 and seeded random weights. Its text is
random, but a server still tokenizes, templates, samples under a grammar (JSON, tool calls) and
streams it as it would a real model's.

Two behaviours are built into the weights, so that tests can rely on them:

- The end of a turn (``<|im_end|>``) is never sampled, so a reply runs to its length cap or to a
  stop sequence: every token embedding carries a large constant in dimension 0, which survives
  the final RMS norm as a positive value, and the special tokens' output rows weigh that
  dimension strongly negative. (A near-uniform model would end ~4% of 16-token replies.)
- Only printable ASCII and newlines are sampled (the other byte tokens weigh dimension 0 as the
  special ones do): llama-cpp-python holds a stream back while its text ends in an incomplete
  UTF-8 sequence, re-decoding it all at each token, so stray bytes made a 400-token stream
  arrive at once after 18 s (0.25 s unstreamed), and made control characters in JSON strings.
- Asked with ``tool_choice="auto"``, llama-cpp-python's ``chatml-function-calling`` format lets
  the model choose greedily between ``message:`` and ``functions.NAME:``, and then, after each
  call, between another call and the end. A random model would always choose the same. Here the
  word ``please`` (a token of its own) in the conversation makes it call functions (``f``
  favoured over ``m``/``me`` by 3 logits; another call or the end, ``<``, even), unless a tool
  message came after it (the role ``tool`` is a token of its own), which makes it answer with a
  message. One attention head of layer 0 does it: its query is constant, its keys see only those
  two tokens (``tool`` scores higher, so the latest step of a tool loop wins), and its value
  writes +1 or -1 into dimension 3, which the output rows of those first tokens read.

The same script and seed write the same bytes: the tests cache the file by this script's hash.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import gguf
import numpy as np
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

CORPUS = """\
The weather in Paris is mild today, with light rain in the morning and sun in the afternoon.
Rome is warm and dry; Lisbon is windy. What is the temperature in Edinburgh? It is 12 degrees.
{"city": "Paris", "temperature": 21, "unit": "celsius", "sunny": true, "tags": ["rain", "wind"]}
{"name": "get_weather", "arguments": {"city": "Rome"}} {"name": "get_time", "arguments": {}}
Tides rise and fall twice a day because the Moon pulls on the oceans. Eclipses happen when the
Moon passes between the Earth and the Sun. A function call returns a result, and the assistant
answers the user with it. Numbers: 0 1 2 3 4 5 6 7 8 9 10 42 100 3.14 -7 1e5 null false true.
The quick brown fox jumps over the lazy dog. Explain it to a child; explain it to an expert.
"""
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CALL_WORD = "please"
"""In a prompt, it makes the model call functions when it may choose (``tool_choice="auto"``)."""
TOOL_ROLE = "tool"
"""The role of a tool message; after one, the model answers with a message."""
USER_DEFINED = [CALL_WORD, TOOL_ROLE]
VOCAB_SIZE = 384
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + (message['content'] or '') + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
N_EMBD = 64
N_HEAD = 4
N_FF = 128
N_LAYER = 2
N_CTX = 4096
SEED = 15


def train_vocabulary() -> tuple[list[str], list[str], list[int]]:
    """The tokens, the merges (``"a b"``) and the token types of a byte-level BPE."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS + USER_DEFINED,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS.splitlines(), trainer=trainer)
    model = json.loads(tokenizer.to_str())["model"]
    vocab: dict[str, int] = model["vocab"]
    tokens = [token for token, _ in sorted(vocab.items(), key=lambda item: item[1])]
    assert [vocab[t] for t in tokens] == list(range(len(tokens))), "the ids are not dense"
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    kinds = {t: gguf.TokenType.CONTROL for t in SPECIAL_TOKENS}
    kinds |= {t: gguf.TokenType.USER_DEFINED for t in USER_DEFINED}
    types = [int(kinds.get(t, gguf.TokenType.NORMAL)) for t in tokens]
    return tokens, merges, types


def unprintable(tokens: list[str]) -> list[int]:
    """The ids of tokens whose bytes are not all printable ASCII or newlines (byte-level BPE
    spells byte b as the character GPT-2's table maps it to)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("\xa1"), ord("\xac") + 1)]
    printable += range(ord("\xae"), ord("\xff") + 1)
    table = {b: b for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = 256 + extra
            extra += 1
    to_byte = {chr(c): b for b, c in table.items()}
    bad = []
    for i, token in enumerate(tokens):
        data = bytes(to_byte.get(ch, 0) for ch in token)
        if not all(32 <= b < 127 or b == 10 for b in data):
            bad.append(i)
    return bad


def weights(n_vocab: int, ids: dict[str, int], muted: list[int]) -> dict[str, np.ndarray]:
    """The tensors of a llama, by GGUF name, in numpy's (rows = outputs) layout."""
    rng = np.random.default_rng(SEED)

    def normal(*shape: int, scale: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    # The residual stream's dimensions with a meaning: 0 is a constant, 1 marks the call word,
    # 2 the tool role, 3 says "call functions" (+) or "answer" (-). Only what is set here writes
    # into 1-3.
    constant, call, tool, decide = 0, 1, 2, 3
    embeddings = normal(n_vocab, N_EMBD)
    embeddings[:, constant] = 10.0
    embeddings[:, [call, tool, decide]] = 0.0
    embeddings[ids[CALL_WORD], call] = 1.0
    embeddings[ids[TOOL_ROLE], tool] = 1.0
    output = normal(n_vocab, N_EMBD, scale=2.0)
    output[:, [constant, call, tool, decide]] = 0.0
    output[[ids[t] for t in SPECIAL_TOKENS], constant] = -8.0  # never end the turn
    output[muted, constant] = -8.0  # nor sample a stray byte
    output[[ids["f"], ids["<"]], decide] = 0.5  # functions.NAME: / the end after a call
    output[[ids["m"], ids["me"]], decide] = -0.5  # message:
    tensors = {
        "token_embd.weight": embeddings,
        "output_norm.weight": np.ones(N_EMBD, dtype=np.float32),
        "output.weight": output,
    }
    head = N_EMBD // N_HEAD
    for i in range(N_LAYER):
        q, k, v = normal(N_EMBD, N_EMBD), normal(N_EMBD, N_EMBD), normal(N_EMBD, N_EMBD)
        attn_output, ffn_down = normal(N_EMBD, N_EMBD), normal(N_EMBD, N_FF)
        attn_output[[call, tool, decide], :] = 0.0
        ffn_down[[call, tool, decide], :] = 0.0
        if i == 0:
            # Head 0 on its slowest rotary pair (head - 2, head - 1): RoPE turns it by ~3e-4 rad
            # a token, so the score hardly depends on the distance. Scores (scaled by 1/4):
            # 8 * 0.8 * 12.5 / 4 = 20 for the call word, 40 for the tool role, ~0 otherwise.
            pair = [head - 2, head - 1]
            q[pair, :], k[pair, :], v[0, :] = 0.0, 0.0, 0.0
            q[head - 2, constant] = 1.0
            k[head - 2, call], k[head - 2, tool] = 12.5, 25.0
            v[0, call], v[0, tool] = 5.0, -5.0
            attn_output[:, 0] = 0.0
            attn_output[decide, 0] = 1.0
        tensors |= {
            f"blk.{i}.attn_norm.weight": np.ones(N_EMBD, dtype=np.float32),
            f"blk.{i}.attn_q.weight": q,
            f"blk.{i}.attn_k.weight": k,
            f"blk.{i}.attn_v.weight": v,
            f"blk.{i}.attn_output.weight": attn_output,
            f"blk.{i}.ffn_norm.weight": np.ones(N_EMBD, dtype=np.float32),
            f"blk.{i}.ffn_gate.weight": normal(N_FF, N_EMBD),
            f"blk.{i}.ffn_up.weight": normal(N_FF, N_EMBD),
            f"blk.{i}.ffn_down.weight": ffn_down,
        }
    return tensors


def write(path: Path) -> None:
    """Write the model to ``path`` (through a temporary file, so a reader never sees half)."""
    tokens, merges, types = train_vocabulary()
    ids = {token: i for i, token in enumerate(tokens)}
    writer = gguf.GGUFWriter(str(path) + ".part", arch="llama")
    writer.add_name("workbench-interop-tiny")
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    writer.add_token_list(tokens)
    writer.add_token_merges(merges)
    writer.add_token_types(types)
    writer.add_bos_token_id(ids["<|endoftext|>"])
    writer.add_eos_token_id(ids["<|im_end|>"])
    writer.add_pad_token_id(ids["<|endoftext|>"])
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHATML_TEMPLATE)
    muted = [i for i in unprintable(tokens) if tokens[i] not in SPECIAL_TOKENS + USER_DEFINED]
    for name, tensor in weights(len(tokens), ids, muted).items():
        writer.add_tensor(name, tensor)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    Path(str(path) + ".part").replace(path)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_model.py OUT.gguf")
    write(Path(sys.argv[1]))
