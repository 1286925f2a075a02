"""What values look like: the user's words, readable strings by name, formats and patterns."""

from __future__ import annotations

import importlib
import random
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

__all__ = [
    "enum_match",
    "extract_hints",
    "format_ok",
    "format_value",
    "hint_candidates",
    "kind_of",
    "name_tokens",
    "number_range",
    "pattern_value",
    "readable",
]

_HINT = (
    r"(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    r"|(?P<url>https?://[^\s<>\"']*[^\s<>\"'.,;:!?)])"
    r"|(?P<date>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?)?)"
    r"|(?P<num>(?<![\w.])-?\d+(?:\.\d+)?)"
    r"|(?P<word>[^\W\d_][\w'-]*)"
    r"|(?P<stop>[.!?]+(?:\s|$))"
    r"|(?P<quote>\x00)"
    r"|(?P<sep>[^\w\s])"
)
_QUOTED = (
    '"([^"]+)"|\u201c([^\u201d]+)\u201d|'
    r"(?<!\w)'([^']+)'(?!\w)"
)
_TITLE = r"[A-Z][\w'-]*[a-z][\w'-]*"
_CAPS = r"[A-Z][A-Z0-9.]*"
_CAMEL = r"(?<=[a-z0-9])(?=[A-Z])"
_NUMBER = r"-?\d+(?:\.\d+)?"
_STOP = frozenset(
    "a an the is are was were be been am to of in on at for from by and or but with about into"
    " what what's whats how when where who whom why which whose is it it's its this that these"
    " those i i'm i'd i'll me my we our you your he she they them their there here do does did"
    " can could would will should shall may might must please tell show find get give list make"
    " let let's hey hi hello thanks thank like want need some any all just also than then so"
    " very much many more most not no yes ok okay up out over use using now today search look"
    " check".split()
)

# Name word -> kind, most specific first: "email_address" is an email, "city_name" a place.
_KINDS: tuple[tuple[str, str], ...] = (
    ("email", "email mail to cc bcc"),
    ("uri", "url uri link website homepage href"),
    ("uuid", "uuid guid id"),
    ("ipv4", "ip ipv4"),
    ("hostname", "host hostname domain"),
    ("date-time", "datetime timestamp at"),
    ("date", "date day birthday birthdate deadline dob"),
    ("time", "time"),
    ("first", "first given forename"),
    ("last", "last surname family"),
    ("country", "country nation"),
    ("place", "city location place town destination origin region venue"),
    ("ticker", "ticker symbol stock"),
    ("exchange", "exchange market"),
    ("currency", "currency"),
    ("phone", "phone telephone mobile"),
    ("address", "address street"),
    ("company", "company organization organisation org employer"),
    ("language", "language lang locale"),
    ("color", "color colour"),
    ("query", "query search q question prompt topic keyword term"),
    ("title", "title subject headline heading label caption"),
    ("sentence", "description summary text content message body reason note comment answer"),
    ("sentence", "explanation instruction detail feedback review"),
    ("person", "name author person user owner recipient sender customer assignee contact"),
)
_KIND_OF_WORD = {w: kind for kind, words in reversed(_KINDS) for w in words.split()}
_RANK = {kind: i for i, (kind, _) in enumerate(_KINDS)}

_POOLS = {
    "person": (
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
        "Katherine Johnson",
        "Edsger Dijkstra",
    ),
    "first": ("Ada", "Alan", "Grace", "Katherine", "Edsger"),
    "last": ("Lovelace", "Turing", "Hopper", "Johnson", "Dijkstra"),
    "place": ("Edinburgh", "Lisbon", "Kyoto", "Montreal", "Nairobi"),
    "country": ("United Kingdom", "Portugal", "Japan", "Canada", "Kenya"),
    "country_code": ("GB", "PT", "JP", "CA", "KE"),
    "ticker": ("AAPL", "MSFT", "GOOG", "NVDA"),
    "exchange": ("NASDAQ", "NYSE", "LSE"),
    "currency": ("USD", "EUR", "GBP", "JPY"),
    "phone": ("+44 131 496 0000", "+1 202 555 0143", "+351 21 000 0000"),
    "address": ("221B Baker Street, London", "12 Rua Augusta, Lisbon", "1 Infinite Loop"),
    "company": ("Acme Corporation", "Globex", "Initech", "Umbrella Ltd"),
    "language": ("English", "French", "Japanese", "Swahili"),
    "color": ("red", "green", "blue", "amber"),
    "query": ("local weather", "opening hours", "latest news"),
    "title": ("Quarterly report", "Weekend plans", "Release notes", "Meeting agenda"),
    "sentence": (
        "A short example written by the local model.",
        "Nothing here is real data.",
        "This value was generated offline.",
        "The local model filled this in from the schema.",
    ),
    "word": ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot"),
}
_COUNTRIES = frozenset(
    [
        *"uk usa us america britain england scotland wales ireland france germany spain italy"
        " portugal japan china india canada mexico brazil australia kenya nigeria".split(),
        *("united kingdom", "united states", "new zealand", "south africa"),
    ]
)
_RANGES = {
    word: bounds
    for words, bounds in (
        ("age", (18, 90)),
        ("year", (1990, 2030)),
        ("month", (1, 12)),
        ("day", (1, 28)),
        ("hour", (0, 23)),
        ("minute", (0, 59)),
        ("price amount cost", (1, 500)),
        ("temperature temp", (-10, 35)),
        ("lat latitude", (-90, 90)),
        ("lon lng longitude", (-180, 180)),
        ("percent percentage", (0, 100)),
        ("rating stars", (1, 5)),
        ("count quantity limit size", (1, 10)),
        ("page", (1, 5)),
        ("offset", (0, 10)),
    )
    for word in words.split()
}
_TIME = r"(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_FORMATS = {  # compiled on first use, through re's cache, so that importing stays fast
    "date": r"(?a)\d{4}-\d{2}-\d{2}",
    "date-time": r"(?a)\d{4}-\d{2}-\d{2}[Tt]" + _TIME,
    "time": "(?a)" + _TIME,
    "email": r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+",
    "uuid": r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}",
    "uri": r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+",
    "ipv4": rf"(?a){_OCTET}(?:\.{_OCTET}){{3}}",
    "hostname": rf"(?a)(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*",
}
_PARSER: Any = importlib.import_module("re._parser" if hasattr(re, "_parser") else "sre_parse")
_PRINTABLE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.@"
_CLASSES = {  # regex category -> (characters to pick from, membership test)
    "CATEGORY_DIGIT": ("0123456789", str.isdigit),
    "CATEGORY_NOT_DIGIT": ("abcxyz", lambda c: not c.isdigit()),
    "CATEGORY_SPACE": (" ", str.isspace),
    "CATEGORY_NOT_SPACE": ("abcxyz", lambda c: not c.isspace()),
    "CATEGORY_WORD": ("abcdefghijklmnopqrstuvwxyz", lambda c: c.isalnum() or c == "_"),
    "CATEGORY_NOT_WORD": ("-. ", lambda c: not (c.isalnum() or c == "_")),
}


