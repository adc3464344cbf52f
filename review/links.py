"""Review links: a storyboard (or some of its shots) shared with a client who has no
account, until the link expires or is revoked.

The token in the URL is the only key, looked up in the database. What a guest sees is
`shared_shots(link)`; media is served only for the keepers of those shots. Pages open on
a link join the channel group `review_link.<id>`: status changes and comments on the
shared shots are pushed there after commit, and revoking sends the group a close.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from zipstream import ZipStream

from generations.archive import read_stored
from generations.models import GenerationOutput
from projects import activity
from projects.models import Activity, Verb
from review import statuses
from review.models import Comment, ReviewLink
from storyboards.export import keeper_name
from storyboards.models import Shot, Storyboard

EXPIRY_DAYS = (1, 7, 30)
# Wrong passphrases a link takes before it refuses every try for a while: enough for a
# client's typos, far too few to guess even a short passphrase.
PASSPHRASE_TRIES = 8
PASSPHRASE_LOCKOUT = timedelta(minutes=15)
# Comments and decisions per link per window: a review is a few dozen, a flood is not.
POSTS_PER_WINDOW = 60
POST_WINDOW = timedelta(minutes=10)
TOKEN_MAX = 64

GUEST_TEMPLATE = "review/guest.html"


def link_group(link_id: int) -> str:
    return f"review_link.{link_id}"


def editor_path(link: ReviewLink) -> str:
    """Where the editors manage this link (the activity's link, and what counts visits)."""
    storyboard = link.storyboard
    path = reverse("review:links", args=[storyboard.project_id, storyboard.pk])
    return f"{path}#link-{link.pk}"


def link_name(link: ReviewLink) -> str:
    return f"“{link.label}”" if link.label else f"for “{link.storyboard.title}”"


# --- The editor's side --------------------------------------------------------------------


def create_link(
    *,
    storyboard: Storyboard,
    user: settings.AUTH_USER_MODEL,
    days: int = 7,
    passphrase: str = "",
    allow_download: bool = False,
    label: str = "",
    shots: Iterable[Shot] = (),
) -> ReviewLink:
    """A new link to `storyboard` (only `shots` of it, if any are given), open for `days`."""
    chosen = [shot for shot in shots if shot.storyboard_id == storyboard.pk]
    with transaction.atomic():
        link = ReviewLink(
            storyboard=storyboard,
            created_by=user,
            label=label.strip()[:120],
            expires_at=timezone.now() + timedelta(days=days),
            allow_download=allow_download,
            whole_board=not chosen,
        )
        link.set_passphrase(passphrase)
        link.save()
        link.shots.set(chosen)
        activity.record(
            project=storyboard.project,
            verb=Verb.SHARED,
            summary=f"{user.get_username()} shared “{storyboard.title}” for review "
            f"(link {link_name(link)}, {days} day{'s' if days != 1 else ''})",
            link=editor_path(link),
            actor=user,
        )
    return link


def revoke_link(*, link: ReviewLink, user: settings.AUTH_USER_MODEL) -> ReviewLink:
    """Close the link now: its pages answer 404 and open guest pages stop receiving."""
    if link.revoked_at is not None:
        return link
    with transaction.atomic():
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        activity.record(
            project=link.storyboard.project,
            verb=Verb.REVOKED,
            summary=f"{user.get_username()} revoked the review link {link_name(link)}",
            link=editor_path(link),
            actor=user,
        )
        link_id = link.pk
        transaction.on_commit(lambda: close_guest_pages(link_id), robust=True)
    return link


def links_for(storyboard: Storyboard) -> list[ReviewLink]:
    """The storyboard's links, newest first, each with `visits` (sessions that opened it)
    and `shot_count` (of a link that shares chosen shots)."""
    links = list(
        storyboard.review_links.select_related("created_by").annotate(shot_count=Count("shots"))
    )
    paths = {editor_path(link): link for link in links}
    visits = dict(
        Activity.objects.filter(
            project_id=storyboard.project_id, verb=Verb.GUEST_OPENED, link__in=list(paths)
        )
        .values_list("link")
        .annotate(count=Count("id"))
    )
    for path, link in paths.items():
        link.visits = visits.get(path, 0)
    return links


# --- The guest's side ---------------------------------------------------------------------


def open_link(token: str) -> ReviewLink:
    """The open link with this token; unknown, expired and revoked all answer the same 404."""
    if not token or len(token) > TOKEN_MAX:
        raise Http404("No such review link.")
    link = (
        ReviewLink.objects.open()
        .select_related("storyboard__project", "created_by")
        .filter(token=token)
        .first()
    )
    if link is None:
        raise Http404("No such review link.")
    return link


def shared_shots(link: ReviewLink) -> list[Shot]:
    """The shots a guest sees, in board order, with their keepers' outputs loaded."""
    return list(_shared(link).prefetch_related("takes__generation__outputs"))


def _shared(link: ReviewLink):
    shots = link.storyboard.shots.all()
    return shots if link.whole_board else shots.filter(review_links=link)


def shared_shot(link: ReviewLink, shot_id: int) -> Shot:
    """One shot the link shares; any other id is a 404."""
    found = _shared(link).filter(pk=shot_id).prefetch_related("takes__generation__outputs")
    shot = found.first()
    if shot is None:
        raise Http404("This link does not share that shot.")
    shot.storyboard = link.storyboard
    return shot


def keeper_output(shot: Shot) -> GenerationOutput | None:
    """The one file a guest may fetch for this shot: its keeper's first output."""
    return shot.keeper_output if shot.keeper_id else None


def shared_zip(link: ReviewLink) -> ZipStream:
    """The shared shots' keepers named by shot number and title, sized (no manifest: its
    credits and parameters are the studio's business, not the client's)."""
    archive = ZipStream(sized=True)
    for shot in shared_shots(link):
        output = keeper_output(shot)
        if output is None:
            continue
        name = output.file.name
        archive.add(read_stored(name), keeper_name(shot, output), size=default_storage.size(name))
    return archive


def visited(*, link: ReviewLink, guest_name: str) -> None:
    """A guest session opened the link (the caller makes it once per session)."""
    who = guest_name or "A guest"
    activity.record(
        project=link.storyboard.project,
        verb=Verb.GUEST_OPENED,
        summary=f"{who} opened the review link {link_name(link)}",
        link=editor_path(link),
        guest_name=guest_name,
    )


def downloaded(*, link: ReviewLink, guest_name: str, what: str) -> None:
    who = guest_name or "A guest"
    activity.record(
        project=link.storyboard.project,
        verb=Verb.GUEST_DOWNLOADED,
        summary=f"{who} downloaded {what} from the review link {link_name(link)}",
        link=editor_path(link),
        guest_name=guest_name,
    )


def passphrase_locked(link: ReviewLink) -> bool:
    return (cache.get(_tries_key(link)) or 0) >= PASSPHRASE_TRIES


def check_passphrase(link: ReviewLink, passphrase: str) -> bool:
    """Compare through the link's hash, counting every try before the (slow) hash, so
    parallel guesses cannot all pass the lock; a right one clears the count."""
    key = _tries_key(link)
    cache.add(key, 0, timeout=int(PASSPHRASE_LOCKOUT.total_seconds()))
    try:
        tries = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, tries := 1, timeout=int(PASSPHRASE_LOCKOUT.total_seconds()))
    if tries > PASSPHRASE_TRIES:
        return False
    if link.check_passphrase(passphrase):
        cache.delete(key)
        return True
    return False


