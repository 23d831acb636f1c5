"""Mentor profiles, learning goals, finding mentors and mentorship requests."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_login import current_user, login_required

from ..errors import render_error
from ..extensions import htmx
from ..limits import member_limit
from ..web import form_error_status, query_arg, redirect_to, render_page_or_partial
from . import permissions, services
from .forms import AskForm, GoalForm, MentorForm
from .models import LearningGoal, MentorProfile, Mentorship

bp = Blueprint("mentorship", __name__)

DONE = {
    "accept": "Accepted. {learner} has been told: welcome your new learner!",
    "decline": "Declined. {learner} has been told.",
    "withdraw": "Your request is withdrawn. {mentor} has been told.",
    "end": "The mentorship has ended. {other} has been told.",
    "complete": "Marked as completed. Well done, both of you! {other} has been told.",
}


@bp.errorhandler(permissions.NotAllowed)
def _not_allowed(error: permissions.NotAllowed):
    return render_error(403, detail=str(error))


@bp.errorhandler(services.MentorNotFound)
@bp.errorhandler(services.GoalNotFound)
@bp.errorhandler(services.MentorshipNotFound)
def _not_found(error: LookupError):
    return render_error(404)


@bp.app_template_global()
def mentorship_words() -> dict:
    return {
        "states": services.STATE_WORDS,
        "formats": services.FORMAT_WORDS,
        "levels": services.LEVEL_WORDS,
    }


# --- the hub -----------------------------------------------------------------------------------


def _filters() -> services.MentorFilters:
    args = request.args
    fmt = args.get("format", "")
    return services.MentorFilters(
        topic=" ".join(query_arg("topic", services.GOAL_TOPIC_MAX).split()),
        language=" ".join(query_arg("language", 40).split()),
        format=fmt if fmt in ("in_person", "online") else "",
        free=args.get("free") == "1",
        near=args.get("near") == "1",
        page=max(1, min(args.get("page", 1, type=int) or 1, 1000)),
    )


@bp.get("/mentorship")
@login_required
def hub():
    filters = _filters()
    results = services.find_mentors(current_user, filters)
    if htmx and htmx.target == "mentor-results":
        return render_page_or_partial(
            "mentorship/hub.html", "mentorship/_results.html", results=results, filters=filters
        )
    return render_page_or_partial(
        "mentorship/hub.html",
        "mentorship/_results.html",
        results=results,
        filters=filters,
        hub=services.hub(current_user),
    )


# --- my mentor profile -------------------------------------------------------------------------


def _mentor_form_from(profile: MentorProfile | None) -> MentorForm:
    if profile is None:
        return MentorForm(formdata=None)
    levels = set(profile.levels.split())
    return MentorForm(
        formdata=None,
        data={
            "topics": ", ".join(topic.name for topic in profile.topics),
            "capacity": profile.capacity,
            "in_person": profile.in_person,
            "online": profile.online,
            "beginner": "beginner" in levels,
            "intermediate": "intermediate" in levels,
            "advanced": "advanced" in levels,
            "about": profile.about,
            "accepting": profile.accepting,
        },
    )


@bp.route("/mentorship/mentor", methods=["GET", "POST"])
@login_required
def mentor_profile():
    profile = services.get_profile(current_user)
    status = 200
    if request.method == "GET":
        form = _mentor_form_from(profile)
    else:
        form = MentorForm()
        if form.validate_on_submit():
            data = services.MentorInput(
                topics=form.topic_list,
                capacity=form.capacity.data or 0,
                in_person=bool(form.in_person.data),
                online=bool(form.online.data),
                levels=form.level_list,
                about=form.about.data or "",
                accepting=bool(form.accepting.data),
            )
            try:
                services.save_profile(current_user, data)
            except services.InvalidInput as exc:
                form.capacity.errors = [*form.capacity.errors, str(exc)]
            else:
                flash("Your mentor profile is saved.", "success")
                return redirect_to(url_for("mentorship.mentor_page", user_id=current_user.id))
        status = form_error_status(form)
    return render_page_or_partial(
        "mentorship/mentor_form.html",
        "mentorship/_mentor_form.html",
        status,
        form=form,
        profile=profile,
    )


# --- learning goals ----------------------------------------------------------------------------


def _goal_input(form: GoalForm) -> services.GoalInput:
    return services.GoalInput(
        topic=form.topic.data or "",
        level=form.level.data or "beginner",
        format=form.format.data or None,
        notes=form.notes.data or "",
    )


@bp.route("/mentorship/goals/new", methods=["GET", "POST"])
@login_required
def new_goal():
    if request.method == "GET":
        form = GoalForm(formdata=None, data={"topic": query_arg("topic", services.GOAL_TOPIC_MAX)})
        status = 200
    else:
        form = GoalForm()
        if form.validate_on_submit():
            try:
                goal = services.create_goal(current_user, _goal_input(form))
            except services.InvalidInput as exc:
                form.topic.errors = [*form.topic.errors, str(exc)]
            else:
                flash("Your goal is posted. Here are mentors who could help.", "success")
                return redirect_to(url_for("mentorship.goal", goal_id=goal.id))
        status = form_error_status(form)
    return render_page_or_partial(
        "mentorship/goal_new.html", "mentorship/_goal_form.html", status, form=form, goal=None
    )


def _goal_page(goal: LearningGoal, status: int = 200, form: GoalForm | None = None):
    if form is None:
        form = GoalForm(
            formdata=None,
            data={
                "topic": goal.topic,
                "level": goal.level,
                "format": goal.format or "",
                "notes": goal.notes,
            },
        )
    suggestions = services.suggestions_for(goal.learner, [goal]).get(goal.id, [])
    return render_page_or_partial(
        "mentorship/goal.html",
        "mentorship/_goal_form.html",
        status,
        goal=goal,
        form=form,
        suggestions=suggestions,
    )


@bp.route("/mentorship/goals/<int:goal_id>", methods=["GET", "POST"])
@login_required
def goal(goal_id: int):
    found = services.get_goal(current_user, goal_id)
    if request.method == "GET":
        return _goal_page(found)
    form = GoalForm()
    if form.validate_on_submit():
        try:
            services.update_goal(current_user, found, _goal_input(form))
        except services.InvalidInput as exc:
            form.topic.errors = [*form.topic.errors, str(exc)]
        except services.StateChanged as exc:
            flash(str(exc), "error")
            return _goal_page(found, 409, form)
        else:
            flash("Your goal is saved.", "success")
            return redirect_to(url_for("mentorship.goal", goal_id=found.id))
    return _goal_page(found, form_error_status(form), form)


@bp.post("/mentorship/goals/<int:goal_id>/close")
@login_required
def close_goal(goal_id: int):
    found = services.get_goal(current_user, goal_id)
    try:
        services.close_goal(current_user, found)
    except services.StateChanged as exc:
        flash(str(exc), "error")
        return _goal_page(found, 409)
    flash("Your goal is closed.", "success")
    return redirect_to(url_for("mentorship.hub"))


# --- a mentor's page and asking ----------------------------------------------------------------


def _my_goal(goal_id: int | None) -> LearningGoal | None:
    """One of the member's own goals (an admin's view of others' does not count)."""
    if goal_id is None:
        return None
    goal = services.get_goal(current_user, goal_id)
    if goal.learner_id != current_user.id:
        raise services.GoalNotFound(goal_id)
    return goal


