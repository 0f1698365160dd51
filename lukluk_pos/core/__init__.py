"""Shared foundations: database setup, money, i18n, audit log, errors, access control."""
