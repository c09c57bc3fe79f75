"""Marks a message for translation where it is defined; it is translated where it is shown.

Services know nothing of requests or languages, so they return these English message ids and
the web layer translates them with the person's language (Babel extracts ``N_`` calls).
"""


def N_(message: str) -> str:
    return message
