"""core.pdf.check_pdf: active PDF content is refused after parsing, whatever its spelling or packing."""

import io
import logging
import re
import warnings
import zlib

import pytest
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from core import pdf
from core.pdf import MESSAGES, PdfRefused, check_pdf

# The byte pattern attachments used before core.pdf: the bypass tests prove it misses what check_pdf catches.
OLD_REGEX = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)(?![A-Za-z])")

PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"


def page(extra: bytes = b"") -> bytes:
    return b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + extra + b" >>"


def build_pdf(*objects: bytes) -> bytes:
    """A PDF 1.4 with a classic xref table; objects are numbered from 1, object 1 is the catalog."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def simple_pdf(catalog_extra: bytes = b"", page_extra: bytes = b"", *more: bytes) -> bytes:
    """Catalog (1), page tree (2), one page (3), then `more` objects numbered from 4."""
    return build_pdf(b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>", PAGES, page(page_extra), *more)


def objstm_pdf(action: bytes, hidden: bytes = b"") -> bytes:
    """A PDF 1.5 whose /OpenAction (object 4) lives only inside a FlateDecode /ObjStm (object 5), indexed by an
    xref stream (object 6). `hidden` is packed as object 7, which no xref entry points to."""
    header = b"4 0 7 %d " % (len(action) + 1) if hidden else b"4 0 "
    packed = zlib.compress(header + action + b" " + hidden)
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    plain = {
        1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        2: PAGES,
        3: page(),
        5: b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        % (2 if hidden else 1, len(header), len(packed), packed),
    }
    for number, body in plain.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    offsets[6] = len(out)
    rows = [b"\x00" + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")]
    rows += [b"\x01" + offsets[n].to_bytes(4, "big") + b"\x00\x00" for n in (1, 2, 3)]
    rows.append(b"\x02" + (5).to_bytes(4, "big") + (0).to_bytes(2, "big"))  # object 4: stream 5, index 0
    rows += [b"\x01" + offsets[n].to_bytes(4, "big") + b"\x00\x00" for n in (5, 6)]
    table = b"".join(rows)
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (
        len(table),
        table,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[6]
    return bytes(out)


def writer_bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def blank_writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return writer


def document_js_writer() -> PdfWriter:
    """A blank page plus a document-level script in the /Names /JavaScript name tree, built with pypdf objects."""
    writer = blank_writer()
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1);")}
    )
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("init"), action])})
    writer.root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})
    return writer


def refused(data: bytes) -> str:
    with pytest.raises(PdfRefused) as caught:
        check_pdf(data)
    assert caught.value.message == MESSAGES[caught.value.code] == str(caught.value)
    return caught.value.code


# --- accepted --------------------------------------------------------------------------------------------------


def test_clean_pypdf_page_is_accepted():
    assert check_pdf(writer_bytes(blank_writer())) is None


def test_clean_hand_written_pdfs_are_accepted():
    assert check_pdf(simple_pdf()) is None
    # Harmless things real exports contain: a go-to-page open action, web links, an empty AcroForm, metadata.
    link = b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://example.org/) >> >>"
    assert (
        check_pdf(simple_pdf(b"/OpenAction [3 0 R /Fit] /AcroForm << /Fields [] >>", b"/Annots [4 0 R]", link)) is None
    )
    assert check_pdf(objstm_pdf(b"<< /S /GoTo /D [3 0 R /Fit] >>")) is None


def test_reference_cycles_terminate():
    assert (
        check_pdf(simple_pdf(b"/Outlines 4 0 R", b"", b"<< /First 5 0 R >>", b"<< /Parent 4 0 R /Next 5 0 R >>"))
        is None
    )


def test_owner_password_only_pdf_is_inspected():
    writer = blank_writer()
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    assert check_pdf(writer_bytes(writer)) is None
    writer = document_js_writer()
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    assert refused(writer_bytes(writer)) == "javascript"


# --- JavaScript --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, escaped",
    [
        (b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>", False),
        (b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>", True),
        (b"<< /S /J#61vaScript /J#73 (app.alert\\(1\\)) >>", True),  # /Js is no key we know: /S alone decides
        (b"<< /Type /Action /J#53 (app.alert\\(1\\)) >>", True),  # no /S at all, /JS alone decides
        (b"<< /S /#4a#61#76#61#53#63#72#69#70#74 >>", True),
    ],
)
def test_javascript_open_action_is_refused(action, escaped):
    data = simple_pdf(b"/OpenAction 4 0 R", b"", action)
    assert bool(OLD_REGEX.search(data)) is not escaped
    assert refused(data) == "javascript"


def test_javascript_in_compressed_object_stream_is_refused():
    data = objstm_pdf(b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>")
    assert b"JavaScript" not in data and b"/JS" not in data and not OLD_REGEX.search(data)
    assert refused(data) == "javascript"


def test_hidden_member_of_object_stream_is_refused():
    data = objstm_pdf(b"<< /S /GoTo /D [3 0 R /Fit] >>", hidden=b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>")
    assert b"JavaScript" not in data
    assert refused(data) == "javascript"


def test_document_javascript_name_tree_is_refused():
    assert refused(writer_bytes(document_js_writer())) == "javascript"
    tree = b"/Names << /J#61vaScript << /Names [(init) 4 0 R] >> >>"
    assert refused(simple_pdf(tree, b"", b"<< /Type /Filespec >>")) == "javascript"  # the tree alone suffices


def test_annotation_action_is_refused():
    annot = b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /JavaScript /JS (app.alert\\(1\\)) >> >>"
    assert refused(simple_pdf(b"", b"/Annots [4 0 R]", annot)) == "javascript"


def test_action_chain_next_is_refused():
    annot = b"<< /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://x/) /Next [5 0 R] >> >>"
    assert (
        refused(simple_pdf(b"", b"/Annots [4 0 R]", annot, b"<< /S /J#61vaScript /JS 6 0 R >>", b"(x)")) == "javascript"
    )


def test_page_additional_action_is_refused():
    assert refused(simple_pdf(b"", b"/AA << /O << /S /JavaScript /JS (x) >> >>")) == "javascript"


def test_orphan_object_with_script_is_refused():
    # Not referenced from the catalog, but listed in the xref: a repairing viewer may still pick it up.
    assert refused(simple_pdf(b"", b"", b"<< /S /JavaScript /JS (x) >>")) == "javascript"


# --- other actions, embedded content, forms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, code",
    [
        (b"<< /S /L#61unch /F (calc.exe) >>", "action"),
        (b"<< /S /Launch /Win << /F (cmd.exe) >> >>", "action"),
        (b"<< /S /SubmitForm /F (https://evil.example/) >>", "action"),
        (b"<< /S /ImportData /F (data.fdf) >>", "action"),
        (b"<< /S /GoToR /F (\\\\\\\\host\\\\share\\\\x.pdf) /D [0 /Fit] >>", "action"),
        (b"<< /S /GoToE /T << /R /C /N (a.pdf) >> /D [0 /Fit] >>", "embedded"),
    ],
)
def test_dangerous_actions_are_refused(action, code):
    assert refused(simple_pdf(b"/OpenAction 4 0 R", b"", action)) == code


def test_hex_escaped_launch_evades_old_regex_but_not_check_pdf():
    data = simple_pdf(b"/OpenAction 4 0 R", b"", b"<< /S /L#61unch /F (calc.exe) >>")
    assert not OLD_REGEX.search(data)
    assert refused(data) == "action"


def test_embedded_file_is_refused():
    writer = blank_writer()
    writer.add_attachment("payload.exe", b"MZ\x90\x00")
    assert refused(writer_bytes(writer)) == "embedded"


@pytest.mark.parametrize(
    "annot",
    [
        b"<< /Subtype /FileAttachment /Rect [0 0 10 10] /FS << /Type /Filespec /F (a.exe) >> >>",
        b"<< /Subtype /Rich#4dedia /Rect [0 0 10 10] >>",
    ],
)
def test_file_and_media_annotations_are_refused(annot):
    assert refused(simple_pdf(b"", b"/Annots [4 0 R]", annot)) == "embedded"


def test_acroform_with_field_is_refused():
    field = b"<< /FT /Tx /T (name) /Subtype /Widget /Rect [0 0 100 20] /P 3 0 R >>"
    assert refused(simple_pdf(b"/AcroForm << /Fields [4 0 R] >>", b"/Annots [4 0 R]", field)) == "form"


def test_xfa_form_is_refused():
    assert (
        refused(simple_pdf(b"/AcroForm << /Fields [] /XFA 4 0 R >>", b"", b"<< /Length 0 >>\nstream\n\nendstream"))
        == "form"
    )


# --- broken, encrypted, hostile ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"%PDF-",
        b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n",
        b"%PDF-1.4\ngarbage garbage\ntrailer << /Root 1 0 R >>\n%%EOF",
        b"not a pdf at all %%EOF",
    ],
)
def test_garbage_is_refused(data):
    assert refused(data) == "unreadable"


def test_truncated_pdf_is_refused():
    data = writer_bytes(blank_writer())
    assert refused(data[: len(data) // 2]) == "unreadable"


def test_pdf_without_pages_is_refused():
    assert refused(build_pdf(b"<< /Type /Catalog >>")) == "unreadable"


def test_user_password_pdf_is_refused():
    writer = blank_writer()
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    assert refused(writer_bytes(writer)) == "encrypted"


def test_deep_nesting_is_refused_not_crashing():
    assert refused(simple_pdf(b"/Deep " + b"[" * 50_000 + b"]" * 50_000)) in ("unreadable", "too_complex")


def test_object_budget(monkeypatch):
    monkeypatch.setattr(pdf, "MAX_OBJECTS", 5)
    assert refused(simple_pdf(b"", b"", *[b"<< /N %d >>" % i for i in range(10)])) == "too_complex"


def test_pypdf_is_quiet(caplog):
    good = simple_pdf()
    repaired = good.replace(b"startxref\n", b"startxref\n1").replace(b"0000000000 65535", b"0000000000 6553")
    broken = b"%PDF-1.4\n1 0 obj << /Broken\nstartxref\n99999\n%%EOF"
    with warnings.catch_warnings(), caplog.at_level(logging.DEBUG):
        warnings.simplefilter("error")
        for data in (repaired, broken, simple_pdf(b"/X 9 0 R")):  # repair, failure, dangling reference
            try:
                check_pdf(data)
            except PdfRefused:
                pass
    assert [record for record in caplog.records if record.name.startswith("pypdf")] == []


def test_messages_are_chinese_sentences():
    for message in MESSAGES.values():
        assert re.search(r"[\u4e00-\u9fff]", message) and message.endswith("。")
