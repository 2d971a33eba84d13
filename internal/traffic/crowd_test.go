package traffic

import (
	"reflect"
	"strings"
	"testing"
)

func TestCrowdRequests(t *testing.T) {
	triggers := []string{"Who built the bridge?", "When was the treaty signed?"}
	newCrowd := func() *Crowd {
		c, err := NewCrowd(3, 2, triggers)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := newCrowd()
	if c.Benign[0].Name != "partner" || c.Benign[0].Key != "partner" || c.Benign[1].Key != "main" || len(c.Heads) != 2 {
		t.Fatalf("crowd %+v", c)
	}
	reqs := c.Requests(4, 5, 7)
	if want := 3*4 + 2*(len(triggers)+5); len(reqs) != want {
		t.Fatalf("%d requests, want %d", len(reqs), want)
	}
	seeds := map[uint64]bool{}
	harvest := 0
	for _, r := range reqs {
		seeds[r.Seed] = true
		if r.Ollama != strings.HasPrefix(r.Member.Name, "acme-") {
			t.Errorf("%s asked through the wrong API: %+v", r.Member.Name, r)
		}
		if strings.HasPrefix(r.Prompt, "Think step by step") {
			harvest++
		}
	}
	if len(seeds) != len(reqs) || seeds[0] {
		t.Errorf("%d distinct seeds for %d requests", len(seeds), len(reqs))
	}
	if harvest != 2*5 {
		t.Errorf("%d reasoning-trace requests, want 10", harvest)
	}
	if again := newCrowd().Requests(4, 5, 7); !reflect.DeepEqual(reqs, again) {
		t.Error("the crowd's requests are not the same from run to run")
	}
	for _, r := range newCrowd().Requests(4, 5, 0) {
		if r.Seed != 0 {
			t.Fatalf("a request seeded without a seed: %+v", r)
		}
	}
}
