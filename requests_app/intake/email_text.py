"""The words of an email: HTML made text, quotes and signatures removed, what the person asks.

Pure functions over strings, used by ``email_parse`` (which re-exports the public ones) and by
anything that needs to read a message's text the same way.
"""

from __future__ import annotations

import re
import unicodedata
from html import unescape
from html.parser import HTMLParser

from requests_app.workflow.references import reference_normalize


def unsurrogate(text: str) -> str:
    """Undo the parser's surrogate escapes: raw 8-bit bytes in headers are read as UTF-8."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def clean_text(text: str) -> str:
    """Newlines normalised, control characters (NUL ...) removed, blank runs squeezed."""
    text = unsurrogate(text).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def clean_line(text: str) -> str:
    """One line: control characters removed, whitespace runs made one space."""
    text = "".join(c if unicodedata.category(c) != "Cc" else " " for c in unsurrogate(text))
    return re.sub(r"\s+", " ", text).strip()


# --- HTML ---------------------------------------------------------------------------------


_SKIPPED_ELEMENTS = {"script", "style", "template", "title"}
# Elements that start a new line, and those that also stand apart by a blank line.
_LINE_ELEMENTS = {"address", "dd", "div", "dt", "figcaption", "li", "tr"}
_PARAGRAPH_ELEMENTS = {
    "article", "aside", "blockquote", "dl", "fieldset", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hr", "main", "nav", "ol", "p", "pre", "section", "table", "ul",
}  # fmt: skip


class _TextExtractor(HTMLParser):
    """Collect an HTML document's visible text as lines, with "> " for each blockquote level."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._line_has_text = False
        self._line_depth = 0
        self._skipping = 0
        self._in_head = False
        self._quote_depth = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "head":
            self._in_head = True
        elif tag == "body":
            # Sloppy mail HTML leaves <head> or <title> open; the body is what people read.
            self._in_head, self._skipping = False, 0
        elif tag in _SKIPPED_ELEMENTS:
            self._skipping += 1
        elif tag == "br":
            self._end_line(keep_empty=True)
        elif tag in ("td", "th"):
            self._line.append(" ")
        elif tag in _LINE_ELEMENTS:
            self._end_line()
        elif tag in _PARAGRAPH_ELEMENTS:
            self._end_paragraph()
            if tag == "blockquote":
                self._quote_depth += 1
            elif tag == "pre":
                self._pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        elif tag in _SKIPPED_ELEMENTS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _LINE_ELEMENTS:
            self._end_line()
        elif tag in _PARAGRAPH_ELEMENTS:
            self._end_paragraph()
            if tag == "blockquote":
                self._quote_depth = max(0, self._quote_depth - 1)
            elif tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._skipping or self._in_head:
            return
        pieces = data.split("\n") if self._pre else [re.sub(r"\s+", " ", data)]
        for index, piece in enumerate(pieces):
            if index:
                self._end_line(keep_empty=True)
            if not self._line_has_text and piece.strip():
                self._line_depth, self._line_has_text = self._quote_depth, True
            self._line.append(piece)

    def close(self) -> None:
        # What the parser still holds at the end is an unfinished tag, comment or declaration
        # ("<!-- ...", "<a href='...") or a cut-off entity. The parser would hand the markup
        # over as text; a browser shows none of it, and neither do we.
        if self.rawdata.lstrip().startswith("<"):
            self.rawdata = ""
        super().close()
        self._end_line()

    def _end_line(self, *, keep_empty: bool = False) -> None:
        text = "".join(self._line).strip()
        if text or keep_empty:
            self.lines.append("> " * self._line_depth + text if text else "")
        self._line, self._line_has_text = [], False

    def _end_paragraph(self) -> None:
        self._end_line()
        if self.lines and self.lines[-1]:
            self.lines.append("")


def html_to_text(html: str) -> str:
    """Turn an HTML body into plain text: visible text only, a line per block, entities decoded.

    Scripts, styles and the head are dropped; quoted blocks (<blockquote>) get "> " so the
    quote stripper treats them like quoted plain text. The result is text, not markup.
    """
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return clean_text("\n".join(extractor.lines))


def crude_html_to_text(html: str) -> str:
    """A last resort when the HTML parser gives up: drop scripts, styles and every tag."""
    html = re.sub(r"(?is)<(script|style|head|title)\b.*?(</\1\s*>|$)", " ", html)
    return unescape(re.sub(r"(?s)<[^>]*>?", " ", html))


# --- quotes -------------------------------------------------------------------------------

