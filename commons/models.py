"""Every feature's models in one place, for Alembic, the shell and tests."""

from .accounts.models import User
from .communities.models import Community, Membership, Neighbourhood
from .profiles.models import AvailabilitySlot, MemberSkill

__all__ = ["AvailabilitySlot", "Community", "MemberSkill", "Membership", "Neighbourhood", "User"]
