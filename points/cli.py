"""Command-line commands: ``flask --app wsgi demo``, ``flask --app wsgi ledger …``."""


def register(app):
    from points.backup import backup_command, restore_command
    from points.demo import demo_command
    from points.gamification.cli import gamification_group
    from points.ledger_cli import ledger_group
    from merchants.cli import vouchers_group
    from merchants.coupons import coupons_group
    from merchants.settlement_cli import settlements_group
    from points.reports.snapshots import reports_group

    app.cli.add_command(demo_command)
    app.cli.add_command(ledger_group)
    app.cli.add_command(gamification_group)
    app.cli.add_command(vouchers_group)
    app.cli.add_command(coupons_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(reports_group)
    app.cli.add_command(settlements_group)
