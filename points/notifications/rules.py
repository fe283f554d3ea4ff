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
