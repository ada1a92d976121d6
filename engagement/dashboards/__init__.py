"""The pages that show where the program stands: each role's home, the program dashboard, the executives
table, coverage, and the panels other apps add to them."""
