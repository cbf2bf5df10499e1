"""Actors who are not signed-in users."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ElderDelegate:
    """Someone acting for one elder through the elder's page: the elder, or a family member
    holding a live access grant. No role and no area: they act on that elder alone. The page
    that signs them in builds it (only from a grant that is not revoked); the domains that
    accept it (booking a meal, say) need not know how grants are kept."""

    grant_id: int
    elder_id: int
    label: str  # who, as shown to the canteen: "家属·女儿"

    @property
    def audit_label(self) -> str:
        return f"grant:{self.grant_id}"