def _tries_key(link: ReviewLink) -> str:
    return f"review-link-passphrase:{link.pk}"


def allow_post(link: ReviewLink) -> bool:
    """Whether a guest may post again on this link now (counts the post)."""
    window = int(timezone.now().timestamp() // POST_WINDOW.total_seconds())
    key = f"review-link-posts:{link.pk}:{window}"
    cache.add(key, 0, timeout=int(POST_WINDOW.total_seconds()) + 5)
    try:
        return cache.incr(key) <= POSTS_PER_WINDOW
    except ValueError:
        return True


# --- Live: what open guest pages receive --------------------------------------------------


def _send(link_id: int, message: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(link_group(link_id), message)


def close_guest_pages(link_id: int) -> None:
    """Every open page of the link closes its socket (the link was revoked)."""
    _send(link_id, {"type": "link.closed"})


def guest_comments(shot: Shot) -> list[Comment]:
    """What a guest reads under a shot: comments on it and on its keeper, oldest first."""
    on_shot = Q(shot=shot)
    if shot.keeper_id:
        on_shot |= Q(generation__storyboard_take=shot.keeper_id)
    return list(
        Comment.objects.filter(on_shot, project_id=shot.storyboard.project_id).select_related(
            "author"
        )
    )


def shot_fragments(shot: Shot, *, oob: bool = True) -> str:
    """The shot's status and comments as the guest page shows them, out of band."""
    shot.guest_comments = guest_comments(shot)
    context = {"shot": shot, "state": statuses.status_of(shot), "oob": oob}
    return render_to_string(f"{GUEST_TEMPLATE}#status", context) + render_to_string(
        f"{GUEST_TEMPLATE}#comments", context
    )


def push_shot(*, shot_id: int) -> None:
    """After commit: the shot's status and comments to every open link that shares it."""
    shot = Shot.objects.select_related("storyboard__project").filter(pk=shot_id).first()
    if shot is None:
        return
    open_links = ReviewLink.objects.open().filter(storyboard=shot.storyboard_id)
    receiving = [link.pk for link in open_links if _shares(link, shot)]
    if not receiving:
        return
    html = shot_fragments(shot)
    for link_id in receiving:
        _send(link_id, {"type": "guest.html", "html": html})


def push_comment(*, comment_id: int) -> None:
    """After commit: a comment's shot (or the shots keeping its take) to guest pages."""
    comment = Comment.objects.filter(pk=comment_id).first()
    if comment is None:
        return
    if comment.shot_id:
        shot_ids = [comment.shot_id]
    else:
        kept = Shot.objects.filter(keeper__generation=comment.generation_id)
        shot_ids = list(kept.values_list("pk", flat=True))
    for shot_id in shot_ids:
        push_shot(shot_id=shot_id)


def _shares(link: ReviewLink, shot: Shot) -> bool:
    return link.whole_board or link.shots.filter(pk=shot.pk).exists()


def sync_html(link_id: int) -> str | None:
    """Every shared shot's status and comments as they are now (on a socket's connect);
    None once the link is no longer open."""
    link = ReviewLink.objects.open().select_related("storyboard__project").filter(pk=link_id)
    found = link.first()
    if found is None:
        return None
    return "".join(shot_fragments(shot) for shot in shared_shots(found))
