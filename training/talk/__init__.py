"""Requests to talk (「担当者から声をかけてほしい」): the trainee's request, the class staff's follow-up."""
