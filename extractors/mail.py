"""One received e-mail (raw RFC 5322 bytes) -> its subject, sender, body text and every attached file.

Why this exists: schools send their Attachment 1 tables and plan PDFs from whatever client they
have (Foxmail, QQ/163 webmail, Outlook 2007, phones), and those clients write MIME the way they
like: GBK bytes straight in the headers, ``gb2312`` labels on GBK-only characters, ``x-gbk``,
encoded-words that split one Chinese character in two, RFC 2231 continuations, zips whose member
names are CP936 without the UTF-8 flag, forwarded messages nested several levels deep. The
standard library parses the structure; everything that turns bytes into names and text is done
here, by hand, so that a file name is always decoded the way the school typed it and nothing a
school sent is lost. ``parse_message`` never raises: what goes wrong becomes a Chinese sentence in
``ParsedMessage.problems``.

Rules that callers rely on:

* Charsets: ``gb2312``/``gbk``/``x-gbk``/``cp936``/``gb18030`` labels are all decoded with
  GB18030 (a superset, so a ``gb2312`` label on GBK-only characters still decodes); Big5 labels
  with Big5-HKSCS. Unknown, empty, ``unknown-8bit`` or ``us-ascii`` labels on 8-bit bytes, labels
  that fail to decode, and unlabelled 8-bit header bytes are tried as UTF-8, then GB18030, then
  (if a few bytes are bad) whichever of the two needs fewer replacement characters, then Latin-1,
  which keeps every byte. A name that needed that last resort is reported as a problem.
* Which parts are attachments: every leaf part except (a) body text: ``text/plain`` or
  ``text/html`` without a file name and not ``Content-Disposition: attachment``; (b) report
  metadata (``message/delivery-status``, ``message/disposition-notification``,
  ``application/applefile``); (c) decoration images, see below.
* Inline rule (decoration images): an ``image/*`` part is left out when it has no document-like
  name AND at least one of: its Content-ID is referenced as ``cid:`` from an HTML part of the
  mail, it sits in a ``multipart/related``, or it is ``Content-Disposition: inline`` without any
  file name. A document-like name is one ending in .pdf .xls .xlsx .xlsm .doc .docx .wps .et .ofd
  .zip .rar .7z .csv, or an image name (.jpg .jpeg .png .tif .tiff .bmp .gif .heic) whose stem
  contains 附件, 统计表, 信息表, 扫描, 盖章, 公章, 方案, 协议, 申请, 试点, 证书 or "scan". So the school
  template's logo goes, a pasted ``附件1.jpg`` stays, and an inline-marked but unreferenced named
  image in ``multipart/mixed`` (how Apple Mail and phones send every attachment) stays too.
* File names: Content-Disposition ``filename`` first, then Content-Type ``name``; a candidate
  that only decoded with the Latin-1 last resort loses to one that decoded cleanly. RFC 2231
  (``*``, ``*0*``, mixed plain ``*1``) beats RFC 2047 in the same header for the same reason.
* Forwarded messages (``message/rfc822``/``message/global``, any depth, even when a relay
  base64-encoded them): their attachments are listed under their own names, the forwarded mail
  itself is not. A forwarded mail that carries no file at all is listed whole as ``.eml`` (the
  outermost such one, which contains any deeper ones), so that nothing received is invisible.
* Two Content-Type headers on one part (Exchange relays): the one whose boundary really occurs
  in the body is used.
* Dates: ``-0000`` (zone unknown) is read as UTC; an ISO-like date without a zone, which some
  Chinese clients write, as Beijing time.
* ZIP files (recognised by ``PK\\x03\\x04``, not by name; Office/OFD documents, which are zips
  too, are not opened) are listed AND their members are listed as ``<zip path>/<member path>``
  with ``from_archive=True``, nested zips down to ``limits.zip_depth`` levels. Per message at
  most ``limits.zip_members`` members and ``limits.archive_unpacked_bytes`` unpacked, each
  member at most ``limits.bytes_per_file`` (schemas/limits.py); a bomb is stopped at the limit
  by its declared size or, when that lies, by reading no more than the limit. When members
  must be left out, those whose names say Attachment 1 or a plan are opened first. Every
  member that is not opened (too deep, too many, too large, a bomb, encrypted) is a
  ``FileProblem`` with its ``file.*`` rule, which the message's own document reports, so the
  school is told what to resend; corrupt archives are problems.
* A message larger than ``limits.bytes_per_message`` is read for its headers only, with a
  ``FileProblem``.
* Paths: a plain attachment name keeps only its last path component (``C:\\x\\附件1.xlsx`` ->
  ``附件1.xlsx``); zip member paths keep their folders. Control and bidi-override characters are
  removed, ``.``/``..``/dots-only/empty segments dropped, so no path has a ``..`` segment or a
  leading ``/``. Repeats get `` (2)``, `` (3)`` before the extension; nameless parts are called
  ``未命名附件<n>.<ext from type>``.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import datetime as dt
import html
import io
import quopri
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime

from extractors.budget import Deadline
from extractors.errors import ArchiveLimitError, LimitExceededError, TimeLimitError
from schemas.limits import DEFAULT_LIMITS, Limits, count_text, size_text

MAX_NESTING = 30  # multipart / forwarded-message depth
# What the school must do about an archive whose members were not all opened.
_UNZIP_FIX = "请学校将压缩包中的文件解压后，直接作为邮件附件重新发送（不要多层压缩，一封邮件不要附太多文件）"

_UTF8_BOM = b"\xef\xbb\xbf"
_BEIJING = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class MailAttachment:
    path: str
    content: bytes
    content_type: str
    from_archive: bool


@dataclass(frozen=True)
class FileProblem:
    """Something sent that was not opened (a member past a limit, an encrypted member, a
    message too large): ``rule`` is the ``file.*`` finding the message's document gets."""

    rule: str
    message: str


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str | None
    subject: str
    sender_address: str | None
    sender_name: str | None
    date: dt.datetime | None
    body_text: str
    attachments: list[MailAttachment]
    problems: list[str]
    # Also in ``problems`` (the mail log shows them); these are told to the school.
    file_problems: list[FileProblem] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Charsets


