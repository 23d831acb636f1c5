"""Every feature's models in one place, for Alembic, the shell and tests."""

from .accounts.models import User
from .claims.models import Claim, Message, Thanks
from .communities.models import Community, Membership, Neighbourhood
from .moderation.models import Block, Report
from .notifications.models import Notification
from .posts.models import Post, PostFollow, PostTag
from .profiles.models import AvailabilitySlot, MemberSkill

__all__ = [
    "AvailabilitySlot",
    "Block",
    "Claim",
    "Community",
    "MemberSkill",
    "Membership",
    "Message",
    "Neighbourhood",
    "Notification",
    "Post",
    "PostFollow",
    "PostTag",
    "Report",
    "Thanks",
    "User",
]
