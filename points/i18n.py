"""Translation catalogues: compile each ``messages.po`` into the ``.mo`` Flask-Babel reads.

Chinese is written as the msgid everywhere, so only the English catalogue exists. The
``.mo`` files are build products and not committed; ``create_app`` calls
``compile_catalogues`` so a fresh clone (or a ``.po`` edited after the last compile)
serves translated pages without a separate build step.
"""
import logging
import os
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
# gettext's defaults (_ gettext ngettext N_ …) plus Flask-Babel's lazy forms.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}


def stale_catalogues(directory):
    """The ``.po`` files under ``directory`` whose ``.mo`` is missing or older."""
    stale = []
    for po_path in sorted(Path(directory).glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            stale.append(po_path)
    return stale


def compile_catalogue(po_path, *, use_fuzzy=False):
    """Write ``po_path``'s ``.mo`` atomically (parallel test workers may race here)."""
    po_path = Path(po_path)
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=po_path.parent.parent.name)
    fd, temp_name = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write_mo(handle, catalog, use_fuzzy=use_fuzzy)
        os.replace(temp_name, po_path.with_suffix(".mo"))
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return catalog


def compile_catalogues(directory):
    """Compile every stale catalogue under ``directory``; return the paths compiled.

    A read-only install keeps whatever ``.mo`` it has (Chinese needs none), with a warning.
    """
    stale = stale_catalogues(directory)
    for po_path in stale:
        try:
            compile_catalogue(po_path)
        except OSError as error:
            log.warning("could not compile %s: %s", po_path, error)
    return stale


def extract_messages(root=ROOT):
    """Every translatable msgid in the source, as ``babel.cfg`` maps it (a template catalogue)."""
    root = Path(root)
    with (root / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, filename="babel.cfg")
    template = Catalog(project="积分超市", charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            root, method_map, options_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True, directory_filter=_wanted_directory):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def _wanted_directory(path):
    # Babel's default skips every "_*" folder, which would lose templates/_macros/.
    name = os.path.basename(path)
    return not (name.startswith(".") or name.startswith("__") or name == "node_modules")


def untranslated(catalog):
    """The msgids of ``catalog`` with no translation, or only a fuzzy one."""
    return [message.id for message in catalog
            if message.id and (message.fuzzy or not message.string
                               or (isinstance(message.string, tuple) and not all(message.string)))]