_GB_LABELS = frozenset(
    {
        "gb2312", "gbk", "x-gbk", "cp936", "ms936", "windows-936", "936", "gb_2312", "gb_2312-80",
        "x-gb2312", "csgb2312", "euc-cn", "euccn", "x-euc-cn", "chinese", "iso-ir-58", "gb18030",
        "x-gb18030", "gb-18030", "gb18030-2000", "gb18030-2005", "gb2312-80",
    }
)  # fmt: skip
_BIG5_LABELS = frozenset(
    {"big5", "big-5", "x-big5", "big5-hkscs", "big5hkscs", "cp950", "ms950", "windows-950", "csbig5"}
)
_UTF8_LABELS = frozenset({"utf-8", "utf8", "x-utf8", "x-utf-8", "unicode-1-1-utf-8", "utf_8"})
# Labels that say nothing about 8-bit bytes; "us-ascii" on 8-bit bytes is always a lie.
_AUTO_LABELS = frozenset(
    {"", "unknown-8bit", "x-unknown", "unknown", "default", "x-user-defined", "us-ascii", "ascii",
     "us_ascii", "ansi_x3.4-1968", "iso-646-us", "8bit", "7bit", "binary", "none", "null"}
)  # fmt: skip


def _codec_for(label: str | None) -> str | None:
    """Python codec name for a MIME charset label, or None when the bytes must be guessed."""
    if label is None:
        return None
    name = label.strip().strip("\"'").strip().lower()
    name = name.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*zh
    if name in _AUTO_LABELS:
        return None
    if name in _GB_LABELS:
        return "gb18030"
    if name in _BIG5_LABELS:
        return "big5hkscs"
    if name in _UTF8_LABELS:
        return "utf-8"
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # bytes.decode refuses binary transforms (base64_codec, zlib_codec...), but be explicit.
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _decode_guess(data: bytes) -> tuple[str, bool]:
    """Unlabelled or mislabelled bytes: UTF-8, GB18030, the less damaged of the two, Latin-1."""
    if data.startswith(_UTF8_BOM):
        data = data[3:]
    for codec in ("utf-8", "gb18030"):
        try:
            return data.decode(codec), True
        except UnicodeDecodeError:
            pass
    # A stray byte in otherwise Chinese text should not turn the whole text into Latin-1 mojibake.
    best = min((data.decode(c, "replace") for c in ("utf-8", "gb18030")), key=lambda t: t.count("\ufffd"))
    if best.count("\ufffd") <= max(1, len(best) // 100):
        return best, False
    return data.decode("latin-1"), False


def _decode_bytes(data: bytes, label: str | None) -> tuple[str, bool]:
    """Decode bytes carrying a charset label that may lie; returns (text, decoded cleanly)."""
    codec = _codec_for(label)
    if codec is None or (data.startswith(_UTF8_BOM) and codec == "utf-8"):
        return _decode_guess(data)
    try:
        return data.decode(codec), True
    except (UnicodeDecodeError, LookupError):
        return _decode_guess(data)


def _to_bytes(text: str) -> bytes:
    """Undo the parser's surrogateescape: the str holds the original header/body bytes."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # lone surrogates that were not produced by surrogateescape
        return text.encode("utf-8", "replace")


# --------------------------------------------------------------------------------------------
# Header text (RFC 2047 encoded-words and raw 8-bit bytes)

_ENCODED_WORD = re.compile(rb"=\?([^?\s]*)\?([BbQq])\?([^?]*)\?=")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_PCT_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")


def _b64_lenient(data: bytes) -> bytes:
    """Base64 that tolerates missing padding, line breaks and stray characters."""
    cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    if len(cleaned) % 4 == 1:  # one dangling character cannot encode anything
        cleaned = cleaned[:-1]
    cleaned += b"=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned)
    except (binascii.Error, ValueError):
        return b""


def _q_decode(data: bytes) -> bytes:
    return _QP_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data.replace(b"_", b" "))


def _header_segments(data: bytes) -> list[tuple[str | None, bytes]]:
    """Split unfolded header bytes into (charset, bytes) runs; charset None means raw text.

    Adjacent encoded-words of the same charset are joined as bytes before decoding, because
    Chinese clients split a multi-byte character across two words.
    """
    segments: list[tuple[str | None, bytes]] = []
    last_was_word = False
    pos = 0
    for match in _ENCODED_WORD.finditer(data):
        gap = data[pos : match.start()]
        if gap and not (last_was_word and not gap.strip()):
            segments.append((None, gap))
        label = match.group(1).decode("ascii", "replace")
        text = match.group(3)
        decoded = _b64_lenient(text) if match.group(2) in (b"B", b"b") else _q_decode(text)
        key = _codec_for(label) or label.lower()
        if segments and segments[-1][0] == key and last_was_word:
            segments[-1] = (key, segments[-1][1] + decoded)
        else:
            segments.append((key, decoded))
        last_was_word = True
        pos = match.end()
    if data[pos:]:
        segments.append((None, data[pos:]))
    return segments


def _decode_header(value: str | bytes) -> tuple[str, bool]:
    data = value if isinstance(value, bytes) else _to_bytes(value)
    data = _FOLD.sub(b"", data).replace(b"\r", b" ").replace(b"\n", b" ")
    parts: list[str] = []
    clean = True
    for charset, chunk in _header_segments(data):
        if charset is None:
            text, ok = (chunk.decode("ascii"), True) if chunk.isascii() else _decode_guess(chunk)
        else:
            text, ok = _decode_bytes(chunk, charset)
        parts.append(text)
        clean = clean and ok
    return "".join(parts).strip(), clean


def decode_header_text(value: str | bytes) -> str:
    """Decode a header value however it was written: encoded-words in any charset (even split
    mid-character or under a lying label), raw UTF-8 or GBK bytes, folded lines. Never raises."""
    try:
        return _decode_header(value)[0]
    except Exception:  # a header decoder used on arbitrary input must not take a caller down
        raw = value if isinstance(value, bytes) else _to_bytes(value)
        return raw.decode("latin-1").strip()


# --------------------------------------------------------------------------------------------
# Header parameters (Content-Type / Content-Disposition), RFC 2231 included

_PARAM_NAME = re.compile(r"([^\s=;\"]+)\s*=\s*")
_NEXT_PARAM = re.compile(r"\s+[^\s=;\"]+\s*=")
_PARAM_KEY = re.compile(r"^(?P<base>[^*]+)(?:\*(?P<index>\d+))?(?P<star>\*)?$")


@dataclass(frozen=True)
class _HeaderValue:
    value: str  # "text/plain", "attachment"; lowercased, "" if absent
    params: dict[str, tuple[str, bool]]  # name -> (decoded value, decoded cleanly)


def _read_quoted(text: str, pos: int) -> tuple[str, int]:
    """Read a quoted-string starting after its opening quote. Only \\" and \\\\ are escapes,
    because Windows clients put unescaped paths like "C:\\Users\\x.xlsx" in quotes."""
    out: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text) and text[pos + 1] in '"\\':
            out.append(text[pos + 1])
            pos += 2
        elif char == '"':
            return "".join(out), pos + 1
        else:
            out.append(char)
            pos += 1
    return "".join(out), pos


def _read_unquoted(text: str, pos: int) -> tuple[str, int]:
    """An unquoted value ends at ';' or where the next name= starts (some clients omit ';')."""
    end = text.find(";", pos)
    end = len(text) if end < 0 else end
    nxt = _NEXT_PARAM.search(text, pos, end)
    if nxt is not None:
        end = nxt.start()
    return text[pos:end].strip(), end


def _split_params(raw: str) -> tuple[str, list[tuple[str, str]]]:
    text = _FOLD.sub(b"", _to_bytes(raw)).decode("utf-8", "surrogateescape")
    head, sep, _rest = text.partition(";")
    if "=" in head:  # "Content-Disposition: filename=x.pdf" without a disposition type
        head, start = "", 0
    else:
        start = len(head) + len(sep)
    params: list[tuple[str, str]] = []
    pos = start
    while pos < len(text):
        while pos < len(text) and text[pos] in " \t\r\n;":
            pos += 1
        match = _PARAM_NAME.match(text, pos)
        if match is None:
            nxt = text.find(";", pos)
            pos = len(text) if nxt < 0 else nxt + 1
            continue
        pos = match.end()
        if pos < len(text) and text[pos] == '"':
            value, pos = _read_quoted(text, pos + 1)
        else:
            value, pos = _read_unquoted(text, pos)
        params.append((match.group(1).lower(), value))
    return head.strip().strip('"').lower(), params


def _decode_extended(segments: dict[int, tuple[str, bool]]) -> tuple[str, bool]:
    """Join RFC 2231 segments (name*0*=charset'lang'%xx; name*1=plain) as bytes, then decode."""
    charset: str | None = None
    data = b""
    for index in sorted(segments):
        value, encoded = segments[index]
        if index == min(segments) and encoded and value.count("'") >= 2:
            charset, _lang, value = value.split("'", 2)
        raw = _to_bytes(value)
        data += _PCT_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw) if encoded else raw
    if charset:
        text, clean = _decode_bytes(data, charset)
        if "=?" in text:  # some clients put encoded-words inside RFC 2231 values
            return _decode_header(text)
        return text, clean
    return _decode_header(data)


def _parse_header_value(raw: str | None) -> _HeaderValue:
    if raw is None:
        return _HeaderValue("", {})
    head, pairs = _split_params(raw)
    simple: dict[str, str] = {}
    extended: dict[str, dict[int, tuple[str, bool]]] = {}
    for key, value in pairs:
        match = _PARAM_KEY.match(key)
        if match is None or (match.group("index") is None and match.group("star") is None):
            simple.setdefault(key, value)
            continue
        index = int(match.group("index") or 0)
        extended.setdefault(match.group("base"), {}).setdefault(index, (value, bool(match.group("star"))))
    params: dict[str, tuple[str, bool]] = {}
    for key, value in simple.items():
        # boundary and charset are tokens; decoding them could change the boundary string.
        params[key] = (value, True) if key in ("boundary", "charset") else _decode_header(value)
    for key, segments in extended.items():
        text, clean = _decode_extended(segments)
        if clean or key not in params or not params[key][1]:
            params[key] = (text, clean)
    return _HeaderValue(head, params)


# --------------------------------------------------------------------------------------------
# Message access


def _raw_header_all(msg: Message, name: str) -> list[str]:
    # raw_items, not get(): compat32 turns 8-bit values into Header objects we cannot use.
    wanted = name.lower()
    return [str(value) for key, value in msg.raw_items() if key.lower() == wanted]


def _raw_header(msg: Message, name: str) -> str | None:
    values = _raw_header_all(msg, name)
    return values[0] if values else None


def _parse_bytes(raw: bytes) -> Message:
    return message_from_bytes(raw, policy=email_policy.compat32)


def _transfer_encoding(msg: Message) -> str:
    raw = _raw_header(msg, "content-transfer-encoding")
    return "" if raw is None else decode_header_text(raw).strip().strip("\"'").strip().lower()


def _uudecode(data: bytes) -> bytes:
    out: list[bytes] = []
    started = False
    for line in data.splitlines():
        if not started:
            started = line.startswith(b"begin ")
            continue
        if line.strip() == b"end":
            break
        if not line.strip():
            continue
        try:
            out.append(binascii.a2b_uu(line))
        except binascii.Error:
            # Broken encoders pad lines wrongly; trust the length byte instead (as the uu module did).
            length = (((line[0] - 32) & 63) * 4 + 5) // 3
            try:
                out.append(binascii.a2b_uu(line[:length]))
            except binascii.Error:
                continue
    return b"".join(out)


def _decode_transfer(raw: bytes, cte: str) -> tuple[bytes, str | None]:
    """Undo Content-Transfer-Encoding; unknown encodings leave the bytes as received."""
    if cte in ("", "7bit", "8bit", "binary", "none", "7-bit", "8-bit"):
        return raw, None
    if cte == "base64":
        return _b64_lenient(raw), None
    if cte in ("quoted-printable", "quoted_printable", "qp"):
        return quopri.decodestring(raw), None
    if cte in ("x-uuencode", "uuencode", "x-uue", "uue"):
        decoded = _uudecode(raw)
        return (decoded, None) if decoded else (raw, f"uuencode内容无法解码，已按原始内容保存（{cte}）")
    return raw, f"传输编码无法识别（{cte[:40]}），已按原始内容保存"


def _stored_payload(part: Message) -> bytes | list[Message] | None:
    """The payload exactly as received (bytes for a leaf, sub-messages for a container).

    Not get_payload(): for 8-bit text compat32 re-decodes it with the declared charset and
    errors="replace", which destroys GBK bytes under a missing or lying label. The stored
    payload still holds every byte as a surrogate escape.
    """
    payload = getattr(part, "_payload", None)
    if isinstance(payload, str):
        return _to_bytes(payload)
    if isinstance(payload, bytes | list):
        return payload
    return None


def _payload_bytes(part: Message) -> tuple[bytes, str | None]:
    raw = _stored_payload(part)
    if not isinstance(raw, bytes):
        return b"", None
    return _decode_transfer(raw, _transfer_encoding(part))


def _message_bytes(msg: Message) -> bytes:
    """Serialise a parsed (forwarded) message back to bytes, keeping "From " lines unmangled."""
    buffer = io.BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, policy=email_policy.compat32).flatten(msg)
    except Exception:  # the generator can trip over the same defects the parser tolerated
        payload = _stored_payload(msg)
        return payload if isinstance(payload, bytes) else b""
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Names and paths

_STRIP_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_DRIVE = re.compile(r"^[A-Za-z]:$")
_DOC_EXTENSIONS = frozenset(
    {"pdf", "xls", "xlsx", "xlsm", "doc", "docx", "wps", "et", "ofd", "zip", "rar", "7z", "csv"}
)
_IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "tif", "tiff", "bmp", "gif", "heic"})
_DOCUMENT_IMAGE_WORDS = re.compile(
    r"附件|统计表|信息表|扫描|盖章|公章|方案|协议|申请|试点|证书|scan", re.IGNORECASE
)
# Zip-based formats that are documents, not archives to open.
_ZIP_DOCUMENT_EXTENSIONS = frozenset(
    {"xlsx", "xlsm", "xltx", "docx", "docm", "dotx", "pptx", "ods", "odt", "odp", "ofd", "epub", "jar", "apk"}
)
_ZIP_DOCUMENT_MARKERS = ("[Content_Types].xml", "mimetype", "OFD.xml", "META-INF/manifest.xml")

_TYPE_BY_EXTENSION: dict[str, str] = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "wps": "application/kswps",  # WPS Office (Kingsoft) documents, common in Chinese schools
    "et": "application/kset",
    "ofd": "application/ofd",
    "zip": "application/zip",
    "rar": "application/vnd.rar",
    "7z": "application/x-7z-compressed",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "txt": "text/plain",
    "csv": "text/csv",
    "htm": "text/html",
    "html": "text/html",
    "eml": "message/rfc822",
}
_EXTENSION_BY_TYPE: dict[str, str] = {
    **{t: e for e, t in _TYPE_BY_EXTENSION.items() if e not in ("jpeg", "tiff", "htm")},
    "application/x-zip-compressed": "zip",
    "application/x-rar-compressed": "rar",
    "application/wps-office.wps": "wps",
    "image/jpg": "jpg",
    "image/pjpeg": "jpg",
}
_MAGIC_EXTENSIONS = ((b"%PDF", "pdf"), (b"PK\x03\x04", "zip"), (b"\xff\xd8\xff", "jpg"), (b"\x89PNG", "png"))


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def _clean_segment(segment: str) -> str:
    segment = unicodedata.normalize("NFC", _STRIP_CHARS.sub("", segment)).strip()
    return "" if set(segment) <= {"."} else segment


def sanitize_name(name: str) -> str:
    """A plain attachment name: last real path component, cleaned; "" if nothing is left."""
    segments = [_clean_segment(s) for s in re.split(r"[/\\]", name)]
    segments = [s for s in segments if s]
    return segments[-1] if segments else ""


def sanitize_member_path(path: str) -> str:
    """A zip member path: folders kept, dangerous or empty segments dropped."""
    segments = [_clean_segment(s) for s in re.split(r"[/\\]", path)]
    return "/".join(s for s in segments if s and not _DRIVE.match(s))


def _with_counter(path: str, number: int) -> str:
    folder, slash, leaf = path.rpartition("/")
    stem, dot, ext = leaf.rpartition(".")
    leaf = f"{stem} ({number}).{ext}" if dot and stem else f"{leaf} ({number})"
    return f"{folder}{slash}{leaf}"


def _type_for_name(name: str) -> str:
    return _TYPE_BY_EXTENSION.get(_extension(name), "application/octet-stream")


def _extension_for(content_type: str, content: bytes) -> str:
    if content_type in _EXTENSION_BY_TYPE:
        return _EXTENSION_BY_TYPE[content_type]
    for magic, ext in _MAGIC_EXTENSIONS:
        if content.startswith(magic):
            return ext
    return "txt" if content_type.startswith("text/") else "bin"


def _looks_like_document(name: str | None) -> bool:
    if not name:
        return False
    ext = _extension(name)
    if ext in _DOC_EXTENSIONS:
        return True
    return ext in _IMAGE_EXTENSIONS and bool(_DOCUMENT_IMAGE_WORDS.search(name.rpartition(".")[0]))


# --------------------------------------------------------------------------------------------
# Walking the MIME tree


@dataclass
class _State:
    attachments: list[MailAttachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    used_paths: set[str] = field(default_factory=set)
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    referenced_cids: set[str] = field(default_factory=set)
    nameless: int = 0
    files: int = 0  # listed parts that are files, not forwarded mails kept whole
    zip_bytes: int = 0
    zip_members: int = 0
    limits: Limits = DEFAULT_LIMITS
    deadline: Deadline | None = None
    file_problems: list[FileProblem] = field(default_factory=list)
    oversized: list[str] = field(default_factory=list)  # the current archive's members too large

    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    def not_opened(self, error: LimitExceededError) -> None:
        """Something sent that is not opened: told to the school by its ``file.*`` rule."""
        self.file_problem(error.rule, str(error.args[0]))

    def file_problem(self, rule: str, text: str) -> None:
        self.problem(text)
        if all(known.message != text for known in self.file_problems):
            self.file_problems.append(FileProblem(rule, text))

    def add(
        self,
        name: str,
        content: bytes,
        content_type: str,
        *,
        prefix: str = "",
        from_archive: bool,
        is_file: bool = True,
    ) -> str:
        """List one file; ``name`` is already sanitised ("" for nameless)."""
        if not name:
            self.nameless += 1
            name = f"未命名附件{self.nameless}.{_extension_for(content_type, content)}"
        path = prefix + name
        number = 1
        candidate = path
        while candidate in self.used_paths:
            number += 1
            candidate = _with_counter(path, number)
        self.used_paths.add(candidate)
        self.files += is_file
        self.attachments.append(MailAttachment(candidate, content, content_type, from_archive))
        return candidate


@dataclass(frozen=True)
class _Part:
    """What the headers of one MIME part say, decoded."""

    content_type: str | None  # declared, lowercased; None if absent or not type/subtype
    charset: str | None
    disposition: str
    name: str | None  # sanitised file name, None if the part has none
    name_raw: str | None
    name_clean: bool
    content_id: str | None

    @property
    def effective_type(self) -> str:
        return self.content_type or "text/plain"  # RFC 2045 default


def _part_info(part: Message) -> _Part:
    ctype = _parse_header_value(_raw_header(part, "content-type"))
    disp = _parse_header_value(_raw_header(part, "content-disposition"))
    candidates = [
        disp.params.get("filename"),
        ctype.params.get("name"),
        disp.params.get("name"),
        ctype.params.get("filename"),
    ]
    found = [c for c in candidates if c is not None and sanitize_name(c[0])]
    # Prefer the first that decoded cleanly; Content-Disposition's filename wins a tie.
    chosen = next((c for c in found if c[1]), found[0] if found else None)
    content_id = _raw_header(part, "content-id")
    declared = ctype.value if re.fullmatch(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+", ctype.value) else None
    return _Part(
        content_type=declared,
        charset=ctype.params["charset"][0] if "charset" in ctype.params else None,
        disposition=disp.value,
        name=sanitize_name(chosen[0]) if chosen else None,
        name_raw=chosen[0] if chosen else None,
        name_clean=chosen[1] if chosen else True,
        content_id=_normalise_cid(decode_header_text(content_id)) if content_id else None,
    )


def _normalise_cid(value: str) -> str:
    return value.strip().strip("<>").strip().lower()


_CID_REFERENCE = re.compile(rb"cid:([^\"'\s>)]+)", re.IGNORECASE)


def _collect_cids(msg: Message, state: _State) -> None:
    """Content-IDs referenced from any HTML part: those images are part of the page, not files."""
    for part in msg.walk():
        if part.is_multipart() or _part_info(part).effective_type != "text/html":
            continue
        data, _problem = _payload_bytes(part)
        for match in _CID_REFERENCE.finditer(data):
            ref = _PCT_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
            state.referenced_cids.add(_normalise_cid(ref.decode("utf-8", "replace")))


_DEFECT_MESSAGES = {
    "StartBoundaryNotFoundDefect": "多部分邮件找不到声明的分隔线，该部分按正文处理",
    "CloseBoundaryNotFoundDefect": "多部分邮件缺少结束分隔线，邮件可能不完整",
    "NoBoundaryInMultipartDefect": "多部分邮件没有声明分隔线",
    "MissingHeaderBodySeparatorDefect": "邮件头与正文之间缺少空行",
    "FirstHeaderLineIsContinuationDefect": "邮件第一行是续行，邮件头可能已损坏",
    "MisplacedEnvelopeHeaderDefect": "邮件头中间出现了信封行（From ）",
    "MalformedHeaderDefect": "邮件头格式错误",
}
_QUIET_DEFECTS = frozenset({"MultipartInvariantViolationDefect"})  # always follows StartBoundaryNotFound


def _note_defects(part: Message, state: _State) -> None:
    for defect in getattr(part, "defects", []):
        name = type(defect).__name__
        if name not in _QUIET_DEFECTS:
            state.problem(_DEFECT_MESSAGES.get(name, f"邮件结构有缺陷（{name}）"))


def _repair_content_type(part: Message, state: _State) -> Message:
    """Two Content-Type headers (seen from Exchange relays): use the one whose boundary is really
    in the body, instead of the first one, which the parser used and then found no parts."""
    values = _raw_header_all(part, "content-type")
    payload = _stored_payload(part)
    if len(values) < 2 or not isinstance(payload, bytes):
        return part
    for value in values[1:]:
        parsed = _parse_header_value(value)
        boundary = _to_bytes(parsed.params.get("boundary", ("", True))[0])
        if parsed.value.startswith("multipart/") and boundary and b"--" + boundary in payload:
            state.problem("邮件有多个Content-Type头，已按正文中实际使用的分隔线解析")
            return _parse_bytes(_to_bytes(f"Content-Type: {value}\r\n\r\n") + payload)
    return part


_SKIPPED_TYPES = frozenset(
    {"message/delivery-status", "message/disposition-notification", "application/applefile"}
)
_FORWARD_TYPES = frozenset({"message/rfc822", "message/global"})
_BODY_TYPES = frozenset({"text/plain", "text/html", "text/enriched", "text/richtext"})


def _walk(part: Message, state: _State, *, depth: int, top_level: bool, parent_type: str) -> None:
    if depth > MAX_NESTING:
        state.problem("邮件嵌套层数过多，更深的部分未处理")
        return
    part = _repair_content_type(part, state)
    _note_defects(part, state)
    info = _part_info(part)
    if info.effective_type in _SKIPPED_TYPES:
        return
    if info.effective_type in _FORWARD_TYPES or part.get_content_type() in _FORWARD_TYPES:
        _walk_forwarded(part, info, state, depth=depth)
    elif part.is_multipart():
        for child in part.get_payload():
            if isinstance(child, Message):
                _walk_guarded(
                    child, state, depth=depth + 1, top_level=top_level, parent_type=info.effective_type
                )
    else:
        _leaf(part, info, state, top_level=top_level, parent_type=parent_type)


def _walk_guarded(part: Message, state: _State, *, depth: int, top_level: bool, parent_type: str) -> None:
    """One broken part must not cost the others."""
    try:
        _walk(part, state, depth=depth, top_level=top_level, parent_type=parent_type)
    except TimeLimitError:
        raise  # the whole message's time is up, not this part's
    except Exception as exc:  # arbitrary input; report and carry on
        state.problem(f"邮件的一个部分无法解析，已跳过（{type(exc).__name__}）")


def _inner_message(part: Message) -> Message | None:
    payload = _stored_payload(part)
    cte = _transfer_encoding(part)
    if isinstance(payload, list):
        inner = payload[0] if payload and isinstance(payload[0], Message) else None
        inner_payload = _stored_payload(inner) if inner is not None else None
        # message/rfc822 must not be base64/QP encoded, but some relays do it; the parser then saw
        # encoded text as a message without headers.
        if (
            inner is not None
            and not inner.keys()
            and cte in ("base64", "quoted-printable")
            and isinstance(inner_payload, bytes)
        ):
            return _parse_bytes(_decode_transfer(inner_payload, cte)[0])
        return inner
    if isinstance(payload, bytes) and payload.strip():
        return _parse_bytes(_decode_transfer(payload, cte)[0])
    return None


def _walk_forwarded(part: Message, info: _Part, state: _State, *, depth: int) -> None:
    listed, files, nameless = len(state.attachments), state.files, state.nameless
    inner = _inner_message(part)
    if inner is not None:
        _walk_guarded(inner, state, depth=depth + 1, top_level=False, parent_type="message/rfc822")
    if state.files > files:
        return
    # Nothing inside is a file: keep this forwarded mail whole (it contains any deeper forwards,
    # which are therefore dropped again), so that its text is not invisible.
    for dropped in state.attachments[listed:]:
        state.used_paths.discard(dropped.path)
    del state.attachments[listed:]
    state.nameless = nameless
    content = _message_bytes(inner) if inner is not None else b""
    name = info.name or ""
    if name and _extension(name) != "eml":
        name += ".eml"
    state.add(name, content, "message/rfc822", from_archive=False, is_file=False)


def _is_decoration(info: _Part, parent_type: str, state: _State) -> bool:
    if not info.effective_type.startswith("image/") or _looks_like_document(info.name):
        return False
    if info.content_id and info.content_id in state.referenced_cids:
        return True
    return parent_type == "multipart/related" or (info.disposition == "inline" and not info.name)


def _leaf(part: Message, info: _Part, state: _State, *, top_level: bool, parent_type: str) -> None:
    content, problem = _payload_bytes(part)
    if problem:
        state.problem(problem)
    maintype = info.effective_type.split("/")[0]
    is_body = (info.effective_type in _BODY_TYPES or maintype == "multipart") and not info.name
    if is_body and info.disposition != "attachment":
        if top_level:
            _add_body(content, info, state)
        return
    if _is_decoration(info, parent_type, state):
        return
    if info.name_raw is not None and not info.name_clean:
        state.problem(f"附件名无法解码，已按原始字节保存：{info.name}")
    content_type = info.content_type or (
        _type_for_name(info.name) if info.name else "application/octet-stream"
    )
    path = state.add(info.name or "", content, content_type, from_archive=False)
    if _is_archive(content, path):
        _expand_zip(content, path, state, level=1)


# --------------------------------------------------------------------------------------------
# Body text

_DROP_HTML = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_BLOCK_HTML = re.compile(r"<\s*/?\s*(br|p|div|tr|li|h[1-6]|table|blockquote)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def _html_to_text(markup: str) -> str:
    text = _DROP_HTML.sub(" ", markup)
    text = _BLOCK_HTML.sub("\n", text)
    text = html.unescape(_TAG.sub("", text)).replace("\xa0", " ")
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _add_body(content: bytes, info: _Part, state: _State) -> None:
    charset = info.charset
    if not charset and info.effective_type == "text/html":
        meta = _META_CHARSET.search(content[:4096])
        charset = meta.group(1).decode("ascii") if meta else None
    text, clean = _decode_bytes(content, charset)
    if not clean:
        state.problem(f"正文字符集无法识别（{charset or '未声明'}），部分文字可能显示为乱码")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    (state.html if info.effective_type == "text/html" else state.plain).append(text)


def _body_text(state: _State) -> str:
    plain = "\n\n".join(t.strip() for t in state.plain if t.strip())
    if plain:
        return plain
    return "\n\n".join(_html_to_text(t) for t in state.html if t.strip()).strip()


# --------------------------------------------------------------------------------------------
# ZIP archives


def _is_archive(content: bytes, path: str) -> bool:
    return content.startswith(b"PK\x03\x04") and _extension(path) not in _ZIP_DOCUMENT_EXTENSIONS


def _unicode_path_extra(extra: bytes, raw_name: bytes) -> str | None:
    """Info-ZIP Unicode Path field (0x7075): a UTF-8 name some tools add next to a CP936 one."""
    pos = 0
    while pos + 4 <= len(extra):
        tag = int.from_bytes(extra[pos : pos + 2], "little")
        size = int.from_bytes(extra[pos + 2 : pos + 4], "little")
        data = extra[pos + 4 : pos + 4 + size]
        crc_matches = len(data) > 5 and int.from_bytes(data[1:5], "little") == zlib.crc32(raw_name)
        if tag == 0x7075 and data[:1] == b"\x01" and crc_matches:
            try:
                return data[5:].decode("utf-8")
            except UnicodeDecodeError:
                return None
        pos += 4 + size
    return None


def _zip_member_name(info: zipfile.ZipInfo) -> tuple[str, bool]:
    """The member name as the school's zip tool meant it; (name, decoded cleanly)."""
    if info.flag_bits & 0x800:
        return info.orig_filename, True
    # Without the UTF-8 flag zipfile decoded the bytes as cp437, a lossless 256-byte mapping.
    raw = info.orig_filename.encode("cp437")
    from_extra = _unicode_path_extra(info.extra, raw)
    if from_extra is not None:
        return from_extra, True
    return _decode_guess(raw)


def _zip_opens_as_document(archive: zipfile.ZipFile) -> bool:
    names = set(archive.namelist())
    return any(marker in names for marker in _ZIP_DOCUMENT_MARKERS)


def _member_names(members: list[zipfile.ZipInfo]) -> list[str]:
    return [sanitize_member_path(_zip_member_name(info)[0]) for info in members]


def _wanted_first(members: list[zipfile.ZipInfo], room: int) -> list[zipfile.ZipInfo]:
    """The members to open when not all can be: those whose names say Attachment 1, a plan
    or a scan first (the real Attachment 1 may be the last of twenty thousand), then the
    others in their order."""
    if len(members) <= room:
        return members
    names = _member_names(members)
    wanted = [i for i, name in enumerate(names) if _DOCUMENT_IMAGE_WORDS.search(name.rpartition("/")[2])]
    chosen = set(wanted)
    rest = [i for i in range(len(members)) if i not in chosen]
    return [members[i] for i in sorted((wanted + rest)[:room])]


def _too_many(
    zip_path: str, members: list[zipfile.ZipInfo], left_out: list[zipfile.ZipInfo], state: _State
) -> None:
    limit = state.limits.zip_members
    names = _member_names(left_out)
    shown = [n for n in names if _DOCUMENT_IMAGE_WORDS.search(n.rpartition("/")[2])] or names
    listed = "、".join(shown[:5]) + ("等" if len(shown) > 5 else "")
    state.not_opened(
        ArchiveLimitError(
            "压缩包中的文件个数",
            f"“{zip_path}”中有{count_text(len(members))}个文件，其中{count_text(len(left_out))}个未解压（如{listed}）",
            f"每封邮件{count_text(limit)}个",
            fix=_UNZIP_FIX,
        )
    )


def _expand_zip(content: bytes, zip_path: str, state: _State, *, level: int) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        if _zip_opens_as_document(archive):
            return
        members = [
            i for i in archive.infolist() if not i.is_dir() and not i.orig_filename.endswith(("/", "\\"))
        ]
    except Exception as exc:  # corrupt zips raise many types (BadZipFile, struct.error, ...)
        state.problem(f"ZIP附件损坏：{zip_path}（{exc}）")
        return
    chosen = _wanted_first(members, max(0, state.limits.zip_members - state.zip_members))
    if len(chosen) < len(members):
        kept = {id(info) for info in chosen}
        _too_many(zip_path, members, [i for i in members if id(i) not in kept], state)
    outer, state.oversized = state.oversized, []
    try:
        for number, info in enumerate(chosen, start=1):
            if state.deadline is not None:
                state.deadline.check(f"“{zip_path}”中的第{number}个文件")
            if not _extract_member(archive, info, zip_path, state, level=level):
                break
    finally:
        if state.oversized:
            _oversized(zip_path, state.oversized, state)
        state.oversized = outer


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, member_path: str, zip_path: str, state: _State
) -> bytes | None:
    """The member's bytes, or None (recorded) when it is not opened; raises ``_Bomb`` when
    the message's unpacked total would pass its limit."""
    limits = state.limits
    budget = limits.archive_unpacked_bytes - state.zip_bytes
    where = f"{zip_path}/{member_path}"
    if info.file_size > limits.bytes_per_file:
        state.oversized.append(member_path)
        return None
    if info.file_size > budget:
        raise _Bomb(zip_path)
    try:
        with archive.open(info) as handle:
            # Never trust the declared size of a possible bomb: read at most one byte past it.
            data = handle.read(min(budget, limits.bytes_per_file) + 1)
    except Exception as exc:  # bad CRC, unsupported method, truncated data...
        state.problem(f"ZIP附件损坏：{where}无法解压（{exc}）")
        return None
    if len(data) > budget:
        raise _Bomb(zip_path)
    if len(data) > limits.bytes_per_file:
        state.oversized.append(member_path)
        return None
    return data


