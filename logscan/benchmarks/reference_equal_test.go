package benchmarks

import (
	"bufio"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"forensics/corpora"
)

// equalityCorpus is what TestStripMatchesReference compares on: the
// corpus paragraphs, the labelled reasoning examples, and texts made of
// fingerprinted paragraphs (whole, cut, edited, upper-cased, several in a
// row, wrapped around other text), so that both the common path (no
// item) and every branch of the cutting run.
func equalityCorpus(t testing.TB) (texts []string, fingerprinted []string) {
	paras, err := corpora.Paragraphs()
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paras {
		if i%7 == 0 && len(strings.Fields(p)) >= 20 && len(fingerprinted) < 1500 {
			fingerprinted = append(fingerprinted, p)
		}
	}
	texts = append(texts, paras...)
	texts = append(texts, readExampleTexts(t)...)
	for i, p := range fingerprinted {
		q := fingerprinted[(i+1)%len(fingerprinted)]
		w := strings.Fields(p)
		texts = append(texts,
			"Question: "+p+"\nAnswer:",
			p[:len(p)/2]+"\n"+harvest+"\n"+p[len(p)/2:],
			"Q: "+p+"\nA: 12\n\nQ: "+q+"\nA:",
			strings.ToUpper(p),
			strings.Join(w[:len(w)/3], " ")+" "+strings.Join(w[2*len(w)/3:], " "),
			strings.Join(append(append([]string{}, w[len(w)/2:]...), w[:len(w)/2]...), " "),
			p+" "+p,
		)
	}
	return texts, fingerprinted
}

func readExampleTexts(t testing.TB) []string {
	f, err := os.Open("../../corpora/reasoning/examples.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e struct{ Text string }
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Text)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStripMatchesReference(t *testing.T) {
	texts, fingerprinted := equalityCorpus(t)
	sets := map[string]*Set{"shipped": Default(), "test": testSet(), "paragraphs": Build("paragraphs", fingerprinted)}
	for name, set := range sets {
		withHits := 0
		for _, text := range texts {
			rest, hits := set.Strip(text)
			wantRest, wantHits := refStrip(set, text)
			if rest != wantRest || !reflect.DeepEqual(hits, wantHits) {
				t.Fatalf("%s set, text %q:\nStrip     %q %+v\nreference %q %+v", name, text, rest, hits, wantRest, wantHits)
			}
			if len(hits) > 0 {
				withHits++
			}
		}
		t.Logf("%s set: %d texts equal, %d of them with items", name, len(texts), withHits)
	}
}

// FuzzStripMatchesReference compares Strip with the reference on any
// text, against a set whose items the seeds carry.
func FuzzStripMatchesReference(f *testing.F) {
	set := testSet()
	for _, s := range []string{
		farmItem + harvest, "Q: " + codeItem, "ＦＵＬＬ\u0301 5,000 don't", "\xff\xfe", "",
		"Q: " + farmItem + "\nA: 345\n\nQ: " + bakeryItem + "\nA: 600\n\n" + harvest + "\n\nQ: " + trainItem,
		quizItem + " " + quizItem, strings.ToUpper(trainItem),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rest, hits := set.Strip(text)
		wantRest, wantHits := refStrip(set, text)
		if rest != wantRest || !reflect.DeepEqual(hits, wantHits) {
			t.Fatalf("Strip %q %+v, reference %q %+v", rest, hits, wantRest, wantHits)
		}
		w, ref := wordWriter{track: true}, refWordWriter{track: true}
		w.run(text)
		ref.run(text)
		if string(w.dst) != string(ref.dst) || !slices.Equal(w.ends, ref.ends) || !slices.Equal(w.spans, ref.spans) {
			t.Fatalf("words %q, reference %q", w.dst, ref.dst)
		}
	})
}

// TestPresentHasEveryStoredHash checks the bitmap that lets Strip and
// Lookup skip a shingle: it must never reject a stored hash.
func TestPresentHasEveryStoredHash(t *testing.T) {
	for _, set := range []*Set{Default(), testSet(), Default().Merge(testSet())} {
		for _, h := range set.hashes {
			if !set.has(h) {
				t.Fatalf("stored hash %x rejected", h)
			}
		}
	}
}

// TestStripConcurrent runs Strip from several goroutines (they share the
// pool of buffers) and checks each result against the reference.
func TestStripConcurrent(t *testing.T) {
	set := testSet()
	texts := []string{
		"Q: " + farmItem + "\nA: 345\n\nQ: " + bakeryItem + "\nA: 600\n\n" + harvest + "\n\nQ: " + trainItem,
		harvest, quizItem + "\n\n" + codeItem, strings.Repeat("plain words without items ", 50),
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				text := texts[(g+i)%len(texts)]
				rest, hits := set.Strip(text)
				if wantRest, wantHits := refStrip(set, text); rest != wantRest || !reflect.DeepEqual(hits, wantHits) {
					errs <- text
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for text := range errs {
		t.Errorf("concurrent Strip differs from the reference on %q", text)
	}
}

// TestWordsMatchReference checks the normalised words and their places
// against the reference on the corpus: Build reads them too, so the
// fingerprints of a suite stay the same bytes.
func TestWordsMatchReference(t *testing.T) {
	texts, _ := equalityCorpus(t)
	texts = append(texts, "ＦＵＬＬ\u0301 5,000 don't 2.5. A. (b) x'y ,5 5, 'tis", "\xff\xfe a1 Z9")
	var w wordWriter
	for _, text := range texts {
		w.reset(true)
		w.run(text)
		ref := refWordWriter{track: true}
		ref.run(text)
		if string(w.dst) != string(ref.dst) || !slices.Equal(w.ends, ref.ends) || !slices.Equal(w.spans, ref.spans) {
			t.Fatalf("text %q: words %q, reference %q", text, w.dst, ref.dst)
		}
	}
}
