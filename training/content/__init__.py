"""Course content: loaded from modules/ and quizzes/ once at start-up, immutable afterwards."""
