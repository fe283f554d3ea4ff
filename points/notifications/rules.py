"""Pure checks on notifications."""

MAX_PAGE = 100


def page_size(limit):
    """A page of 1 to ``MAX_PAGE`` notifications."""
    return max(1, min(int(limit), MAX_PAGE))


def is_local_link(link):
    """Only paths inside the site: a notification never sends anyone elsewhere."""
    return bool(link) and link.startswith("/") and not link.startswith("//") and "\\" not in link


def ensure_local_link(link):
    if link is not None and not is_local_link(link):
        raise ValueError(f"notification link must be a path inside the site: {link!r}")


def body_parts(body):
    """``[[msgid, values], …]`` of a body given as a string, ``(msgid, values)`` or a list of
    those (values: JSON-safe, already formatted strings and numbers)."""
    if isinstance(body, str):
        return [[body, None]]
    if isinstance(body, tuple):
        return [[str(body[0]), {key: value if isinstance(value, int | str) else str(value)
                                for key, value in body[1].items()}]]
    return [part for item in body for part in body_parts(item)]


def _same(text):
    return text


def render(parts, translate=_same):
    """The body's text, each msgid passed through ``translate`` and filled with its values;
    text values go through ``translate`` too, so a badge's or a default type's name (itself
    a msgid) reads in the reader's language and anything else stays as it was written."""
    return "".join(
        translate(msgid) % {key: translate(value) if isinstance(value, str) and value else value
                            for key, value in values.items()}
        if values is not None else translate(msgid)
        for msgid, values in parts)


def shown(notification, translate):
    """``(title, body)`` of a notification in the reader's language (``translate``: the
    request's gettext); one sent before msgids were kept shows as it was stored."""
    message = notification.message
    if not message:
        return notification.title, notification.body
    return translate(message["title"]), render(message["body"], translate)