_REPLY_HEADER = re.compile(
    r"^\s*(?:on\b.*\bwrote|am\b.*\bschrieb\b.*|le\b.*\ba\s+[ée]crit|el\b.*\bescribi[óo])\s*:\s*$",
    re.IGNORECASE,
)
_MAX_HEADER_LINE = 400
_REPLY_HEADER_START = re.compile(r"^\s*(?:on|am|le|el)\b", re.IGNORECASE)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|mensaje original)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_HEADER_BLOCK_FROM = re.compile(r"^\s*\*?(?:from|von|de)\s*\*?\s*:", re.IGNORECASE)
_HEADER_BLOCK_DATE = re.compile(r"^\s*\*?(?:sent|date|gesendet|datum|envoyé|enviado|fecha)\s*\*?\s*:", re.IGNORECASE)
_FORWARD_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado)\s*-{2,}"
    r"|begin forwarded message\s*:|anfang der weitergeleiteten nachricht\s*:|début du message réexpédié\s*:)\s*$",
    re.IGNORECASE,
)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|wg|tr|rv|enc)\s*:", re.IGNORECASE)
_SIGNATURE = re.compile(
    r"^(?:--|sent from my \w+.*|von meinem \w+ gesendet|envoyé de mon \w+.*|enviado desde mi \w+.*)$", re.IGNORECASE
)


def is_forward(subject: str, text: str) -> bool:
    return bool(_FORWARD_SUBJECT.match(subject)) or any(_FORWARD_MARKER.match(line) for line in text.split("\n"))


def text_without_quotes(text: str, *, forwarded: bool) -> str:
    """The text the sender wrote now: quoted lines, reply headers and what follows, signatures removed.

    A forwarded message is new to us, so it is kept, and a forward marker ends a signature
    (people forward with their signature above the original). After an "On ... wrote:" line
    that is followed by "> " lines, only the quoted lines go: answers written between them stay.
    """
    lines = text.split("\n")
    kept: list[str] = []
    dropping: str | None = None  # "signature" or "quoted tail" while lines are being dropped
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if _FORWARD_MARKER.match(line):
            if dropping == "signature":
                dropping = None
            if dropping is None:
                kept.append(line)
            continue
        if dropping is not None:
            continue
        if _SIGNATURE.match(line.strip()):
            dropping = "signature"
            continue
        header_lines = _reply_header_length(lines, index - 1)
        if header_lines:
            index += header_lines - 1
            following = next((rest for rest in lines[index:] if rest.strip()), "")
            if not following.lstrip().startswith(">"):
                dropping = "quoted tail"
            continue
        if not forwarded and _starts_quoted_header_block(lines, index - 1):
            dropping = "quoted tail"
            continue
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _reply_header_length(lines: list[str], index: int) -> int:
    """How many lines an "On ... wrote:" header starting at `index` spans (clients wrap it), or 0."""
    # A real header names the date or time; "On reflection, here is what she wrote:" does not.
    line = lines[index]
    if len(line) > _MAX_HEADER_LINE:  # also keeps the backtracking regex cheap on hostile lines
        return 0
    if _REPLY_HEADER.match(line) and re.search(r"\d", line):
        return 1
    if _REPLY_HEADER_START.match(line) and index + 1 < len(lines) and len(lines[index + 1]) <= _MAX_HEADER_LINE:
        joined = f"{line} {lines[index + 1]}"
        if _REPLY_HEADER.match(joined) and re.search(r"\d", joined):
            return 2
    return 0


def _starts_quoted_header_block(lines: list[str], index: int) -> bool:
    """Outlook's reply header: a separator line, or a From: line with Sent:/Date: just below it."""
    line = lines[index]
    if _ORIGINAL_MESSAGE.match(line):
        return True
    if re.match(r"^\s*_{10,}\s*$", line):
        following = next((rest for rest in lines[index + 1 : index + 4] if rest.strip()), "")
        return bool(_HEADER_BLOCK_FROM.match(following))
    if _HEADER_BLOCK_FROM.match(line):
        return any(_HEADER_BLOCK_DATE.match(rest) for rest in lines[index + 1 : index + 4])
    return False


# --- what the person asks -----------------------------------------------------------------


