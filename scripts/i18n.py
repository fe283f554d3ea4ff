#!/usr/bin/env python
"""Extract the Chinese msgids, update the English catalogue, compile it, report gaps.

    .venv/bin/python scripts/i18n.py           # extract, update, compile; exit 1 if gaps
    .venv/bin/python scripts/i18n.py --check   # only report; writes nothing

Chinese is the msgid, so ``translations/en/LC_MESSAGES/messages.po`` is the only
catalogue. New msgids arrive with an empty msgstr; translate them into plain English
and run the script again. Messages no longer in the source are dropped.
"""
import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from babel.messages.catalog import Catalog  # noqa: E402
from babel.messages.pofile import read_po, write_po  # noqa: E402

from points.i18n import compile_catalogue, extract_messages, untranslated  # noqa: E402

LOCALES = ("en",)
HEADER = ("# English for 积分超市. Chinese is the msgid; this file is updated by scripts/i18n.py.\n"
          "# Translate into plain English: many readers are elderly or new to the language.")


def po_path(locale):
    return ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po"


def load(locale):
    path = po_path(locale)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        return Catalog(locale=locale, project="积分超市", charset="utf-8", fuzzy=False)
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def update(locale, template):
    catalog = load(locale)
    # No fuzzy matching: a guess from a similar Chinese sentence is usually wrong.
    catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
    catalog.project, catalog.version = "积分超市", "0.1"
    catalog.header_comment = HEADER
    catalog.last_translator = catalog.language_team = "积分超市 <jifen@localhost>"
    catalog.msgid_bugs_address = ""
    with po_path(locale).open("wb") as handle:
        write_po(handle, catalog, width=100, ignore_obsolete=True, include_lineno=False)
    compile_catalogue(po_path(locale))
    return catalog


def check(locale, template):
    catalog = load(locale)
    missing = [message.id for message in template
               if message.id and catalog.get(message.id, context=message.context) is None]
    return missing + untranslated(catalog)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report only, write nothing")
    args = parser.parse_args(argv)
    template = extract_messages(ROOT)
    print(f"{len(template)} msgids in the source")
    gaps = 0
    for locale in LOCALES:
        if args.check:
            todo = check(locale, template)
        else:
            catalog = update(locale, template)
            todo = untranslated(catalog)
            problems = [(message.id, error) for message, errors in catalog.check() for error in errors]
            for msgid, error in problems:
                print(f"[{locale}] {error}: {msgid!r}")
            gaps += len(problems)
        for msgid in todo:
            print(f"[{locale}] untranslated: {msgid!r}")
        gaps += len(todo)
        print(f"[{locale}] {len(todo)} untranslated")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
