package vllm

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestPRFsNeverShowTheKey(t *testing.T) {
	var hk [32]byte
	for i := range hk {
		hk[i] = 0xA0 + byte(i)
	}
	prfs := []struct {
		prf    PRF
		secret []string
	}{
		{PhiloxPRF{Key: 9876543210987654321}, []string{"9876543210987654321", "891087b8e3b70cb1"}},
		{HMACPRF{Key: hk}, []string{"a0a1a2", "160 161 162", "[160"}},
	}
	for _, c := range prfs {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
			got := fmt.Sprintf(verb, c.prf) + fmt.Sprintf(verb, []PRF{c.prf}) + fmt.Sprintf(verb, struct{ P PRF }{c.prf})
			for _, s := range c.secret {
				if strings.Contains(strings.ToLower(got), s) {
					t.Errorf("%s of %s shows the key: %s", verb, c.prf.Version(), got)
				}
			}
		}
		if b, err := json.Marshal(struct{ P PRF }{c.prf}); err == nil {
			t.Errorf("%s encodes as JSON: %s", c.prf.Version(), b)
		}
	}
}