def _oversized(zip_path: str, names: list[str], state: _State) -> None:
    """One record per archive for its members too large to unpack."""
    listed = "、".join(names[:5]) + ("等" if len(names) > 5 else "")
    state.not_opened(
        ArchiveLimitError(
            "压缩包中文件的大小",
            f"“{zip_path}”中有{len(names)}个文件解压后超过上限，未解压（{listed}）",
            f"每个文件{size_text(state.limits.bytes_per_file)}",
            fix=_UNZIP_FIX,
        )
    )


class _Bomb(Exception):
    """The message's archives would unpack past ``limits.archive_unpacked_bytes``."""


def _extract_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, zip_path: str, state: _State, *, level: int
) -> bool:
    """List one member; False once a limit is reached and the rest must be skipped."""
    name, clean = _zip_member_name(info)
    member_path = sanitize_member_path(name)
    if not clean:
        state.problem(f"ZIP附件中的文件名无法解码，已按原始字节保存：{zip_path}/{member_path}")
    if info.flag_bits & 0x1:
        state.file_problem(
            "file.encrypted",
            f"ZIP附件中的文件已加密，无法读取：{zip_path}/{member_path}",
        )
        return True
    try:
        data = _read_member(archive, info, member_path, zip_path, state)
    except _Bomb:
        limit = state.limits.archive_unpacked_bytes
        state.not_opened(
            ArchiveLimitError(
                "压缩包解压后的总大小",
                f"“{zip_path}”解压到{size_text(state.zip_bytes)}后，下一个文件（{member_path}）会超过上限，其余文件未解压，疑似压缩炸弹",
                f"每封邮件{size_text(limit)}",
                fix=_UNZIP_FIX,
            )
        )
        return False
    if data is None:
        return True
    state.zip_bytes += len(data)
    state.zip_members += 1
    path = state.add(member_path, data, _type_for_name(member_path), prefix=f"{zip_path}/", from_archive=True)
    if _is_archive(data, path):
        if level < state.limits.zip_depth:
            _expand_zip(data, path, state, level=level + 1)
        else:
            state.not_opened(
                ArchiveLimitError(
                    "压缩包嵌套层数",
                    f"“{path}”是第{level + 1}层压缩包，其中的文件未解压",
                    f"{state.limits.zip_depth}层",
                    fix=_UNZIP_FIX,
                )
            )
    return True


