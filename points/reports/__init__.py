"""Reports: the figures a community office answers its street office and funders with."""
