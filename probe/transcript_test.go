package probe

import "testing"

func FuzzParseTranscripts(f *testing.F) {
	f.Add([]byte(`{"seq":1,"manifest_sha256":"m","id":"a","text":"x","extract":"file","response":"{}"}` + "\n"))
	f.Add([]byte(`{"seq":1,"manifest_sha256":"m"}` + "\n" + `{"seq":1}`))
	f.Add([]byte("\n\n{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, good, cut, err := parseTranscripts(data, "m", "t")
		if err != nil {
			return
		}
		if good > len(data) || (cut > 0 && good == len(data)) {
			t.Fatalf("good prefix %d of %d, cut %d", good, len(data), cut)
		}
		prev := 0
		for _, r := range recs {
			if r.ManifestSHA256 != "m" || r.Seq <= prev {
				t.Fatalf("accepted record %+v after seq %d", r, prev)
			}
			prev = r.Seq
			r.Bodies()
		}
	})
}