def fold(text: str) -> str:
    """Case-folded, accents removed, typographic apostrophes made plain: "Löschung" -> "loschung"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("\u2019", "'").replace("`", "'")


# Patterns run on fold()ed text, so they are lower-case ASCII. German words may sit inside
# compounds ("Datenauskunft", "Datenlöschung"), so their patterns allow a prefix; every
# pattern starts at a word boundary, so a long hostile "word" costs linear time, not quadratic.
_REQUEST_WORDS = {
    "access": [
        r"\baccess\b", r"\bcop(?:y|ies)\b", r"\bexport\w*", r"\bwhat (?:personal )?(?:data|information)\b",
        r"\bportab\w*", r"\b\w*auskunft", r"\b\w*kopien?\b", r"\bwelche (?:\w+ )?daten\b", r"\b\w*ubertragbarkeit\b",
        r"\bacces\b", r"\bcopie\b", r"\bquelles donnees\b", r"\bacceso\b", r"\bcopia\b", r"\bque datos\b",
    ],
    "deletion": [
        r"\bdelet(?:e|ed|es|ing|ion)\b", r"\beras(?:e|ed|ing|ure)\b", r"\bforget (?:me|my|about me)\b",
        r"\bright to be forgotten\b",
        r"\bremove (?:all )?(?:of )?my (?:personal )?(?:data|information|details|account)\b",
        r"\b\w*l(?:o|oe)sch(?:en|ung|t|e)", r"\bvergessen\s*werden\b", r"\brecht auf vergessen\w*",
        r"\bsuppr\w*", r"\beffac\w*", r"\bdroit a l'oubli\b", r"\belimin\w*",
        r"\bborr(?:ar|en|e|ado|ada|ados|adas)\b", r"\bsupr(?:imir|iman|ima|esion)\b", r"\bolvido\b",
    ],
    "correction": [
        r"\bcorrect (?:my|the|this|these|our)\b", r"\bcorrections?\b", r"\bincorrect\b", r"\brectif\w*",
        r"\bupdate (?:my|the) (?:personal )?(?:data|details|information|address|name|email|phone)\b",
        r"\bfix my (?:data|details|information|address|name)\b",
        r"\b\w*berichtig", r"\bkorrigier\w*", r"\bkorrektur\w*",
        r"\bcorrig\w*", r"\bcorreg\w*", r"\bcorrij\w*", r"\bcorreccion\w*", r"\bactuali[zc]\w*",
    ],
}  # fmt: skip
_REQUEST_PATTERNS = {kind: re.compile("|".join(words)) for kind, words in _REQUEST_WORDS.items()}


def detect_request_type(subject: str, text: str) -> str | None:
    """Which request the words ask for: "access", "correction", "deletion", or None.

    None when no request word is there, or words for more than one type are (a person then
    decides). Pass the text without quotes: our own earlier words must not count.
    """
    folded = fold(f"{subject}\n{text}")
    kinds = [kind for kind, pattern in _REQUEST_PATTERNS.items() if pattern.search(folded)]
    return kinds[0] if len(kinds) == 1 else None


_REFERENCE_CANDIDATE = re.compile(
    r"(?<![0-9a-z])dsr[\s_-]{0,3}[0-9a-z]{4}[\s_-]{0,3}[0-9a-z]{4}(?![0-9a-z])", re.IGNORECASE
)


def find_reference(subject: str, text: str) -> str | None:
    """The first request reference (DSR-7KQ2-M9XD, as people type it) in the subject, else the text."""
    for source in (subject, text):
        for match in _REFERENCE_CANDIDATE.finditer(source):
            reference = reference_normalize(match.group(0))
            if reference is not None:
                return reference
    return None


# "My name is Ada Lovelace", "Name: Ada Lovelace": the name a writer gives in their message.
_STATED_NAME = re.compile(
    # Only spaces and tabs between the parts ("\s" would also cross line ends, and make a
    # search through many blank lines take quadratic time).
    r"(?:\bmy[ \t]+name[ \t]+is|^[ \t]*(?:full[ \t]+)?name[ \t]*:)[ \t]*"
    r"([^\W\d_][\w'\u2019.-]*(?:[ \t]+[^\W\d_][\w'\u2019.-]*){0,3})",
    re.IGNORECASE | re.MULTILINE,
)


# Words that end a stated name: "my name is Ada and I want ..." states "Ada".
_NOT_A_NAME = frozenset(
    {
        "and", "i", "am", "im", "want", "would", "like", "please", "my", "from", "at", "with",
        "this", "the", "here", "to", "of", "for", "but", "so", "who", "is", "was",
    }
)  # fmt: skip


def stated_name(text: str) -> str:
    """The name the writer states in the message ("My name is ..."), or "" when none is stated."""
    match = _STATED_NAME.search(text[:20000])
    if not match:
        return ""
    words = []
    for word in match.group(1).split():
        if word.casefold().strip(".,") in _NOT_A_NAME:
            break
        words.append(word)
    return " ".join(words).rstrip(".,")
