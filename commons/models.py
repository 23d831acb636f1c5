"""Every feature's models in one place, for Alembic, the shell and tests."""

from .accounts.models import User
from .claims.models import Claim, Message, Thanks
from .communities.models import Community, Membership, Neighbourhood
from .links.models import CommunityLink
from .moderation.models import Block, Report
from .notifications.models import Notification
from .posts.models import Post, PostFollow, PostSlot, PostTag
from .profiles.models import AvailabilitySlot, MemberSkill
from .suggestions.models import MatchingRound, Proposal

__all__ = [
    "AvailabilitySlot",
    "Block",
    "Claim",
    "Community",
    "CommunityLink",
    "MatchingRound",
    "MemberSkill",
    "Membership",
    "Message",
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
