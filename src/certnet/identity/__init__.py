"""Users, roles, console sessions, API tokens: who is asking, and how they proved it."""
