package chattemplate

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func benchConversation(turns int) []Message {
	var msgs []Message
	for i := range turns {
		msgs = append(msgs, Message{Role: "user", Content: strings.Repeat("question text ", 20)})
		if i < turns-1 {
			msgs = append(msgs, Message{Role: "assistant", Content: "<think>\n" + strings.Repeat("reasoning ", 50) + "\n</think>\n\n" + strings.Repeat("answer text ", 40)})
		}
	}
	return msgs
}

// BenchmarkRender renders a 20-turn conversation (about 20 kB).
func BenchmarkRender(b *testing.B) {
	tm, err := Parse(thinkTemplate)
	if err != nil {
		b.Fatal(err)
	}
	msgs := benchConversation(20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tm.Render(context.Background(), msgs, Options{AddGenerationPrompt: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSpans locates the 19 assistant messages of the same
// conversation.
func BenchmarkSpans(b *testing.B) {
	tm, err := Parse(thinkTemplate)
	if err != nil {
		b.Fatal(err)
	}
	msgs := benchConversation(20)
	for b.Loop() {
		if _, _, err := tm.Spans(context.Background(), msgs, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHostileDefaultLimits is the longest a hostile template keeps
// one rendering busy under DefaultLimits (nested loops, the slowest steps).
func BenchmarkHostileDefaultLimits(b *testing.B) {
	tm, err := Parse(`{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}`)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := tm.Render(context.Background(), nil, Options{}); !errors.Is(err, ErrLimit) {
			b.Fatal(err)
		}
	}
}