# --------------------------------------------------------------------------------------------
# Top-level headers


def _message_id(msg: Message) -> str | None:
    raw = _raw_header(msg, "message-id")
    if raw is None:
        return None
    value = re.sub(r"\s+", "", decode_header_text(raw)).strip("<>")
    return value or None


_ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s]+@[^<>\s]+)\s*>")


def _split_address(text: str) -> tuple[str, str] | None:
    match = _ANGLE_ADDRESS.search(text)
    if match is not None:
        return text[: match.start()], match.group(1)
    name, address = parseaddr(text)
    return (name, address) if "@" in address else None


def _sender(msg: Message) -> tuple[str | None, str | None]:
    """(address, display name) from From; the address is found before decoding when possible,
    because raw GBK display names can contain bytes that look like '@'."""
    raw = _raw_header(msg, "from")
    if raw is None:
        return None, None
    unfolded = _FOLD.sub(b"", _to_bytes(raw)).decode("utf-8", "surrogateescape").strip()
    found = _split_address(unfolded) or _split_address(decode_header_text(raw))
    if found is None:
        return None, decode_header_text(raw) or None
    name = decode_header_text(found[0]).strip().strip('"').strip().replace('\\"', '"')
    address = decode_header_text(found[1]).strip().lower()
    return address or None, name or None


