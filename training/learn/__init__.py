"""The trainee's area: courses, lessons, quizzes, scenarios, surveys, progress."""
