"""Comments on shots and takes: posting (pinned to a point of a still, or to a point and a
time range of a clip), threads, @mentions of the project's members, resolve and reopen,
and the live push of each change to every open page of the project.

A thread renders the same for everyone who may see the project (the push is rendered
once); what a viewer may not do is left out on page load and hidden by review.js in a
push, and refused by the views in any case.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from generations.models import Generation, GenerationOutput
from projects import activity, realtime
from projects.models import Project, Verb
from review import links
from review.models import Comment, ReviewLink
from storyboards.models import Shot, Take

TEMPLATE = "review/comments.html"
MAX_BODY = 4000
# A clip's duration is measured from its file; a playhead may sit a hair past it.
TIME_SLACK = 0.05
# `@name` where a username starts: not inside an e-mail address or a word.
MENTION = re.compile(r"(?<![\w@])@([\w.@+-]*[\w+-])")


class CommentRejected(ValueError):
    """The comment cannot be posted as it is; the message says why, for the form."""


# --- who may be mentioned ---------------------------------------------------------------


def members(project: Project) -> dict[str, settings.AUTH_USER_MODEL]:
    """The project's people (owner and members) by lower-cased username."""
    people = get_user_model().objects.filter(
        Q(pk=project.owner_id) | Q(project_memberships__project=project)
    )
    return {person.get_username().lower(): person for person in people.distinct()}


def mentioned(body: str, people: dict[str, settings.AUTH_USER_MODEL]) -> list:
    """The members `body` mentions, each once, in order; a name not on the project is text."""
    found = []
    for match in MENTION.finditer(body):
        person = people.get(match.group(1).lower())
        if person is not None and person not in found:
            found.append(person)
    return found


def with_mentions(body: str, usernames: Iterable[str]) -> SafeString:
    """The body escaped, with the @mentions of members marked (everything else as text)."""
    known = {name.lower() for name in usernames}
    parts, last = [], 0
    for match in MENTION.finditer(body):
        if match.group(1).lower() not in known:
            continue
        parts += [escape(body[last : match.start()]), '<span class="mention">']
        parts += [escape(match.group(0)), "</span>"]
        last = match.end()
    parts.append(escape(body[last:]))
    return mark_safe("".join(parts))


# --- posting ------------------------------------------------------------------------------


def clip_duration(generation: Generation) -> float | None:
    """The length of the generation's clip in seconds, None for a still (or no output)."""
    output = generation.outputs.filter(kind=GenerationOutput.Kind.VIDEO).first()
    return output.duration if output is not None else None


def _check(
    *,
    project: Project,
    body: str,
    shot: Shot | None,
    generation: Generation | None,
    parent: Comment | None,
    pin: tuple[float | None, float | None],
    times: tuple[float | None, float | None],
) -> None:
    if (shot is None) == (generation is None):
        raise CommentRejected("A comment is on a shot or on a take, one of the two.")
    if shot is not None and shot.storyboard.project_id != project.pk:
        raise CommentRejected("That shot is not in this project.")
    if generation is not None and generation.project_id != project.pk:
        raise CommentRejected("That take is not in this project.")
    if not body:
        raise CommentRejected("Write a comment first.")
    if len(body) > MAX_BODY:
        raise CommentRejected(f"A comment is at most {MAX_BODY} characters ({len(body)} now).")
    if parent is not None and (
        parent.project_id != project.pk
        or parent.shot_id != (shot.pk if shot else None)
        or parent.generation_id != (generation.pk if generation else None)
    ):
        raise CommentRejected("A reply belongs to a thread on the same shot or take.")
    pinned = [value is not None for value in pin]
    if any(pinned):
        if not all(pinned) or not all(0 <= value <= 1 for value in pin):
            raise CommentRejected("A pin is a point inside the picture.")
        if generation is None or parent is not None:
            raise CommentRejected("Pins go on a take's picture, in a thread's first comment.")
    start, end = times
    if start is not None or end is not None:
        duration = clip_duration(generation) if generation is not None and parent is None else None
        if duration is None:
            raise CommentRejected("A time range goes on a clip, in a thread's first comment.")
        if start is None or end is None or not 0 <= start <= end <= duration + TIME_SLACK:
            raise CommentRejected(f"The time range is inside the clip: 0 to {duration:.1f} s.")


