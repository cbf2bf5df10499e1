"""Shared building blocks with no models: errors, clock, crypto, request context."""