def extract_hints(text: str) -> list[str]:
    """Split a user message into candidate values: quoted phrases, capitalised runs ("San
    Francisco"), words, numbers, dates, emails and URLs, minus common stop words.

    A capitalised word that opens a sentence and is followed by a lower-case word is taken
    for an ordinary word and lower-cased ("Weather in Paris" gives "weather", "Paris").
    """
    text = text.replace("\u2019", "'")
    hints = [next(g for g in m.groups() if g).strip() for m in re.finditer(_QUOTED, text)]
    tokens = [
        (m.lastgroup or "", m.group()) for m in re.finditer(_HINT, re.sub(_QUOTED, " \x00 ", text))
    ]
    start = True
    i = 0
    while i < len(tokens):
        kind, word = tokens[i]
        if kind == "word" and re.fullmatch(_TITLE, word) and word.lower() not in _STOP:
            j = i + 1
            while j < len(tokens) and tokens[j][0] == "word" and re.fullmatch(_TITLE, tokens[j][1]):
                j += 1
            after = tokens[j] if j < len(tokens) else ("", "")
            if start and j == i + 1 and (after[1][:1].islower() or after[0] == "quote"):
                hints.append(word.lower())
            else:
                hints.append(" ".join(w for _, w in tokens[i:j]))
            i, start = j, False
            continue
        if kind in ("word", "num", "email", "url", "date") and word.lower() not in _STOP:
            hints.append(word)
        start = kind == "stop" or (start and kind == "word" and word.lower() in _STOP)
        i += 1
    return list(dict.fromkeys(h for h in hints if h))


