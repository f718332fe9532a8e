"""Pre-flight: decide whether a file is a workbook we may open, before openpyxl sees it.

Stdlib only and quick: nothing is decompressed except the XML prologs and the small parts that
name the sheets (the reader looks for formulas in the sheets it reads, in its bounded child). Empty,
text, truncated, legacy and encrypted files all look alike to openpyxl (``BadZipFile``), and a
provider needs a different sentence for each, so we sniff first.
The facts behind each limit are in INPUT-SAFETY (docs/security.md).
"""

from __future__ import annotations

import hashlib
import math
import os
import posixpath
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from swtool.errors import SwtoolError

XLSX_MAGIC = b"PK\x03\x04"
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")  # the names openpyxl opens
ENV_VAR = "SWTOOL_LIMITS"  # e.g. SWTOOL_LIMITS="max_file_bytes=50000000,read_seconds=600"
_BAD_SHEET_CHARS = set("[]:*?/\\")


@dataclass(frozen=True)
class Limits:
    """Bounds on what a return may be; every one can be changed (docs/security.md says how)."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_entries: int = 1_000
    max_entry_bytes: int = 100 * 1024 * 1024
    max_total_bytes: int = 250 * 1024 * 1024
    max_ratio: int = 100  # compression ratio, checked once an entry passes ratio_floor bytes
    ratio_floor: int = 100 * 1024
    max_rows: int = 1_048_576
    max_columns: int = 200  # columns read per row; a template sheet has fewer than 30
    max_cells: int = 20_000_000  # whole-workbook budget
    blank_row_stop: int = 1_000  # so many blank rows in a row end a sheet
    max_text: int = 32_767  # Excel's own cell limit
    max_text_chars: int = 100_000_000  # whole-workbook budget of text, counted per cell (a shared string each time)
    # The openpyxl read runs in a child process (workbook.read), so a reader that hangs or exhausts
    # memory ends as S001 instead of taking the tool down with it (docs/security.md).
    child_process: bool = True  # False: read in this process (no time or memory bound)
    read_seconds: float = 300  # wall time for the read, killed after it
    read_memory_mb: int = 2_048  # address space the read may add (RLIMIT_AS in the child)

    def with_env(self, environ=None) -> Limits:
        """These limits with the overrides of ``SWTOOL_LIMITS`` (``name=value,name=value``) applied.

        An operator's setting wins over the code's; a wrong name or value is an error (exit 2), never
        silently ignored."""
        text = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
        if not text:
            return self
        changes: dict[str, Any] = {}  # each value of its field's kind, as parsed below
        kinds = {f.name: f.type for f in fields(self)}
        for item in re.split(r"[,;\s]+", text):
            if not item:
                continue
            name, sep, value = item.partition("=")
            name, value = name.strip(), value.strip().replace("_", "")
            if not sep or name not in kinds:
                raise SwtoolError(
                    f"{ENV_VAR}: {item!r} is not name=value with a known limit; the limits are "
                    f"{', '.join(kinds)} (docs/security.md)"
                )
            kind = kinds[name]
            try:
                if kind in (bool, "bool"):
                    if value.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                        raise ValueError(value)
                    changes[name] = value.lower() in ("1", "true", "yes", "on")
                elif kind in (float, "float"):
                    changes[name] = float(value)
                else:
                    changes[name] = int(value)
            except ValueError:
                raise SwtoolError(
                    f"{ENV_VAR}: {name}={value!r} is not a {'yes/no' if kind in (bool, 'bool') else 'number'}"
                ) from None
            if isinstance(changes[name], bool):
                continue
            if not math.isfinite(changes[name]):  # nan, inf: no bound at all, or one every comparison fails
                raise SwtoolError(f"{ENV_VAR}: {name}={value!r} is not a finite number")
            if changes[name] <= 0:
                raise SwtoolError(f"{ENV_VAR}: {name} must be more than 0")
            most = _MOST.get(name, _MOST_ANY)
            if changes[name] > most:
                raise SwtoolError(f"{ENV_VAR}: {name} can be at most {most:,}")
        return replace(self, **changes)


# The largest value SWTOOL_LIMITS may give a limit: what Excel itself allows, what the system calls that
# enforce the limit accept (a read's timeout, an address-space limit), or, for the rest, far beyond any file.
_MOST = {
    "max_rows": 1_048_576,
    "max_columns": 16_384,
    "read_seconds": 86_400,
    "read_memory_mb": 1_048_576,
    "max_file_bytes": 1 << 31,
}
_MOST_ANY = 1 << 40


class Unreadable(SwtoolError):
    """The file cannot be read as a return; the message is for a provider (rule S001)."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason  # a short stable word for tests and logs: "empty", "xls", "encrypted", …


