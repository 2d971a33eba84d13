package chattemplate_test

import (
	"context"
	"fmt"

	"forensics/llm/chattemplate"
)

// A tokenizer_config.json in the style of Qwen3: the template drops the
// reasoning of answered turns, so the first answer's span covers only
// the text after </think>.
func Example() {
	cfg, err := chattemplate.ParseConfig([]byte(`{
		"eos_token": "<|im_end|>",
		"chat_template": "{%- for m in messages %}{%- if m.role == 'assistant' and not loop.last %}{{- '<|im_start|>assistant\n' + m.content.split('</think>')[-1].lstrip('\n') + '<|im_end|>\n' }}{%- else %}{{- '<|im_start|>' + m.role + '\n' + m.content + '<|im_end|>\n' }}{%- endif %}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %}"
	}`))
	if err != nil {
		panic(err)
	}
	tm, err := cfg.Template("")
	if err != nil {
		panic(err)
	}
	msgs := []chattemplate.Message{
		{Role: "user", Content: "2+2?"},
		{Role: "assistant", Content: "<think>\nadd them\n</think>\n\n4"},
		{Role: "user", Content: "3+3?"},
	}
	prompt, err := tm.Render(context.Background(), msgs, cfg.Options(true))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", prompt)
	rendered, spans, err := tm.Spans(context.Background(), msgs, cfg.Options(false))
	if err != nil {
		panic(err)
	}
	for _, s := range spans {
		fmt.Printf("message %d: %q whole=%v\n", s.Message, rendered[s.Start:s.End], s.Whole)
	}
	// Output:
	// "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\n3+3?<|im_end|>\n<|im_start|>assistant\n"
	// message 1: "4" whole=false
}