def _mentor_page(profile: MentorProfile, status: int = 200, form: AskForm | None = None):
    if form is None:
        goal_id = request.args.get("goal", type=int)
        try:
            goal = _my_goal(goal_id)
        except services.GoalNotFound:
            goal = None
        source = "suggestion" if request.args.get("source") == "suggestion" else "request"
        topic = goal.topic if goal else query_arg("topic", services.GOAL_TOPIC_MAX)
        if not topic and profile.topics:
            topic = profile.topics[0].name
        form = AskForm(
            formdata=None,
            data={"topic": topic, "goal": goal.id if goal else None, "source": source},
        )
    live = services.live_mentorship_between(profile.user_id, current_user.id)
    return render_page_or_partial(
        "mentorship/mentor.html",
        "mentorship/_ask_form.html",
        status,
        profile=profile,
        mentor=profile.user,
        languages=services.languages_of(profile.user),
        form=form,
        live=live,
        is_self=profile.user_id == current_user.id,
        may_ask=permissions.can_see_mentor(current_user, profile),
    )


@bp.get("/mentorship/mentors/<int:user_id>")
@login_required
def mentor_page(user_id: int):
    return _mentor_page(services.mentor_for_page(current_user, user_id))


@bp.post("/mentorship/mentors/<int:user_id>/requests")
@login_required
@member_limit("CLAIM_LIMIT")
def ask(user_id: int):
    profile = services.mentor_for_page(current_user, user_id)
    form = AskForm()
    if not form.validate_on_submit():
        return _mentor_page(profile, form_error_status(form), form)
    try:
        goal = _my_goal(form.goal.data)
        mentorship = services.ask(
            current_user,
            profile,
            form.topic.data or "",
            form.message.data or "",
            goal=goal,
            source=form.source.data if form.source.data in services.SOURCES else "request",
        )
    except (services.InvalidInput, services.CannotAsk) as exc:
        form.topic.errors = [*form.topic.errors, str(exc)]
        return _mentor_page(profile, 422, form)
    except services.AlreadyAsked as exc:
        flash(str(exc), "error")
        return _mentor_page(profile, 409, form)
    except services.GoalNotFound:
        form.topic.errors = [*form.topic.errors, "That is not one of your open learning goals."]
        return _mentor_page(profile, 422, form)
    flash(f"Asked {profile.user.display_name}. You'll be told when they answer.", "success")
    return redirect_to(url_for("mentorship.show", mentorship_id=mentorship.id))


# --- one mentorship ----------------------------------------------------------------------------


def _mentorship_page(mentorship: Mentorship, status: int = 200):
    return render_page_or_partial(
        "mentorship/show.html",
        "mentorship/_mentorship.html",
        status,
        mentorship=mentorship,
        actions=permissions.allowed_actions(current_user, mentorship),
    )


@bp.get("/mentorships/<int:mentorship_id>")
@login_required
def show(mentorship_id: int):
    return _mentorship_page(services.get_mentorship(current_user, mentorship_id))


@bp.post("/mentorships/<int:mentorship_id>/<any(accept, decline, withdraw, end, complete):action>")
@login_required
def act(mentorship_id: int, action: str):
    mentorship = services.get_mentorship(current_user, mentorship_id)
    from_hub = request.form.get("from") == "hub"
    try:
        services.TRANSITIONS[action](current_user, mentorship)
    except (services.StateChanged, services.MentorFull, services.CannotAsk) as exc:
        flash(str(exc), "error")
        if from_hub and not htmx:
            return redirect_to(url_for("mentorship.hub"))
        return _mentorship_page(mentorship, 409)
    other = mentorship.mentor if mentorship.learner_id == current_user.id else mentorship.learner
    flash(
        DONE[action].format(
            learner=mentorship.learner.public_name,
            mentor=mentorship.mentor.public_name,
            other=other.public_name,
        ),
        "success",
    )
    # The whole page again (also for htmx): an accepted mentorship grows a sessions section.
    if from_hub:
        return redirect_to(url_for("mentorship.hub"))
    return redirect_to(url_for("mentorship.show", mentorship_id=mentorship.id))
