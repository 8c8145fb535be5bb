"""Terminology service code; content lives in the top-level terminology/ folder."""