def name_tokens(name: str) -> tuple[str, ...]:
    """The lower-case words of a property name, singular: "departureCities" -> departure, city."""
    words = re.findall(r"[a-z0-9]+", re.sub(_CAMEL, " ", name).lower())
    return tuple(_singular(w) for w in words)


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def kind_of(tokens: Sequence[str]) -> str | None:
    """What a property holds, judged by its name words (None when nothing fits)."""
    kinds = [_KIND_OF_WORD[t] for t in tokens if t in _KIND_OF_WORD]
    if "country" in kinds and "code" in tokens:
        return "country_code"
    return min(kinds, key=_RANK.__getitem__) if kinds else None


def _fits_kind(kind: str | None, hint: str) -> bool:
    if kind in ("place", "person", "first", "last", "company", "language"):
        return bool(re.fullmatch(_TITLE, hint.replace(" ", ""))) and hint.lower() not in _COUNTRIES
    if kind == "country":
        return hint.lower() in _COUNTRIES or bool(re.fullmatch(r"[A-Z]{2,3}", hint))
    if kind in ("country_code", "currency"):
        return bool(re.fullmatch(r"[A-Z]{2,3}", hint))
    if kind == "ticker":
        return bool(re.fullmatch(r"[A-Z]{1,5}(?:\.[A-Z])?", hint))
    if kind == "exchange":
        return bool(re.fullmatch(_CAPS, hint)) and len(hint) <= 8
    if kind == "email":
        return "@" in hint
    if kind == "uri":
        return "://" in hint
    if kind in ("date", "date-time"):
        return hint[:4].isdigit() and hint[4:5] == "-"
    if kind in ("title", "sentence"):
        return " " in hint and not re.fullmatch(_TITLE, hint.replace(" ", ""))
    return False


def hint_candidates(tokens: Sequence[str], hints: Sequence[str]) -> list[tuple[int, bool]]:
    """Indices of hints that may fill a property with these name words, best first, each with
    whether it may be used as text (a number is only used as text when it follows the name).

    Best is a hint right after the property's name ("name Ada", "limit 5"), then hints that
    look like the property's kind (a capitalised word for a city, a code for a ticker), then
    every number.
    """
    kind = kind_of(tokens)
    names = {*tokens, " ".join(tokens)}
    found: dict[int, bool] = {}
    for i, hint in enumerate(hints[:-1]):
        if hint.lower() in names:
            found.setdefault(i + 1, True)
    for i, hint in enumerate(hints):
        if _fits_kind(kind, hint):
            found.setdefault(i, True)
    for i, hint in enumerate(hints):
        if re.fullmatch(_NUMBER, hint):
            found.setdefault(i, False)
    return list(found.items())


def enum_match(
    members: Sequence[object], hints: Sequence[str], used: set[int]
) -> tuple[int, int] | None:
    """The enum member the unused hints name, as (member index, hint index): an exact (case-
    insensitive) match first, then a member that starts a lower-case hint ("f" for
    "fahrenheit"), then a lower-case hint that starts a member ("cel" for "celsius")."""
    texts = [str(m).lower() if isinstance(m, (str, int, float)) else None for m in members]
    free = [(i, h) for i, h in enumerate(hints) if i not in used]
    for i, hint in free:
        if hint.lower() in texts:
            return texts.index(hint.lower()), i
    for i, hint in free:
        if hint.islower() and hint.isalpha():
            for k, (member, text) in enumerate(zip(members, texts, strict=True)):
                if not (isinstance(member, str) and text and text.isalpha()):
                    continue
                if hint.startswith(text) or text.startswith(hint):
                    return k, i
    return None


def number_range(tokens: Sequence[str]) -> tuple[int, int]:
    """A plausible range for a number with these name words (0..100 when nothing fits)."""
    for token in reversed(tokens):
        if token in _RANGES:
            return _RANGES[token]
    return (0, 100)


def readable(tokens: Sequence[str], rng: random.Random) -> str:
    """A plausible string for a property with these name words, chosen by ``rng``."""
    kind = kind_of(tokens)
    return format_value(kind, rng) or rng.choice(_POOLS.get(kind or "word", _POOLS["word"]))


