"""python -m wordcount [FILE]... prints the most common words."""

import sys

import click

from wordcount.counter import top_words


@click.command()
@click.option("-n", "--top", default=3, show_default=True, help="how many words to print")
@click.argument("files", nargs=-1, type=click.File("r"))
def main(top: int, files) -> None:
    """Print the most common words of FILES (default: standard input)."""
    text = "".join(f.read() for f in files) if files else sys.stdin.read()
    for word, count in top_words(text, top):
        click.echo(f"{count}\t{word}")


if __name__ == "__main__":
    main()
