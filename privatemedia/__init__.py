"""Serving stored files to the people allowed to see them.

Views check permission first (a 404 for anyone else), then hand the file here. Files
stream from storage in chunks read off the event loop, so a large video never sits in
memory, and answer conditional and range requests so browsers cache and seek.
"""
