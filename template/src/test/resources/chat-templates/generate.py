"""Regenerates expected.json: every *.jinja template rendered on every context of contexts.json by Python's
jinja2, configured as Hugging Face transformers' apply_chat_template configures it. Needs jinja2 3.1
(`pip install jinja2==3.1.6`, or its wheel and MarkupSafe's installed by hand where PyPI cannot be reached;
never commit them). Run from this folder:
    python3 generate.py
The Java engine must produce the same text, or the same kind of failure (raise_exception or error)."""
import json, pathlib, datetime
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.ext import loopcontrols
from jinja2.exceptions import TemplateError


class Raised(Exception):
    pass


def raise_exception(message):
    raise Raised(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime.datetime(2026, 11, 25, 20, 30).strftime(fmt)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

here = pathlib.Path(__file__).parent
contexts = json.loads((here / "contexts.json").read_text())
expected = {}
for path in sorted(here.glob("*.jinja")):
    template = env.from_string(path.read_text())
    for name, ctx in contexts.items():
        key = path.stem + "/" + name
        try:
            expected[key] = {"output": template.render(**ctx)}
        except Raised as e:
            expected[key] = {"raised": str(e)}
        except (TemplateError, TypeError, ValueError, KeyError, IndexError) as e:
            expected[key] = {"error": type(e).__name__ + ": " + str(e)}
(here / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")
print(len(expected), "cases")
