"""Users, roles and bearer tokens. Roles: prescriber, pharmacist, patient, admin, each
bound to one clinic (see architecture.md)."""
