"""审计日志: every staff action, recorded with who, when, what and the values before and after."""
