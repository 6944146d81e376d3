"""Quality: requirements, test plans and results, defects and sign-off (issue 5)."""
