"""Issue #11 "Faults": the faults a store will meet (a lost database connection, a killed process) are survived."""
