"""Every feature's models in one place, for Alembic, the shell and tests."""

from .accounts.models import User
from .announcements.models import Announcement
from .claims.models import Claim, Message, Thanks
from .communities.models import Community, Membership, Neighbourhood
from .links.models import CommunityLink
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
    "Claim",
    "Community",
    "CommunityLink",
    "HourTransfer",
    "MatchingRound",
    "MemberSkill",
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
    "Thanks",
    "User",
]
