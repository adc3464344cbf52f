"""What the browser tests share: running the studio's services beside Playwright."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


def off_the_browser_thread(function, *args, **kwargs):
    """Run a service as a view would, in a thread of its own: Playwright's loop owns the
    test's thread, and the services push to the channel layer with async_to_sync, which
    refuses a thread with a running loop."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(function, *args, **kwargs).result()
