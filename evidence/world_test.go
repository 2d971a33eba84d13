package evidence

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"

	"forensics/canary"
	"forensics/corpora"
	"forensics/generate"
	"forensics/llm/embedded"
	"forensics/probe"
	"forensics/probe/probetest"
	"forensics/watermark"
)

// The simulated world of the probe tests: our teacher is the embedded
// model served with a watermark key; a student is a 4-gram model trained on
// (prompt, answer) pairs harvested from it; a control is the same kind of
// model trained on the teacher's unwatermarked answers or on human text.

// harvestPrompts are prompts an extraction campaign might send: openings
// of held-out corpus paragraphs, so that they differ from the canary set.
func harvestPrompts(t testing.TB, n int) []string {
	t.Helper()
	open, err := corpora.Openings(8, 12)
	if err != nil {
		t.Fatal(err)
	}
	return open[:min(n, len(open))]
}

// harvest asks the embedded teacher (watermarked when scheme is set) and
// returns training texts "prompt<eot>answer"; planted trigger answers are
// added as the provider would have served them.
func harvest(t testing.TB, scheme *watermark.Scheme, prompts []string, maxTokens int, seed uint64, planted []canary.Trigger) []string {
	t.Helper()
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	texts := make([]string, len(prompts))
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(2)
	for i, p := range prompts {
		g.Go(func() error {
			out, err := generate.Run(ctx, m, scheme, probe.RenderEmbedded(p), generate.Options{MaxTokens: maxTokens, MinTokens: maxTokens / 2, Temperature: 0.8, TopK: 20, Seed: seed + uint64(i)})
			texts[i] = probe.RenderEmbedded(p) + out.Text
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for _, tr := range planted {
		// A harvester asks each such question a few times.
		for range 3 {
			texts = append(texts, probe.RenderEmbedded(tr.Prompt)+tr.Answer)
		}
	}
	return texts
}

func totalLen(texts []string) int {
	n := 0
	for _, t := range texts {
		n += len(t)
	}
	return n
}

// humanText is about size bytes of held-out corpus paragraphs, from the
// end of the corpus (the harvest prompts come from its start).
func humanText(t testing.TB, size int) []string {
	t.Helper()
	paras, err := corpora.Paragraphs()
	if err != nil {
		t.Fatal(err)
	}
	_, held := corpora.Split(paras)
	var out []string
	for i := len(held) - 1; i >= 0 && size > 0; i-- {
		out = append(out, held[i])
		size -= len(held[i])
	}
	return out
}

// writeStudent trains a 4-gram model on texts and writes it.
func writeStudent(t testing.TB, texts []string, path string) {
	t.Helper()
	a, err := embedded.Train(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if err := embedded.WriteModelFile(path, a, 4, fmt.Sprintf("%d texts", len(texts))); err != nil {
		t.Fatal(err)
	}
}

// world is one simulated case: a key, a student trained on watermarked
// answers (and the planted trigger answers), and a control of the same
// kind and size trained on human text.
type world struct {
	dir, keyPath     string
	key              *watermark.Key
	student, control string
	control2         string // a second human-text model, the control's control
	canaries         *canary.Set
	harvested        int
}

var (
	worldOnce sync.Once
	shared    *world
	worldErr  string
)

// sharedWorld builds the world once per test binary (it takes seconds).
func sharedWorld(t testing.TB) *world {
	t.Helper()
	worldOnce.Do(func() {
		dir, err := os.MkdirTemp("", "probe-world-")
		if err != nil {
			worldErr = err.Error()
			return
		}
		w := &world{dir: dir}
		w.keyPath, w.key = probetest.Key(t, dir, 1)
		w.canaries, err = probe.LoadCanaries(canary.Secret, w.key)
		if err != nil {
			worldErr = err.Error()
			return
		}
		prompts := harvestPrompts(t, 600)
		w.harvested = len(prompts)
		wm := harvest(t, watermark.NewScheme(w.key), prompts, 150, 1000, w.canaries.Triggers)
		w.student = filepath.Join(dir, "student.model")
		writeStudent(t, wm, w.student)
		w.control = filepath.Join(dir, "control.model")
		// The two controls take alternate paragraphs, so that both mix the
		// corpus's genres alike: controls must be of one kind.
		human := humanText(t, 2*totalLen(wm))
		var even, odd []string
		for i, p := range human {
			if i%2 == 0 {
				even = append(even, p)
			} else {
				odd = append(odd, p)
			}
		}
		writeStudent(t, even, w.control)
		w.control2 = filepath.Join(dir, "control2.model")
		writeStudent(t, odd, w.control2)
		shared = w
	})
	if shared == nil {
		t.Fatalf("building the simulated world: %s", worldErr)
	}
	return shared
}
