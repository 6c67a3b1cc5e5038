"""Certificates (修了証): issue, render to PDF, verify, revoke, reissue."""