@dataclass
class Preflight:
    path: Path
    sha256: str
    size: int
    sheets: list[tuple[str, str, str]] = field(default_factory=list)  # (name, state, part path)
    warnings: list[str] = field(default_factory=list)  # embedded objects, external links

    def part_of(self, sheet: str) -> str | None:
        for name, _, part in self.sheets:
            if name == sheet:
                return part
        return None


def file_kind(mode: int) -> str:
    """What a path that is not a regular file is, in words: a folder, a named pipe, a device, a socket."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


class NotRegularFile(Unreadable):
    """A pipe, a device, a socket or a folder given where a workbook was expected (or a link to one):
    refused from its ``stat`` alone, never opened for reading (a pipe would block, a device never end)."""

    def __init__(self, path: Path, mode: int):
        self.kind = file_kind(mode)
        super().__init__(
            f"This is not a regular file but {self.kind}, so it was not read. Check a workbook saved as a file.",
            "not-a-file",
        )
        self.sentence = f"{path} is not a regular file ({self.kind}); it was not read"


def regular_file(path: Path) -> os.stat_result:
    """``path``'s ``stat`` (links followed); raises NotRegularFile (an Unreadable) unless it is a regular
    file, and OSError when it cannot be looked at."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(Path(path), st.st_mode)
    return st


