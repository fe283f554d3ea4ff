"""Progress of the batch jobs (``ledger expire``, ``coupons issue --all``, ``gamification
refresh``, ``settlements run``): a bar on a terminal, and a count line per chunk.

Each count line goes to the ``jifen.batch`` logger, and is printed as well: above the bar
on a terminal (the bar is drawn again under it), as a plain line otherwise (cron, a pipe,
the tests), where no bar is drawn at all.
"""
import logging
import sys

import click

logger = logging.getLogger("jifen.batch")


class Progress:
    """``with Progress("expiry", total) as progress:`` then, per chunk, ``progress.step()``
    and ``progress.say(f"expiry: {progress.position()} communities, ...")``."""

    def __init__(self, label, total, *, file=None):
        self.label, self.total, self.done = label, total, 0
        self.file = file or sys.stdout
        self.bar = None
        try:
            self.tty = self.file.isatty()
        except (AttributeError, ValueError):
            self.tty = False

    def __enter__(self):
        if self.tty and self.total:
            self.bar = click.progressbar(length=self.total, label=self.label, file=self.file,
                                         show_pos=True, show_eta=True)
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False

    def step(self, n=1):
        """``n`` more chunks done (then ``say`` the counts: ``position()`` is up to date)."""
        self.done += n
        if self.bar is not None:
            self.bar.update(n)

    def say(self, line):
        logger.info(line)
        if self.bar is not None:
            click.echo("\r\033[K" + line, file=self.file)
            self.bar._last_line = None  # the line wiped the bar: draw it again under it
            self.bar.render_progress()
        else:
            click.echo(line, file=self.file)

    def position(self):
        """``37/200``: chunks done of all."""
        return f"{self.done}/{self.total}"