def post_comment(
    *,
    project: Project,
    body: str,
    user: settings.AUTH_USER_MODEL | None = None,
    guest_name: str = "",
    review_link: ReviewLink | None = None,
    shot: Shot | None = None,
    generation: Generation | None = None,
    parent: Comment | None = None,
    pin_x: float | None = None,
    pin_y: float | None = None,
    time_start: float | None = None,
    time_end: float | None = None,
) -> Comment:
    """Post a comment (or a reply) on a shot or a take, record it in the project's
    activity with a notification for each member it @mentions, and after commit push it
    (and the counts it changes) to the project's open pages. Raises CommentRejected."""
    body = (body or "").strip()
    guest_name = (guest_name or "").strip()[:80]
    if user is None and not guest_name:
        raise CommentRejected("Say who you are: your name.")
    if parent is not None and parent.parent_id is not None:
        parent = parent.parent  # a reply to a reply joins the same thread
    _check(
        project=project,
        body=body,
        shot=shot,
        generation=generation,
        parent=parent,
        pin=(pin_x, pin_y),
        times=(time_start, time_end),
    )
    with transaction.atomic():
        comment = Comment.objects.create(
            project=project,
            shot=shot,
            generation=generation,
            parent=parent,
            author=user,
            guest_name="" if user is not None else guest_name,
            review_link=review_link,
            body=body,
            pin_x=pin_x,
            pin_y=pin_y,
            time_start=time_start,
            time_end=time_end,
        )
        activity.record(
            project=project,
            verb=Verb.COMMENTED,
            summary=f"{_where(comment)}: “{_excerpt(body)}”",
            link=link_to(comment),
            actor=user,
            guest_name=comment.guest_name,
            # Most comments name no one: they are spared the query for the members.
            notify=mentioned(body, members(project)) if MENTION.search(body) else [],
        )
        transaction.on_commit(lambda: push_comment(comment.pk, new=True), robust=True)
        # Review links: the open guest pages that share its shot see it too.
        transaction.on_commit(lambda: links.push_comment(comment_id=comment.pk), robust=True)
    return comment


def resolve_comment(*, comment: Comment, user: settings.AUTH_USER_MODEL) -> Comment:
    """Mark a thread resolved (it folds away under "Show resolved"), record it, push it."""
    return _set_resolved(comment=comment, user=user, resolved=True)


def reopen_comment(*, comment: Comment, user: settings.AUTH_USER_MODEL) -> Comment:
    """Open a resolved thread again, record it, push it."""
    return _set_resolved(comment=comment, user=user, resolved=False)


def _set_resolved(*, comment: Comment, user, resolved: bool) -> Comment:
    thread = comment.parent if comment.parent_id else comment
    if thread.is_resolved == resolved:
        return thread
    with transaction.atomic():
        thread.resolved_at = timezone.now() if resolved else None
        thread.resolved_by = user if resolved else None
        thread.save(update_fields=["resolved_at", "resolved_by"])
        activity.record(
            project=thread.project,
            verb=Verb.RESOLVED if resolved else Verb.REOPENED,
            summary=f"{_where(thread)}: “{_excerpt(thread.body)}”",
            link=link_to(thread),
            actor=user,
            notify=[thread.author] if thread.author_id else [],
        )
        transaction.on_commit(lambda: push_comment(thread.pk), robust=True)
    return thread


def may_resolve(project: Project, user, comment: Comment) -> bool:
    """Editors resolve any thread; anyone who started one may resolve their own."""
    thread = comment.parent if comment.parent_id else comment
    return project.can_edit or (thread.author_id is not None and thread.author_id == user.pk)


def _excerpt(body: str) -> str:
    text = " ".join(body.split())
    return text if len(text) <= 80 else text[:79] + "…"


def _take_of(generation: Generation) -> Take | None:
    return Take.objects.select_related("shot__storyboard").filter(generation=generation).first()


def _where(comment: Comment) -> str:
    if comment.shot_id:
        shot = comment.shot
        return f"shot {shot.number} of {shot.storyboard.title}"
    take = _take_of(comment.generation)
    if take is not None:
        return f"take #{comment.generation_id} of shot {take.shot.number}"
    return f"#{comment.generation_id}"


