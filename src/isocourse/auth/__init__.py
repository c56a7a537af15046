"""Users, roles and bearer tokens. Roles: prescriber, pharmacist, patient, admin, each
bound to one clinic (see docs/api.md, "Roles" and "Who may do what")."""
