"""Accounts: users, their roles and API tokens, studio sign-in, and who may do what."""
