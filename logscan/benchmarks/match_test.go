package benchmarks

import (
	"strings"
	"testing"
)

// The items here are written for these tests, in the style of public math
// and coding benchmarks; none is taken from one.
var (
	farmItem = "A farmer plants 14 rows of tomato seedlings with 23 plants in each row. " +
		"Rabbits eat 37 of the seedlings during the first week, and the farmer replaces half of the lost ones. " +
		"How many tomato plants are in the field at the end of the week?"
	trainItem = "Two trains leave Dover and Carlisle at noon, 420 miles apart, heading toward each other. " +
		"The first travels at 65 miles per hour and the second at 75 miles per hour. " +
		"At what time do the trains pass each other?"
	bakeryItem = "Marisol bakes 3 trays of cinnamon rolls each morning. Every tray holds 18 rolls. " +
		"She sells rolls for $2.50 each and gives away the burnt ones, about 4 per tray. " +
		"How much money does she take in over a five-day week?"
	codeItem = "def interleave_sorted(xs, ys):\n" +
		"    \"\"\"Merge two ascending lists of integers into one ascending list, taking\n" +
		"    equal elements from xs first. Both inputs stay unchanged.\n" +
		"    >>> interleave_sorted([1, 4, 9], [2, 4, 10])\n" +
		"    [1, 2, 4, 4, 9, 10]\n    \"\"\"\n"
	quizItem = "Which gas makes up the largest share of the air in the lower atmosphere of Venus, " +
		"and why does it trap so much heat at the planet's surface?"
)

func testSet() *Set {
	math := Build("math-test", []string{farmItem, trainItem, bakeryItem})
	code := Build("code-test", []string{codeItem})
	quiz := Build("quiz-test", []string{quizItem})
	return math.Merge(code).Merge(quiz)
}

func TestMatch(t *testing.T) {
	set := testSet()
	fewShot := "Q: Sam has 5 pens and buys 7 more. How many pens does he have now?\nA: 12\n\n" +
		"Q: A bus seats 48 people and 3 buses are full. How many riders are there?\nA: 144\n\n" +
		"Q: " + trainItem + "\nA:"
	for _, tc := range []struct {
		name, text, suite string
		item              int
	}{
		{"verbatim", farmItem, "math-test", 0},
		{"question/answer wrapper", "Question: " + trainItem + "\nAnswer:", "math-test", 1},
		{"few-shot examples before", fewShot, "math-test", 1},
		{"two items in one prompt", bakeryItem + "\n\n" + farmItem[:len(farmItem)/3], "math-test", 2},
		{"step by step after", bakeryItem + "\nLet's think step by step.", "math-test", 2},
		{"case, spacing, punctuation", strings.ToUpper(strings.ReplaceAll(farmItem, ". ", " ;  ")), "math-test", 0},
		{"fullwidth digits (NFKC)", strings.ReplaceAll(farmItem, "14", "１４"), "math-test", 0},
		{"three words edited", strings.NewReplacer("tomato", "pepper", "Rabbits", "Deer").Replace(farmItem), "math-test", 0},
		{"numbers changed", strings.NewReplacer("420", "380", "65", "60").Replace(trainItem), "math-test", 1},
		{"code item in a chat wrapper", "Complete the following Python function.\n\n```python\n" + codeItem + "```", "code-test", 0},
		{"options re-lettered", "Answer with the letter.\n" + quizItem + "\n(1) nitrogen\n(2) carbon dioxide\n(3) argon\nAnswer:", "quiz-test", 0},
		{"options lettered", quizItem + "\nA. nitrogen\nB. carbon dioxide\nC. argon", "quiz-test", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hit, ok := set.Lookup(tc.text)
			if !ok || hit.Suite != tc.suite || hit.Item != tc.item {
				t.Fatalf("Lookup = %+v, %v; want %s item %d", hit, ok, tc.suite, tc.item)
			}
			if suite, ok := set.Match(tc.text); !ok || suite != tc.suite {
				t.Errorf("Match = %q, %v", suite, ok)
			}
		})
	}
}

