"""The event registry is the one definition every surface derives from."""

from __future__ import annotations

import argparse
import dataclasses
import inspect

from cycle.cli.main import build_parser
from cycle.service import bus, commands, registry
from cycle.service.registry import Kind, Surface
from cycle.simulation.scenario import COMMANDS


def _commands() -> set[type]:
    return {
        obj
        for _, obj in inspect.getmembers(commands, inspect.isclass)
        if dataclasses.is_dataclass(obj)
        and obj.__module__ == commands.__name__
        and obj not in (commands.Upload, commands.StageCommand)
    }


def test_every_command_has_one_entry_and_a_handler_that_takes_command_uow_and_principal():
    assert set(registry.BY_COMMAND) == _commands()
    assert len(registry.BY_NAME) == len(registry.EVENTS)
    for command, handler in bus.handlers().items():
        parameters = list(inspect.signature(handler).parameters)
        assert len(parameters) == 3, (command, parameters)


def test_every_field_names_a_field_of_its_command():
    for event in registry.EVENTS:
        names = {f.name for f in dataclasses.fields(event.command)}
        assert set(event.base) | {f.name for f in event.fields} <= names, event.name


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_the_cli_scenario_and_web_surfaces_are_made_from_the_registry():
    subcommands = _subcommands()
    for event in registry.on(Surface.CLI):
        options = {o for a in subcommands[event.name]._actions for o in a.option_strings}
        for field in event.fields_on(Surface.CLI):
            assert field.positional or f"--{field.name}" in options, (event.name, field.name)
    assert set(COMMANDS) == {e.name for e in registry.on(Surface.SCENARIO)}
    required, _ = COMMANDS["submit"]
    assert "file" in required  # an upload's scenario key
    web = registry.stage_events(Surface.WEB)
    assert web["complete"].multipart and not web["schedule"].multipart
    assert [f.kind for f in web["correct"].form_fields()][:3] == [
        Kind.FLAG,
        Kind.DATE,
        Kind.INSTANT,
    ]