def link_to(comment: Comment) -> str:
    """Where a comment is read: its shot's page (a take's comments show there too), else
    its generation's page."""
    if comment.shot_id:
        subject = comment.shot
    else:
        take = _take_of(comment.generation)
        subject = take.shot if take is not None else comment.generation
    return f"{subject.get_absolute_url()}#comment-{comment.parent_id or comment.pk}"


# --- reading -------------------------------------------------------------------------------


def threads_for(*, shots: Iterable[int] = (), generations: Iterable[int] = ()) -> QuerySet[Comment]:
    """The threads (first comments) on these shots and takes, oldest first, with their
    replies and people in two queries more."""
    return (
        Comment.objects.filter(parent__isnull=True)
        .filter(Q(shot_id__in=list(shots)) | Q(generation_id__in=list(generations)))
        .select_related("author", "resolved_by")
        .prefetch_related("replies__author")
    )


def number_pins(threads: list[Comment]) -> None:
    """Each pinned thread's number on its picture: 1, 2, 3 in the order they were posted."""
    counters: dict[int, int] = defaultdict(int)
    for thread in threads:
        if thread.is_pinned:
            counters[thread.generation_id] += 1
            thread.pin_number = counters[thread.generation_id]


@dataclass(frozen=True)
class Counts:
    total: int = 0  # comments, replies included
    open: int = 0  # threads not resolved


def counts_by_generation(ids: Iterable[int]) -> dict[int, Counts]:
    """Each of these takes' comments (every id is in the answer, with 0 if none)."""
    ids = list(ids)
    rows = (
        Comment.objects.filter(generation_id__in=ids)
        .order_by()
        .values("generation_id")
        .annotate(total=Count("pk"), open=_OPEN)
    )
    found = {row["generation_id"]: Counts(row["total"], row["open"]) for row in rows}
    return {pk: found.get(pk, Counts()) for pk in ids}


def counts_by_shot(shot_ids: Iterable[int]) -> dict[int, Counts]:
    """Each shot's comments, its takes' included, in one query (every id in the answer)."""
    shot_ids = list(shot_ids)
    rows = (
        Comment.objects.filter(
            Q(shot_id__in=shot_ids) | Q(generation__storyboard_take__shot_id__in=shot_ids)
        )
        .order_by()
        .values("shot_id", "generation__storyboard_take__shot_id")
        .annotate(total=Count("pk"), open=_OPEN)
    )
    totals: dict[int, list[int]] = {pk: [0, 0] for pk in shot_ids}
    for row in rows:
        shot_id = row["shot_id"] or row["generation__storyboard_take__shot_id"]
        if shot_id not in totals:
            continue
        totals[shot_id][0] += row["total"]
        totals[shot_id][1] += row["open"]
    return {pk: Counts(*pair) for pk, pair in totals.items()}


_OPEN = Count("pk", filter=Q(parent__isnull=True, resolved_at__isnull=True))


# --- the panel ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """A take's picture that comments pin to (a still, or a clip and its time)."""

    generation: Generation
    output: GenerationOutput
    take_id: int | None = None
    is_keeper: bool = False

    @property
    def is_video(self) -> bool:
        return self.output.kind == GenerationOutput.Kind.VIDEO


def subject_context(project: Project, subject: Shot | Generation) -> dict:
    """What the composer of a shot (its takes to choose from) or a take needs."""
    if isinstance(subject, Shot):
        takes = Take.objects.filter(shot=subject).select_related("generation")
        takes = list(takes.prefetch_related("generation__outputs").order_by("-pk"))
        stages = [
            Stage(take.generation, outputs[0], take.pk, take.pk == subject.keeper_id)
            for take in takes
            if (outputs := list(take.generation.outputs.all()))
        ]
        stages.sort(key=lambda stage: not stage.is_keeper)  # the keeper is commented first
        return {
            "key": f"shot-{subject.pk}",
            "shot": subject,
            "stages": stages,
            "generation_ids": [take.generation_id for take in takes],
            "post_url": reverse("review:post_on_shot", args=[project.pk, subject.pk]),
        }
    outputs = list(subject.outputs.all())
    return {
        "key": f"generation-{subject.pk}",
        "stages": [Stage(subject, outputs[0])] if outputs else [],
        "generation_ids": [subject.pk],
        "post_url": reverse("review:post_on_generation", args=[project.pk, subject.pk]),
    }


