"""``flask --app wsgi demo``: a demo community with fixed sign-ins."""
import click


@click.command("demo")
def demo_command():
    """Create the demo community and print its sign-ins."""
    raise click.ClickException("not yet")