def open_regular(path: Path):
    """Open ``path`` for reading in binary, only if it is a regular file: checked before opening, and
    again on the open descriptor (opened without blocking, so a pipe swapped in meanwhile cannot hang)."""
    regular_file(path)
    fd = os.open(
        path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    )
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(Path(path), st.st_mode)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def sha256_of(path: Path) -> str:
    """The file's sha256; NotRegularFile for a pipe, device or folder (never read)."""
    h = hashlib.sha256()
    with open_regular(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def check(path: Path, limits: Limits = Limits()) -> Preflight:
    """Raise Unreadable with a provider's sentence, or return what we learnt about the file."""
    size = regular_file(path).st_size
    if size == 0:
        raise Unreadable("The file is empty (0 bytes). Save the workbook again from Excel and resend it.", "empty")
    if size > limits.max_file_bytes:
        raise Unreadable(
            f"The file is {_mb(size)}, over the {_mb(limits.max_file_bytes)} limit for a return "
            f"(limit max_file_bytes). Remove unused sheets or images and save again.",
            "too-large",
        )
    with open_regular(path) as fh:
        head = fh.read(8)
    if head.startswith(CFB_MAGIC):
        with open_regular(path) as fh:
            data = fh.read(limits.max_file_bytes + 1)
        if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
            raise Unreadable(
                "The workbook is password-protected. Remove the password (File > Info > Protect "
                "Workbook) and save it as .xlsx.",
                "encrypted",
            )
        if "WordDocument".encode("utf-16-le") in data:
            raise Unreadable("This is a Word document, not an Excel workbook. Send the return as .xlsx.", "word")
        if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
            raise Unreadable(
                "This is an old-style Excel file (.xls). Open it in Excel and save it as an Excel Workbook (.xlsx).",
                "xls",
            )
        # a compound file with no workbook stream: another Office format (.msg, .ppt) or a damaged file
        raise Unreadable(
            "This is an old-style Office file that holds no Excel workbook, or a damaged one. "
            "Send the return as an .xlsx file saved from Excel.",
            "not-workbook",
        )
    if not head.startswith(XLSX_MAGIC):
        if head.startswith(b"%PDF"):
            raise Unreadable("This is a PDF, not an Excel workbook. Send the return as .xlsx.", "not-workbook")
        raise Unreadable(
            "This is not an Excel workbook. Send the return as an .xlsx file saved from Excel.", "not-workbook"
        )
    pf = Preflight(path, sha256_of(path), size)
    try:
        with open_regular(path) as fh, zipfile.ZipFile(fh) as zf:
            _check_directory(zf, limits)
            _check_content(zf, pf)
    except zipfile.BadZipFile:
        raise Unreadable(
            "The workbook is damaged (it may have been cut short when it was sent or saved). "
            "Save it again from Excel and resend it.",
            "damaged",
        ) from None
    except zlib.error:  # a deflate stream that cannot be inflated ("Error -3 while decompressing data")
        raise Unreadable(
            "The workbook is damaged: a part inside it cannot be unpacked. Save it again from Excel and resend it.",
            "damaged",
        ) from None
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as e:
        raise Unreadable(
            f"The workbook is damaged and cannot be read ({type(e).__name__}). Save it again from Excel and resend it.",
            "damaged",
        ) from None
    suffix = Path(path).suffix.lower()  # a sound workbook under another name: the name is the problem, not damage
    if suffix == ".xls":
        raise Unreadable(
            "This is an Excel workbook under a legacy .xls name or format: rename it to .xlsx (or save "
            "it from Excel as an Excel Workbook (.xlsx)) and resend it.",
            "xls-name",
        )
    if suffix not in WORKBOOK_SUFFIXES:
        ends = f"ends in {suffix}" if suffix else "has no extension"
        raise Unreadable(
            f"This is an Excel workbook, but its name {ends} rather than .xlsx: rename it to .xlsx and resend it.",
            "name",
        )
    return pf


def _check_directory(zf: zipfile.ZipFile, limits: Limits) -> None:
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise Unreadable(
            f"The workbook has {len(infos):,} parts inside it, over the limit of "
            f"{limits.max_entries:,} (limit max_entries): it is not a normal return.",
            "zip-limits",
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        low = name.lower()
        if low in seen:
            raise Unreadable(
                f"The workbook holds two parts named {name!r}: it is damaged or has been tampered with.", "zip-names"
            )
        seen.add(low)
        parts = name.replace("\\", "/").split("/")  # a backslash is a folder on Windows: "..\\x" climbs too
        if name.startswith(("/", "\\")) or ".." in parts or ":" in name:
            raise Unreadable(
                f"The workbook holds a part with an unsafe name ({name!r}): it has been tampered with.", "zip-names"
            )
        if info.flag_bits & 0x1:
            raise Unreadable(
                "Parts of the workbook are encrypted. Remove any password and save it as .xlsx.", "encrypted"
            )
        if info.file_size > limits.max_entry_bytes:
            raise Unreadable(
                f"A part of the workbook ({name}) unpacks to {_mb(info.file_size)}, over the "
                f"{_mb(limits.max_entry_bytes)} limit (limit max_entry_bytes).",
                "zip-limits",
            )
        if (
            info.file_size > limits.ratio_floor
            and info.compress_size
            and info.file_size / info.compress_size > limits.max_ratio
        ):
            raise Unreadable(
                f"A part of the workbook ({name}) is compressed {info.file_size // info.compress_size}"
                f" to 1, over the limit of {limits.max_ratio} to 1 for parts over {limits.ratio_floor // 1024:,} KB "
                "(limits max_ratio, ratio_floor): this is how zip bombs look, so it is not opened.",
                "zip-limits",
            )
        total += info.file_size
    if total > limits.max_total_bytes:
        raise Unreadable(
            f"The workbook unpacks to {_mb(total)}, over the {_mb(limits.max_total_bytes)} limit "
            "(limit max_total_bytes).",
            "zip-limits",
        )


_DOCTYPE_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)
_SHEET_RE = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_ATTR_RE = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_REL_RE = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")


def _xml_unescape(b: bytes) -> str:
    s = b.decode("utf-8", "replace")
    return (
        s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")
    )


def _check_content(zf: zipfile.ZipFile, pf: Preflight) -> None:
    names = {i.filename for i in zf.infolist()}
    lower = {n.lower(): n for n in names}
    if "mimetype" in names:
        mt = zf.read("mimetype")[:100]
        if b"opendocument.spreadsheet" in mt:
            raise Unreadable(
                "This is an OpenDocument spreadsheet (.ods). Save it in Excel format (.xlsx) and resend it.", "ods"
            )
        raise Unreadable("This is not an Excel workbook. Send the return as .xlsx.", "not-workbook")
    if "[content_types].xml" not in lower:
        raise Unreadable(
            "This is not an Excel workbook (it is a zip file of something else). Send the return as .xlsx.",
            "not-workbook",
        )
    ct = zf.read(lower["[content_types].xml"])
    if any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in ct:
        raise Unreadable(
            "The workbook contains macros (.xlsm). Save it as an Excel Workbook (.xlsx), "
            "without macros, and resend it.",
            "macros",
        )
    if "word/document.xml" in lower:
        raise Unreadable("This is a Word document, not an Excel workbook. Send the return as .xlsx.", "word")
    if "xl/workbook.xml" not in lower:
        raise Unreadable("The workbook is damaged: it has no workbook part. Save it again from Excel.", "damaged")
    for n in names:  # entity bombs and XXE live in a DTD; openpyxl's defusedxml refuses them too
        if n.lower().endswith((".xml", ".rels", ".vml")):
            with zf.open(n) as fh:
                dtd = _declares_dtd(fh)
            if dtd:
                raise Unreadable(
                    f"The workbook contains a document type declaration ({n}), which Excel never "
                    "writes: it has been tampered with and is not opened.",
                    "dtd",
                )
    wb_xml = zf.read(lower["xl/workbook.xml"])
    if STRICT_NS in wb_xml and MAIN_NS not in wb_xml:
        raise Unreadable(
            "The workbook was saved as 'Strict Open XML'. Save it again as a normal Excel Workbook (.xlsx).", "strict"
        )
    rels = {}
    rels_name = lower.get("xl/_rels/workbook.xml.rels")
    if rels_name:
        for m in _REL_RE.finditer(zf.read(rels_name)):
            attrs = {k.split(b":")[-1]: v for k, v in _ATTR_RE.findall(m.group(1))}
            target = _xml_unescape(attrs.get(b"Target", b""))
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
            rels[_xml_unescape(attrs.get(b"Id", b""))] = target
    seen: dict[str, str] = {}
    for m in _SHEET_RE.finditer(wb_xml):
        attrs = {k.split(b":")[-1]: v for k, v in _ATTR_RE.findall(m.group(1))}
        name = _xml_unescape(attrs.get(b"name", b""))
        if (
            not name.strip()
            or len(name) > 31
            or _BAD_SHEET_CHARS & set(name)
            or name.startswith("'")
            or name.endswith("'")
        ):
            shown = name if len(name) <= 40 else name[:39] + "…"
            raise Unreadable(
                f"The workbook has a sheet named {shown!r}, which Excel does not allow (a sheet name is "
                "1 to 31 characters, without : \\ / ? * [ ] or a leading or trailing apostrophe): it "
                "has been edited by another tool. Rename the sheet in Excel and save again.",
                "sheet-names",
            )
        key = name.casefold()
        if key in seen:
            raise Unreadable(
                f"The workbook has two sheets named {seen[key]!r} and {name!r}, which Excel does "
                "not allow: it has been edited by another tool. Rename one and save again.",
                "duplicate-sheets",
            )
        seen[key] = name
        state = _xml_unescape(attrs.get(b"state", b"visible"))
        pf.sheets.append((name, state, rels.get(_xml_unescape(attrs.get(b"id", b"")), "")))
    if not pf.sheets:
        raise Unreadable("The workbook has no sheets. Save it again from Excel.", "no-sheets")
    if not any(state == "visible" for _, state, _ in pf.sheets):
        raise Unreadable("Every sheet of the workbook is hidden. Unhide the sheets and save again.", "no-sheets")
    if any(n.lower().startswith("xl/externallinks/") for n in names):
        pf.warnings.append("The workbook links to other files; the links are ignored.")
    if any(n.lower().startswith(("xl/embeddings/", "xl/activex/")) for n in names):
        pf.warnings.append("The workbook contains embedded objects or ActiveX controls; they are ignored.")


def _declares_dtd(fh) -> bool:
    """True when a part holds ``<!DOCTYPE``/``<!ENTITY`` in its first 4 KB or anywhere in its prolog.

    The prolog is everything before the first element: the XML declaration, comments, processing
    instructions and whitespace. Comments and instructions are skipped however long they are, so a
    declaration cannot hide behind a long comment.
    """
    buf = fh.read(1 << 16)
    if _DOCTYPE_RE.search(buf[:4096]):
        return True
    if buf.startswith(b"\xef\xbb\xbf"):
        buf = buf[3:]
    end = None  # the terminator looked for while inside a comment or instruction
    eof = False
    while True:
        if end is not None:
            k = buf.find(end)
            while k < 0:
                chunk = fh.read(1 << 16)
                if not chunk:
                    return False
                buf = buf[-(len(end) - 1) :] + chunk
                k = buf.find(end)
            buf, end = buf[k + len(end) :], None
        buf = buf.lstrip(b" \t\r\n")
        while len(buf) < 16 and not eof:
            chunk = fh.read(1 << 16)
            eof = not chunk
            buf = (buf + chunk).lstrip(b" \t\r\n")
        if buf.startswith(b"<?"):
            buf, end = buf[2:], b"?>"
        elif buf.startswith(b"<!--"):
            buf, end = buf[4:], b"-->"
        else:
            return bool(_DOCTYPE_RE.match(buf))