def format_value(fmt: object, rng: random.Random) -> str | None:
    """A valid, readable value for a string ``format`` (``date``, ``email``, ``uuid``...), or
    None for a format this module does not know."""
    word = _POOLS["word"][rng.randrange(6)] if fmt in ("uri", "hostname") else ""
    if fmt in ("date", "date-time"):
        day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        return day if fmt == "date" else f"{day}T{format_value('time', rng)}"
    if fmt == "time":
        return f"{rng.randint(7, 20):02d}:{rng.choice((0, 15, 30, 45)):02d}:00Z"
    if fmt == "email":
        return f"{rng.choice(_POOLS['first']).lower()}@example.com"
    if fmt == "uuid":
        bits = f"{rng.getrandbits(128):032x}"
        return f"{bits[:8]}-{bits[8:12]}-4{bits[13:16]}-a{bits[17:20]}-{bits[20:]}"
    if fmt == "uri":
        return f"https://example.com/{word}"
    if fmt == "ipv4":
        return f"192.0.2.{rng.randint(1, 254)}"
    return f"{word}.example.com" if fmt == "hostname" else None


def format_ok(fmt: object, text: str) -> bool:
    """Whether ``text`` is a valid ``fmt``; other formats are annotations and always pass."""
    if not isinstance(fmt, str) or fmt not in _FORMATS:
        return True
    found = re.fullmatch(_FORMATS[fmt], text)
    if found is None or fmt in ("email", "uuid", "uri", "ipv4", "hostname"):
        return found is not None
    clock = re.search(_TIME + "$", text) if fmt != "date" else None
    if clock and not (int(clock[1]) < 24 and int(clock[2]) < 60 and int(clock[3]) < 60):
        return False
    try:
        return fmt == "time" or bool(date.fromisoformat(text[:10]))
    except ValueError:
        return False


def pattern_value(pattern: str, rng: random.Random, spread: int) -> str | None:
    """A string that the regex ``pattern`` matches, sampled from its parse tree; repeats run
    up to ``spread`` past their minimum. None for an invalid or unsupported pattern."""
    try:
        return "".join(_sample(_PARSER.parse(pattern), rng, spread, {}))
    except (re.error, LookupError, ValueError, TypeError):
        return None


def _sample(tree: Any, rng: random.Random, spread: int, groups: dict[int, str]) -> list[str]:
    out: list[str] = []
    for op, av in tree:
        name = op.name
        if name == "LITERAL":
            out.append(chr(av))
        elif name == "NOT_LITERAL":
            out.append("a" if av != ord("a") else "b")
        elif name == "ANY":
            out.append(rng.choice("abcxyz"))
        elif name == "IN":
            out.append(_char(av, rng))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = av
            for _ in range(rng.randint(low, min(high, low + spread))):
                out += _sample(sub, rng, spread, groups)
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            text = "".join(_sample(av[-1] if name == "SUBPATTERN" else av, rng, spread, groups))
            if name == "SUBPATTERN" and av[0]:
                groups[av[0]] = text
            out.append(text)
        elif name == "BRANCH":
            out += _sample(rng.choice(av[1]), rng, spread, groups)
        elif name == "GROUPREF":
            out.append(groups.get(av, ""))
        elif name not in ("AT", "ASSERT", "ASSERT_NOT"):  # anchors and lookarounds: checked later
            raise LookupError(name)
    return out


def _char(items: Any, rng: random.Random) -> str:
    """One character of a regex character class such as ``[A-Z_\\d]`` or ``[^@]``."""
    pool: list[str] = []
    tests: list[Any] = []
    for op, av in items:
        if op.name == "LITERAL":
            pool.append(chr(av))
            tests.append(lambda c, x=av: ord(c) == x)
        elif op.name == "RANGE":
            nice = [c for c in _PRINTABLE if av[0] <= ord(c) <= av[1]]
            pool.append(rng.choice(nice) if nice else chr(av[0]))
            tests.append(lambda c, r=av: r[0] <= ord(c) <= r[1])
        elif op.name == "CATEGORY":
            chars, test = _CLASSES.get(av.name, ("a", lambda c: True))
            pool.append(rng.choice(chars))
            tests.append(test)
    if items and items[0][0].name == "NEGATE":
        return next((c for c in _PRINTABLE if not any(t(c) for t in tests)), "~")
    return rng.choice(pool) if pool else "a"
