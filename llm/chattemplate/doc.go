// Package chattemplate renders a model's chat template from its Hugging
// Face tokenizer_config.json exactly as the model's own server renders it
// (transformers' apply_chat_template, which vLLM and SGLang call), and
// locates each assistant message's text in the rendering.
//
// Forensics needs both: the probe sends prompts to a suspect model's raw
// completion endpoint and must frame them as the model's server would
// (Render with AddGenerationPrompt), and watermark scoring of a rendered
// conversation must score only what the assistant wrote, never the system
// and user turns or the template's markup (Spans). A prompt can carry
// watermarked text that a user pasted; scoring it as the model's output
// would accuse the model of a watermark it never produced.
//
// # The engine
//
// Templates are Jinja2 programs, and they are untrusted: they come with
// the suspect's model files. This package has its own interpreter for the
// subset chat templates use rather than github.com/ardanlabs/jinja
// (v1.8.0, the newest the module proxy serves for Go 1.26), because that
// engine cannot be bounded: measured here, {% for i in range(100000000) %}
// ends the process with "fatal error: out of memory" (it sizes the loop
// up front), a macro that calls itself with "fatal error: stack
// overflow", and a string doubled forty times with "out of memory" again.
// A Go program cannot recover from those, and nothing from outside (a
// goroutine, a context) can stop an engine that takes none. Here every
// step, every byte a string operation builds or scans, every list a range
// or a repetition would allocate, and every nested call is charged to
// Limits before it happens, and values are printed, compared and
// serialised to a bounded depth (a namespace can hold itself), so a
// hostile template ends in an error, one that wraps ErrLimit when a budget
// ran out (TestHostileTemplatesAreBounded runs 22 such attacks);
// the parser refuses nesting deeper than 200 and sources over
// MaxTemplateSize. The worst case under DefaultLimits is under a second
// of one core (BenchmarkHostileDefaultLimits); the context is checked as
// the budget is spent.
//
// # Semantics
//
// The environment is transformers': trim_blocks and lstrip_blocks on, the
// source's final newline dropped, the loopcontrols extension ({% break %},
// {% continue %}), tojson as json.dumps(ensure_ascii=False), the globals
// raise_exception (a *RaisedError) and strftime_now (its clock is
// Options.Now, so tests and re-renderings are reproducible), and the
// variables messages, add_generation_prompt, tools and documents (None),
// and the special tokens the config sets (a token set to null is left
// undefined, as transformers leaves it out). Values follow Python and
// Jinja2 where @huggingface/jinja departs from them: True, False and None
// print as Python prints them; % and // floor; str.strip takes characters
// and Python's whitespace (U+001C..U+001F are whitespace, U+FEFF is not);
// undefined values print empty, are false and iterate as empty, and fail
// under arithmetic and attribute access.
//
// Supported: {{ }}, {% if/elif/else %}, {% for %} with else, an if filter,
// tuple unpacking and loop.index/index0/revindex/revindex0/first/last/
// length/previtem/nextitem, {% set %} (names, namespace attributes, tuple
// unpacking, block sets), {% macro %} with defaults and keyword arguments,
// comments, whitespace control (- and +), transformers' {% generation %}
// (renders nothing); literals (strings with Python escapes, ints, floats,
// lists, tuples, dicts); the operators of Jinja2 with its precedence
// (tests and filters bind tighter than arithmetic); slices; the filters
// trim, length/count, tojson, lower, upper, title, capitalize, escape/e,
// safe, string, default/d, join, first, last, list, reverse, items, int,
// float, abs, replace, map, selectattr, rejectattr; the tests defined,
// undefined, none, string, number, integer, float, boolean, true, false,
// mapping, iterable, sequence, callable, odd, even, divisibleby, lower,
// upper, sameas and the comparisons; str methods strip, lstrip, rstrip,
// split, splitlines, startswith, endswith, upper, lower, title,
// capitalize, replace, find, count; dict methods get, items, keys, values;
// range, namespace, dict.
//
// Refused with an error, never rendered approximately: include, extends,
// import, call and filter blocks, raw, recursive loops, and any unknown
// filter, test or tag. Messages carry a role and content (a string or text
// parts); tools, tool calls, reasoning_content and continue_final_message
// are not modelled.
//
// # Spans
//
// Spans returns, for each assistant message, the byte range of its text
// in the rendering. It re-renders the conversation with a sentinel
// appended to the message (the first changed byte is where the text ends)
// and prepended (where it starts), takes as a lower bound the end of the
// prompt the model answered (the conversation before the message, with the
// generation prompt), and claims from the end backwards only the bytes
// equal to the message's own text. Where a template rewrites assistant
// text, the span is the tail it kept verbatim and Whole is false: Qwen3
// drops the <think> reasoning of turns before the last user message (the
// span is the answer after </think>), and renders the last turn's
// reasoning re-spaced (the span is again the answer); Llama 3 and Gemma 3
// trim whitespace (the span leaves it out). This DeepSeek-V3 template
// keeps assistant text as it is; DeepSeek-R1's drops reasoning as Qwen3's
// does. A message the template drops has no span, even when a user turn
// repeats its text.
//
// # Agreement
//
// testdata/conversations.json (20 conversations) rendered with the Qwen3,
// Llama 3, DeepSeek-V3 and Gemma 3 templates, with and without the
// generation prompt, agrees byte for byte with Hugging Face's
// @huggingface/jinja (TestAgreementWithHuggingFace, testdata/reference.mjs)
// and with Python's Jinja2 set up as transformers sets it up
// (TestAgreementWithJinja2, testdata/jinja2_reference.py, where python3
// imports jinja2); testdata/syntax.json's 42 small templates cover what
// those four do not exercise, and 300 seeded random conversations
// (TestAgreementRandomConversations) agree with Jinja2 in all 2,400
// renderings. See docs/chat-templates.md for the numbers.
package chattemplate