def panel_context(*, project: Project, user, subject: Shot | Generation) -> dict:
    """A shot's or a take's comments as its page shows them to this person."""
    context = subject_context(project, subject)
    shots = [subject.pk] if isinstance(subject, Shot) else []
    threads = list(threads_for(shots=shots, generations=context["generation_ids"]))
    number_pins(threads)
    usernames = sorted(person.get_username() for person in members(project).values())
    return {
        **context,
        "project": project,
        "threads": threads,
        "resolved_count": sum(1 for thread in threads if thread.is_resolved),
        "usernames": usernames,
        "can_edit": project.can_edit,
        "viewer_id": user.pk,
        "json_id": f"comment-members-{context['key']}",
    }


def render_composer(
    request: HttpRequest,
    *,
    project: Project,
    subject: Shot | Generation,
    error: str = "",
    data: dict | None = None,
) -> str:
    context = {**subject_context(project, subject), "project": project, "error": error}
    context["body"] = (data or {}).get("body", "")
    return render_to_string(f"{TEMPLATE}#composer", context, request=request)


def render_thread(
    request: HttpRequest, *, thread: Comment, reply_error: str = "", reply_body: str = ""
) -> str:
    """A thread out of band, its reply form open with what was typed and why it failed."""
    context = _thread_context(thread)
    del context["csrf_token"]  # this answer is for this page alone
    context.update(reply_error=reply_error, reply_body=reply_body)
    return render_to_string(f"{TEMPLATE}#push", context, request=request)


# --- pushing -------------------------------------------------------------------------------


def push_comment(comment_id: int, *, new: bool = False) -> None:
    """Send a thread as it is now, and the counts around it, to the project's pages."""
    comment = Comment.objects.filter(pk=comment_id).first()
    if comment is not None:
        realtime.push_html(comment.project_id, _render_push(comment, new=new))


def render_push(comment_id: int, *, new: bool = False) -> str:
    """The out-of-band fragments for one changed comment: its thread (a new one added to
    every list that shows its shot or take, a changed one replaced where it is), and the
    counts of its shot and take."""
    return _render_push(Comment.objects.get(pk=comment_id), new=new)


def _render_push(comment: Comment, *, new: bool) -> str:
    context = _thread_context(comment)
    context["new"] = new and context["thread"].pk == comment.pk
    return render_to_string(f"{TEMPLATE}#push", context)


def _thread_context(comment: Comment) -> dict:
    subjects = {"shots": [comment.shot_id or 0], "generations": [comment.generation_id or 0]}
    threads = threads_for(**subjects).select_related("project")
    thread = threads.get(pk=comment.parent_id or comment.pk)
    if thread.is_pinned:
        earlier = Comment.objects.filter(
            generation_id=thread.generation_id, parent__isnull=True, pin_x__isnull=False
        )
        thread.pin_number = earlier.filter(pk__lte=thread.pk).count()
    if thread.shot_id:
        shot_ids = [thread.shot_id]
    else:
        takes = Take.objects.filter(generation_id=thread.generation_id)
        shot_ids = list(takes.values_list("shot_id", flat=True))
    lists = [f"shot-{pk}" for pk in shot_ids]
    if thread.generation_id:
        lists.append(f"generation-{thread.generation_id}")
    by_shot = counts_by_shot(shot_ids)
    by_generation = counts_by_generation([thread.generation_id] if thread.generation_id else [])
    return {
        "thread": thread,
        "project": thread.project,
        "new": False,
        "lists": lists,
        "usernames": list(members(thread.project)),
        # The badges on shot tiles and take cards, replaced by id.
        "counts": [(f"shot-{pk}-comments", count) for pk, count in by_shot.items()]
        + [(f"generation-{pk}-comments", count) for pk, count in by_generation.items()],
        "all_controls": True,
        # Sent to everyone on the project: no one's CSRF token (htmx sends each page's own).
        "csrf_token": "NOTPROVIDED",
    }
