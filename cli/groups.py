"""A command that is also a group: ``hflineage license MODEL`` beside ``hflineage license audit``.

``ModelGroup`` reads a first word that names a subcommand as that subcommand (the group then
parses nothing of its own, so every option reaches the subcommand); any other first word is the
group's MODEL argument, parsed like a plain command (options may follow MODEL).
"""

from __future__ import annotations

import click


class ModelGroup(click.Group):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            own = self.params
            self.params = [p for p in own if not isinstance(p, click.Argument)]
            try:
                rest = super().parse_args(ctx, args)
            finally:
                self.params = own
            for param in own:
                if isinstance(param, click.Argument):
                    ctx.params.setdefault(param.name, None)
            return rest
        ctx.allow_interspersed_args = True
        return super().parse_args(ctx, args)


class ModelArgument(click.Argument):
    """MODEL, kept out of the usage line the subcommands inherit (``options_metavar`` shows it)."""

    def get_usage_pieces(self, ctx: click.Context) -> list[str]:
        return []
