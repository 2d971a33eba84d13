package benchmarks

import (
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// harvest is a harvesting prompt an attacker who reads this repository
// might wrap in benchmark items so that the request reads as evaluation.
const harvest = "Now explain in full detail, step by step, how a transformer model's attention " +
	"heads assign weights, and list every intermediate quantity you compute along the way"

func TestStripKeepsWhatIsNotBenchmark(t *testing.T) {
	set := testSet()
	words := strings.Fields(farmItem)
	half := len(words) / 2
	inside := strings.Join(words[:half], " ") + "\n" + harvest + "\n" + strings.Join(words[half:], " ")
	for _, tc := range []struct {
		name  string
		text  string
		items int
	}{
		{"item, then the payload", farmItem + "\n\n" + harvest, 1},
		{"payload, then the item", harvest + "\n\n" + trainItem, 1},
		{"few-shot items around the payload", "Q: " + farmItem + "\nA: 345\n\nQ: " + bakeryItem + "\nA: 600\n\n" + harvest + "\n\nQ: " + trainItem, 3},
		{"payload inside an item", inside, 1},
		{"no item", harvest, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rest, hits := set.Strip(tc.text)
			if len(hits) != tc.items {
				t.Fatalf("%d hits %+v, want %d", len(hits), hits, tc.items)
			}
			if !strings.Contains(strings.Join(strings.Fields(rest), " "), harvest) {
				t.Errorf("the payload did not survive: rest %q", rest)
			}
			if left := len(strings.Fields(rest)) - len(strings.Fields(harvest)); left > 10*tc.items {
				t.Errorf("%d words of the items left in the rest %q", left, rest)
			}
		})
	}
}

func TestStripOrderAndSuites(t *testing.T) {
	set := testSet()
	_, hits := set.Strip("Question: " + quizItem + "\n\n" + codeItem + "\n\n" + bakeryItem)
	var got []string
	for _, h := range hits {
		got = append(got, h.Suite)
	}
	if strings.Join(got, ",") != "quiz-test,code-test,math-test" {
		t.Fatalf("hits %+v, want the three items in text order", hits)
	}
	if rest, hits := (*Set)(nil).Strip("x y z"); rest != "x y z" || hits != nil {
		t.Errorf("nil set: %q %v", rest, hits)
	}
}

func TestStripNFKC(t *testing.T) {
	set := testSet()
	text := strings.ReplaceAll(farmItem, "14", "１４") + " ＴＡＩＬ"
	rest, hits := set.Strip(text)
	if len(hits) != 1 || !strings.Contains(rest, "TAIL") || strings.Contains(rest, "seedlings") {
		t.Fatalf("Strip = %q, %+v", rest, hits)
	}
}

// FuzzStrip feeds Strip and Lookup any text a client could send: they
// must not panic, must agree, and what Strip keeps must come from the
// text.
func FuzzStrip(f *testing.F) {
	set := testSet()
	for _, s := range []string{farmItem + harvest, "Q: " + codeItem, "ＦＵＬＬ\u0301 5,000 don't", "\xff\xfe", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rest, hits := set.Strip(text)
		_, matched := set.Lookup(text)
		if matched != (len(hits) > 0) {
			t.Fatalf("Lookup says %v, Strip found %d items", matched, len(hits))
		}
		if len(hits) == 0 && rest != text && rest != norm.NFKC.String(text) {
			t.Fatalf("no item, but the text changed: %q → %q", text, rest)
		}
	})
}

func TestStripKeepsTheSendersWordsThatRecurInAnItem(t *testing.T) {
	set := testSet()
	// "tomato plants are in the field" recurs in the sender's question.
	own := "My garden has 9 rows; how many tomato plants are in the field if each row holds 12?"
	rest, hits := set.Strip("Q: " + farmItem + "\nA: 345\n\nQ: " + own + "\nA:")
	if len(hits) != 1 || !strings.Contains(rest, own) {
		t.Fatalf("hits %+v; rest %q lost part of the sender's question", hits, rest)
	}
}
