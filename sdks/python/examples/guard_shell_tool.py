"""Guarding an agent framework's shell tool with Gatehouse.

The tool is a plain function; `@guarded` makes every call ask Gatehouse for exactly the
command it is about to run, and run it only with a verified, single-use allow verdict.
Hand the guarded function to your framework as you would the original:

    # OpenAI Agents SDK                      # LangChain
    from agents import function_tool         from langchain_core.tools import tool
    shell_tool = function_tool(shell)        shell_tool = tool(shell)

Both read the name, docstring and type hints, which the guard keeps. A refusal raises
GatehouseToolRefusedError, whose message tells the model what happened; both frameworks pass
a tool's exception message back to the model (LangChain with `handle_tool_error=True`).

Without a framework, this file drives the tool the way a framework would:

    GATEHOUSE_URL=http://127.0.0.1:8080 GATEHOUSE_AGENT_KEY=gha_... \
      python3 sdks/python/examples/guard_shell_tool.py 'git status'
"""

from __future__ import annotations

import os
import subprocess
import sys

from gatehouse import Client, GatehouseToolRefusedError, guarded

gatehouse = Client(os.environ["GATEHOUSE_URL"], os.environ["GATEHOUSE_AGENT_KEY"], timeout=15 * 60)


@guarded(gatehouse, "command", context={"tool": "example:shell"})
def shell(command: str) -> str:
    """Run a shell command and return what it printed."""
    # The guard approved exactly this string, so run exactly this string through sh.
    done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=600)
    return done.stdout + done.stderr


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} '<command>'", file=sys.stderr)
        return 2
    # What a framework does with a tool call from the model:
    try:
        print(shell(command=argv[1]), end="")
        return 0
    except GatehouseToolRefusedError as refusal:
        print(f"tool error for the model: {refusal}", file=sys.stderr)
        return 126
    finally:
        gatehouse.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
