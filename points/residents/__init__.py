"""Residents: staff register them one by one or from the office's sheet, list them
within their reach (a grid worker: their own grids), and link 亲情代理 family proxies."""