def _date(msg: Message, state: _State) -> dt.datetime | None:
    raw = _raw_header(msg, "date")
    if raw is None:
        return None
    text = decode_header_text(raw)
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:  # some Chinese clients write "2022-04-20 09:30:00"; that is Beijing time
            parsed = dt.datetime.fromisoformat(text.strip())
        except ValueError:
            state.problem(f"邮件日期无法识别：{text[:60]}")
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=_BEIJING)
    # "-0000" means UTC with the sender's zone unknown (RFC 5322 3.3); parsedate gives it naive.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# --------------------------------------------------------------------------------------------
# Entry point


def _empty(problem: str) -> ParsedMessage:
    return ParsedMessage(None, "", None, None, None, "", [], [problem])


def _too_large(raw: bytes, state: _State) -> Message:
    """Only the headers of a message past its size limit: who sent it, when, about what."""
    limit = state.limits.bytes_per_message
    state.not_opened(
        LimitExceededError(
            "邮件大小",
            f"邮件为{size_text(len(raw))}，其中的正文和附件未读取",
            size_text(limit),
            fix="请学校把附件分成几封邮件发送，或压缩图片后重新发送",
        )
    )
    end = raw.find(b"\r\n\r\n", 0, 1024 * 1024)
    end = raw.find(b"\n\n", 0, 1024 * 1024) if end < 0 else end
    head = raw[: end if end >= 0 else 1024 * 1024]
    return BytesParser(policy=email_policy.compat32).parsebytes(head, headersonly=True)


