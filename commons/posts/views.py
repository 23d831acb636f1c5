"""Browsing and searching posts, a post's page, and posting, editing, closing, renewing."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from ..communities.permissions import NotAllowed
from ..database import now_utc
from ..errors import render_error
from ..extensions import htmx
from ..limits import member_limit
from ..suggestions import services as suggestions
from ..web import form_error_status, query_arg, redirect_to, render_page_or_partial
from . import services
from .forms import PostForm, split_tags
from .models import CATEGORIES, WEEKDAY_KEYS, WEEKDAY_NAMES, Post
from .results_cache import RenderedResults
from .visibility import communities_in_view, visibility_key

bp = Blueprint("posts", __name__, url_prefix="/posts")


@bp.errorhandler(NotAllowed)
def _not_allowed(error: NotAllowed):
    return render_error(403, detail=str(error))


def _filters() -> services.BrowseFilters:
    args = request.args
    within = args.get("within_km", type=float)
    return services.BrowseFilters(
        kind=args.get("kind", ""),
        category=args.get("category", ""),
        tag=query_arg("tag", 40),
        community=query_arg("community", 80),
        within_km=within if within and 0 < within <= 200 else None,
        status="all" if args.get("status") == "all" else "open",
        q=query_arg("q", 200),
        sort=args.get("sort", "newest") if args.get("sort") in services.SORTS else "newest",
        page=max(1, min(args.get("page", 1, type=int) or 1, 10_000)),
    )


@bp.record_once
def _keep_rendered_results(state) -> None:
    state.app.extensions["posts.rendered_results"] = RenderedResults()


@bp.app_context_processor
def _weekdays() -> dict:
    return {"weekdays": list(zip(WEEKDAY_KEYS, WEEKDAY_NAMES, strict=True))}


@bp.get("")
def browse():
    filters = _filters()
    results_html = _rendered_results(filters)
    communities = [] if htmx else communities_in_view(current_user)
    return render_page_or_partial(
        "posts/browse.html",
        "posts/_results_rendered.html",
        results_html=results_html,
        filters=filters,
        categories=CATEGORIES,
        communities=communities,
    )


def _rendered_results(filters: services.BrowseFilters) -> Markup:
    """The results block, from this worker's cache while no post has changed."""
    now = now_utc()

    def render() -> tuple[Markup, datetime | None]:
        page = services.browse(current_user, filters)
        html = render_template(
            "posts/_results.html", results=page, display_status=services.display_status
        )
        return Markup(html), services.first_expiry(page, after=now)

    key = (visibility_key(current_user), tuple(sorted(request.args.items(multi=True))))
    cache: RenderedResults = current_app.extensions["posts.rendered_results"]
    return cache.get_or_render(key, services.posts_changed_at(), now, render)


def _form_with_choices(form: PostForm) -> PostForm:
    form.community.choices = [
        (str(c.id), c.name) for c in services.postable_communities(current_user)
    ]
    return form


def _input(form: PostForm) -> services.PostInput:
    return services.PostInput(
        kind=form.kind.data,
        title=form.title.data,
        description=form.description.data or "",
        category=form.category.data,
        community_id=int(form.community.data),
        tags=split_tags(form.tags.data),
        capacity=form.capacity.data or 1,
        visibility=form.visibility.data,
        is_standing=form.is_standing.data,
        lifetime_days=form.lifetime_days.data or 30,
        on_behalf_of=form.on_behalf_of.data or None,
        request_key=form.request_key.data or None,
        when=list(form.when.data or []),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
@member_limit("POST_LIMIT")
def create():
    form = _form_with_choices(PostForm(kind=request.args.get("kind", "offer")))
    if not form.community.choices:
        flash("Join a community first: posts are shared with a community.", "info")
        return redirect_to(url_for("communities.directory"))
    if form.validate_on_submit():
        try:
            post = services.create_post(current_user, _input(form))
        except services.PostError as exc:
            form.category.errors = [*form.category.errors, str(exc)]
        else:
            suggestions.alert_matches(post)
            flash("Your post is up. We'll tell you when someone answers.", "success")
            return redirect_to(url_for("posts.show", post_id=post.id))
    status = form_error_status(form) if request.method == "POST" else 200
    return render_page_or_partial(
        "posts/new.html", "posts/_post_form.html", status, form=form, post=None
    )


def _visible_or_404(post_id: int) -> Post:
    post = services.get_visible(current_user, post_id)
    if post is None:
        abort(404)
    return post


@bp.get("/<int:post_id>")
def show(post_id: int):
    post = _visible_or_404(post_id)
    return render_page_or_partial(
        "posts/show.html",
        "posts/_post.html",
        post=post,
        post_status=services.display_status(post),
        can_manage=services.can_manage(current_user, post),
    )


@bp.route("/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    post = _visible_or_404(post_id)
    services.require_manage(current_user, post)
    saved = {
        "kind": post.kind,
        "title": post.title,
        "description": post.description,
        "category": post.category,
        "tags": ", ".join(post.tag_names),
        "community": str(post.community_id),
        "capacity": post.capacity,
        "visibility": post.visibility,
        "is_standing": post.is_standing,
        "on_behalf_of": post.on_behalf_of or "",
        "when": post.when_keys,
    }
    form = _form_with_choices(PostForm(data=saved if request.method == "GET" else None))
    form.community.choices = [(str(post.community_id), post.community.name)]
    if form.validate_on_submit():
        try:
            services.update_post(current_user, post, _input(form))
        except services.PostError as exc:
            form.capacity.errors = [*form.capacity.errors, str(exc)]
        else:
            flash("Your changes are saved.", "success")
            return redirect_to(url_for("posts.show", post_id=post.id))
    status = form_error_status(form) if request.method == "POST" else 200
    return render_page_or_partial(
        "posts/edit.html", "posts/_post_form.html", status, form=form, post=post
    )


@bp.post("/<int:post_id>/close")
@login_required
def close(post_id: int):
    post = _visible_or_404(post_id)
    try:
        services.close_post(current_user, post)
    except services.PostError as exc:
        flash(str(exc), "info")
    else:
        flash("The post is closed. You can renew it any time.", "success")
    return redirect_to(url_for("posts.show", post_id=post.id))


@bp.post("/<int:post_id>/renew")
@login_required
def renew(post_id: int):
    post = _visible_or_404(post_id)
    services.renew_post(current_user, post)
    until = "" if post.is_standing else f" until {post.expires_at:%d %b %Y}"
    flash(f"The post is open again{until}.", "success")
    return redirect_to(url_for("posts.show", post_id=post.id))


@bp.post("/<int:post_id>/follow")
@login_required
def follow(post_id: int):
    post = _visible_or_404(post_id)
    services.follow(current_user, post)
    flash("We'll tell you when this is fulfilled.", "success")
    return redirect_to(url_for("posts.show", post_id=post.id))
