"""People, roles, sign-in, API tokens and 亲情代理 (family proxies)."""
