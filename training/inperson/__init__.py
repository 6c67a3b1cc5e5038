"""In-person sessions (集合研修): sessions, participants, roll call and their completions (issue 17)."""