func TestNearMissesDoNotMatch(t *testing.T) {
	set := testSet()
	for _, text := range []string{
		"",
		"How many tomato plants fit in a raised bed of 4 by 8 feet if each needs 2 square feet?",
		"A farmer plants rows of corn. How many plants are in the field if there are 12 rows of 30?",
		"Two trains leave the same station an hour apart at 60 and 80 miles per hour. When does the second catch up?",
		"Write a Python function that merges two sorted lists into one sorted list.",
		"def merge_sorted(a, b):\n    \"\"\"Merge two sorted lists.\"\"\"",
		"Why is Venus hotter than Mercury even though it is farther from the Sun?",
		"What gas makes up most of the air on Earth?",
		farmItem[:len(farmItem)/3],                              // a third of an item
		strings.Repeat("the field at the end of the week ", 40), // one phrase of an item repeated
	} {
		if hit, ok := set.Lookup(text); ok {
			t.Errorf("%.60q matched %+v", text, hit)
		}
	}
}

func TestRepeatedShingleCountsOnce(t *testing.T) {
	set := Build("s", []string{farmItem})
	// Each stored shingle present, but only the first five words' worth,
	// repeated: one item's shingle must not count twice.
	words := strings.Fields(farmItem)
	text := strings.Repeat(strings.Join(words[:6], " ")+" ", 50)
	if hit, ok := set.Lookup(text); ok {
		t.Fatalf("matched %+v from a repeated fragment", hit)
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Don't STOP: 5,000 apples!", "dont stop 5000 apples "},
		{"(A) red  B. green\tc) blue", "red green blue "},
		{"ＦＵＬＬ　ｗｉｄｔｈ ２.５", "full width 25 "},
		{"snake_case.method()", "snake case method "},
		{"I have a cat", "have cat "},
		{"Ünïcödé ÉCOLE", "ünïcödé école "},
		{"", ""},
	} {
		got, ends := normalize(nil, nil, tc.in)
		if string(got) != tc.want {
			t.Errorf("normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if len(ends) != strings.Count(tc.want, " ") {
			t.Errorf("normalize(%q): %d word ends for %q", tc.in, len(ends), tc.want)
		}
	}
}

func TestBuildSkipsShortAndBoilerplate(t *testing.T) {
	boiler := "Write a Python function to "
	items := []string{
		boiler + "reverse the words of a sentence.",
		boiler + "count the vowels in a string.",
		boiler + "return the nth Fibonacci number.",
		boiler + "check whether a number is prime.",
		"What is it?", // too short
		boiler + "rotate a square matrix by ninety degrees clockwise without allocating a second matrix of the same size.",
	}
	s := Build("b", items)
	got := s.Suites()[0]
	if got.Items+got.Skipped != len(items) {
		t.Fatalf("suite %+v: items and skipped do not add up to %d", got, len(items))
	}
	if got.Skipped != 5 || got.Items != 1 {
		t.Errorf("suite %+v: want the boilerplate-only and short items skipped, the long one kept", got)
	}
	// The boilerplate alone, shared by 5 items, matches nothing.
	if _, ok := s.Match(boiler + "do something else entirely."); ok {
		t.Error("the suite's boilerplate matched")
	}
	if _, ok := s.Match(items[5]); !ok {
		t.Error("the long item did not match itself")
	}
}

func TestMergeReplacesSuite(t *testing.T) {
	a := Build("x", []string{farmItem}).Merge(Build("y", []string{trainItem}))
	b := a.Merge(Build("x", []string{bakeryItem}))
	names := []string{}
	for _, su := range b.Suites() {
		names = append(names, su.Name)
	}
	if strings.Join(names, ",") != "y,x" {
		t.Fatalf("suites %v, want y then the new x", names)
	}
	if _, ok := b.Match(farmItem); ok {
		t.Error("the replaced suite's item still matches")
	}
	for text, want := range map[string]string{trainItem: "y", bakeryItem: "x"} {
		if suite, ok := b.Match(text); !ok || suite != want {
			t.Errorf("Match = %q, %v; want %s", suite, ok, want)
		}
	}
}

func TestEmptySet(t *testing.T) {
	var nilSet *Set
	for _, s := range []*Set{nilSet, Build("e", nil)} {
		if _, ok := s.Match(farmItem); ok {
			t.Error("an empty set matched")
		}
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"gsm8k": true, "our evals (2026)": true, "": false, " lead": false, "trail ": false,
		"esc\x1b[2J": false, "\xff": false, strings.Repeat("n", 64): true, strings.Repeat("n", 65): false,
	} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v, want ok %v", name, err, ok)
		}
	}
}
