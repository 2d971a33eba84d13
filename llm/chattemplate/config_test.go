package chattemplate

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		want    Config
		names   []string
		wantErr string
	}{
		{name: "string template, string tokens",
			json: `{"chat_template": "T", "bos_token": "<s>", "eos_token": "</s>", "pad_token": null, "other": [1, {"x": 2}]}`,
			want: Config{ChatTemplate: "T", BOSToken: "<s>", EOSToken: "</s>"}},
		{name: "AddedToken objects",
			json: `{"bos_token": {"__type": "AddedToken", "content": "<｜begin▁of▁sentence｜>", "lstrip": false}, "unk_token": {"content": ""}}`,
			want: Config{BOSToken: "<｜begin▁of▁sentence｜>"}},
		{name: "named templates",
			json:  `{"chat_template": [{"name": "tool_use", "template": "U"}, {"name": "default", "template": "D"}]}`,
			want:  Config{ChatTemplate: "D"},
			names: []string{"default", "tool_use"}},
		{name: "named templates without a default",
			json:  `{"chat_template": [{"name": "rag", "template": "R"}]}`,
			names: []string{"rag"}},
		{name: "no template", json: `{}`},
		{name: "template of the wrong type", json: `{"chat_template": 5}`, wantErr: "neither a string nor a list"},
		{name: "named template without a template", json: `{"chat_template": [{"name": "a"}]}`, wantErr: "missing name or template"},
		{name: "name given twice", json: `{"chat_template": [{"name": "a", "template": "1"}, {"name": "a", "template": "2"}]}`, wantErr: "named twice"},
		{name: "token content not a string", json: `{"eos_token": {"content": 3}}`, wantErr: "eos_token"},
		{name: "token of the wrong type", json: `{"pad_token": [1]}`, wantErr: "pad_token"},
		{name: "two objects", json: `{} {}`, wantErr: "after the JSON object"},
		{name: "not an object", json: `[]`, wantErr: "tokenizer config"},
		{name: "too large", json: `{"x": "` + strings.Repeat("a", MaxConfigSize) + `"}`, wantErr: "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.json))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.ChatTemplate != tt.want.ChatTemplate || c.BOSToken != tt.want.BOSToken ||
				c.EOSToken != tt.want.EOSToken || c.PadToken != tt.want.PadToken || c.UnkToken != tt.want.UnkToken {
				t.Errorf("got %+v, want %+v", *c, tt.want)
			}
			if strings.Join(c.Names(), ",") != strings.Join(tt.names, ",") {
				t.Errorf("names %v, want %v", c.Names(), tt.names)
			}
		})
	}
}

func TestConfigTemplateSelection(t *testing.T) {
	c, err := ParseConfig([]byte(`{"chat_template": [{"name": "default", "template": "D{{ 1 }}"}, {"name": "tool_use", "template": "U"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"": "D1", "default": "D1", "tool_use": "U"} {
		tm, err := c.Template(name)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := renderSourceTemplate(tm); err != nil || got != want {
			t.Errorf("template %q rendered %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := c.Template("rag"); err == nil || !strings.Contains(err.Error(), "default, tool_use") {
		t.Errorf("unknown name: err = %v", err)
	}
	if _, err := (&Config{}).Template(""); err == nil {
		t.Error("a config without a template gave one")
	}
}

func TestReadConfigIsBounded(t *testing.T) {
	r := strings.NewReader(`{"x": "` + strings.Repeat("a", MaxConfigSize+10) + `"}`)
	if _, err := ReadConfig(r); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v", err)
	}
}