def _parse(raw: bytes, limits: Limits, deadline: Deadline | None) -> ParsedMessage:
    if not raw.strip():
        return _empty("邮件内容为空（0字节）" if not raw else "邮件内容为空")
    # A BOM before the first header (saved by a Windows editor) hides every header.
    raw = raw[3:] if raw.startswith(_UTF8_BOM) else raw
    state = _State(limits=limits, deadline=deadline or Deadline.start(limits))
    if len(raw) > limits.bytes_per_message:
        return _result(_too_large(raw, state), state)
    try:
        msg = _parse_bytes(raw)
    except RecursionError:
        # The stdlib parser recurses once per multipart level; thousands of levels are an attack
        # or a broken generator. Keep at least who sent it and when.
        msg = BytesParser(policy=email_policy.compat32).parsebytes(raw, headersonly=True)
        state.problem("邮件嵌套层数过多，无法解析其结构，只读取了邮件头")
    else:
        try:
            _collect_cids(msg, state)
        except Exception:  # only a hint for the inline rule; missing it is harmless
            state.problem("无法检查正文中引用的内嵌图片")
        try:
            _walk_guarded(msg, state, depth=0, top_level=True, parent_type="")
        except TimeLimitError as error:  # the attachments listed so far stay listed
            state.file_problem(error.rule, f"{error.args[0]}；邮件中其余的附件未解压")
    return _result(msg, state)


def _result(msg: Message, state: _State) -> ParsedMessage:
    address, name = _sender(msg)
    subject_raw = _raw_header(msg, "subject")
    return ParsedMessage(
        message_id=_message_id(msg),
        subject=decode_header_text(subject_raw) if subject_raw is not None else "",
        sender_address=address,
        sender_name=name,
        date=_date(msg, state),
        body_text=_body_text(state),
        attachments=state.attachments,
        problems=state.problems,
        file_problems=state.file_problems,
    )


def parse_message(
    raw: bytes, limits: Limits = DEFAULT_LIMITS, deadline: Deadline | None = None
) -> ParsedMessage:
    """Parse one message within ``limits`` (a deadline of ``limits.seconds_per_file`` unless
    one is given). Never raises: unparseable input gives an empty result with a problem."""
    try:
        return _parse(bytes(raw), limits, deadline)
    except Exception as exc:  # the contract is "never raises", for any bytes
        return _empty(f"邮件无法解析（{type(exc).__name__}）")
