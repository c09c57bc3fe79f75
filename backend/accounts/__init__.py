"""Staff and representatives' accounts: invitations, passkeys, sessions, roles, the audit log."""
