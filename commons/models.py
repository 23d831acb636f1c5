"""Every feature's models in one place, for Alembic, the shell and tests."""

from .accounts.models import User
from .announcements.models import Announcement
from .claims.models import Claim, Message, Thanks
from .communities.models import Community, Membership, Neighbourhood
from .exchanges.models import ExchangeLesson, ExchangeParticipant, SkillExchange
from .imports.models import SpreadsheetImport
from .links.models import CommunityLink
from .mentorship.models import (
    CalendarFeed,
    LearningGoal,
    MentorProfile,
    Mentorship,
    MentorshipSession,
    MentorTopic,
    SessionNote,
)
from .moderation.models import Block, ModerationAction, Report
from .notifications.models import Notification
from .posts.models import Post, PostFollow, PostSlot, PostTag
from .profiles.models import AvailabilitySlot, MemberSkill
from .suggestions.models import MatchingRound, Proposal
from .timebank.models import HourTransfer

__all__ = [
    "Announcement",
    "AvailabilitySlot",
    "Block",
    "CalendarFeed",
    "Claim",
    "Community",
    "CommunityLink",
    "ExchangeLesson",
    "ExchangeParticipant",
    "HourTransfer",
    "LearningGoal",
    "MatchingRound",
    "MemberSkill",
    "MentorProfile",
    "MentorTopic",
    "Mentorship",
    "MentorshipSession",
    "Membership",
    "Message",
    "ModerationAction",
    "Neighbourhood",
    "Notification",
    "Post",
    "PostFollow",
    "PostSlot",
    "PostTag",
    "Proposal",
    "Report",
    "SessionNote",
    "SkillExchange",
    "SpreadsheetImport",
    "Thanks",
    "User",
]
