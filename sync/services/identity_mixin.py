"""Identity operations as methods of `Office` (see sync/office_identity.py).

Kept apart and importing lazily: the office facade is on every start-up path (the UI's
first screen, every CLI command), and the identity module pulls in cryptography, which
only invitations, enrollment, revocation and signing need.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vledger.sync.services.identity import DeviceRecord
    from vledger.sync.trust.invitation import Enrolled
    from vledger.sync.trust.signatures import LoggedRefusal


class IdentityMixin:
    def invite(self, village: str, out: Path, address: str | None = None) -> Path:
        from vledger.sync.services.identity import invite

        return invite(self, village, out, address)  # type: ignore[arg-type]

    def enroll(self, reply_path: Path) -> Enrolled:
        from vledger.sync.services.identity import enroll

        return enroll(self, reply_path)  # type: ignore[arg-type]

    def revoke_device(self, device: str) -> DeviceRecord:
        from vledger.sync.services.identity import revoke_device

        return revoke_device(self, device)  # type: ignore[arg-type]

    def devices(self) -> tuple[list[DeviceRecord], list[str]]:
        from vledger.sync.services.identity import devices

        return devices(self)  # type: ignore[arg-type]

    def refused_changes(self, limit: int | None = None) -> list[LoggedRefusal]:
        from vledger.sync.services.identity import refused_changes

        return refused_changes(self, limit)  # type: ignore[arg-type]

    def sign_pending(self) -> int:
        from vledger.sync.services.identity import sign_pending

        return sign_pending(self)  # type: ignore[arg-type]

    def found_identity(self) -> None:
        from vledger.sync.services.identity import found_identity

        found_identity(self)  # type: ignore[arg-type]
