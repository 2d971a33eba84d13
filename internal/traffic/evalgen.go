package traffic

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// mathSuite is 320 grade-school word problems, 40 from each of eight
// templates, with their answers.
func mathSuite(rng *rand.Rand) []evalItem {
	name := func() string { return firstNames[rng.IntN(len(firstNames))] }
	num := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
	problems := []func() (string, int){
		func() (string, int) {
			n, t, a, b, c := name(), things[rng.IntN(len(things))], num(3, 40), num(2, 9), num(2, 12)
			return fmt.Sprintf("%s has %d %s. %s buys %d bags with %d %s in each. How many %s does %s have now?", n, a, t, n, b, c, t, t, n), a + b*c
		},
		func() (string, int) {
			s, h, t, k := num(40, 120), num(1, 5), num(30, 90), num(1, 4)
			return fmt.Sprintf("A train travels at %d km per hour for %d hours, then at %d km per hour for %d hours. How many kilometres does it travel in total?", s, h, t, k), s*h + t*k
		},
		func() (string, int) {
			n, w, h, e, d := name(), num(12, 30), num(10, 40), num(50, 150), num(2, 8)
			return fmt.Sprintf("%s earns $%d an hour and works %d hours a week. After paying $%d a week for rent, how much does %s save in %d weeks?", n, w, h, e, n, d), (w*h - e) * d
		},
		func() (string, int) {
			m, p := 40*num(1, 25), []int{10, 20, 25, 30, 40, 50, 60, 75, 80}[rng.IntN(9)]
			return fmt.Sprintf("A baker makes %d muffins. He sells %d%% of them in the morning and half of the rest in the afternoon. How many muffins are left?", m, p), m * (100 - p) / 200
		},
		func() (string, int) {
			s, n, b := num(12, 35), num(2, 6), []int{6, 10, 12}[rng.IntN(3)]
			return fmt.Sprintf("A class has %d students. Each student needs %d pencils, and pencils come in boxes of %d. How many boxes does the teacher need to buy?", s, n, b), (s*n + b - 1) / b
		},
		func() (string, int) {
			n, x, y := name(), num(4, 15), num(2, 9)
			return fmt.Sprintf("%s is %d years old. Her brother is %d years older, and their mother is three times as old as the brother. How old is their mother?", n, x, y), 3 * (x + y)
		},
		func() (string, int) {
			n, p, q, a, b := name(), num(1, 4), num(2, 7), num(2, 6), num(1, 5)
			z := []int{20, 50, 100}[rng.IntN(3)]
			for p*a+q*b >= z {
				z *= 2
			}
			return fmt.Sprintf("Pens cost $%d each and notebooks $%d each. %s buys %d pens and %d notebooks and pays with a $%d bill. How much change does %s get?", p, q, n, a, b, z, n), z - p*a - q*b
		},
		func() (string, int) {
			l, w, c := num(5, 40), num(4, 30), num(3, 15)
			return fmt.Sprintf("A garden is %d metres long and %d metres wide. Fencing costs $%d a metre. How much does it cost to fence the whole garden?", l, w, c), 2 * (l + w) * c
		},
	}
	var items []evalItem
	seen := map[string]bool{}
	for k := 0; k < 40; k++ {
		for _, p := range problems {
			text, answer := p()
			for try := 0; seen[text] && try < 10; try++ {
				text, answer = p()
			}
			seen[text] = true
			items = append(items, evalItem{text: text, answer: fmt.Sprint(answer), format: "math"})
		}
	}
	return items
}

// codeSuite is function stubs to complete in three languages, in two
// styles (a docstring, or a docstring with an example).
func codeSuite() []evalItem {
	type task struct{ name, doc, example string }
	var tasks []task
	for _, agg := range [][2]string{{"sum", "the sum of"}, {"count", "how many there are of"}, {"max", "the largest of"}, {"product", "the product of"}} {
		for _, f := range [][2]string{{"even", "the even numbers"}, {"odd", "the odd numbers"}, {"positive", "the positive numbers"},
			{"negative", "the negative numbers"}, {"div3", "the numbers divisible by three"}, {"prime", "the prime numbers"}} {
			tasks = append(tasks, task{agg[0] + "_" + f[0], fmt.Sprintf("Return %s %s in xs.", agg[1], f[1]), "[1, 2, 3, 4, 5, 6]"})
		}
	}
	for _, t := range [][2]string{{"reverse_words", "Return s with the order of its words reversed."}, {"count_vowels", "Return the number of vowels in s."},
		{"title_case", "Return s with the first letter of each word in upper case."}, {"dedupe_chars", "Return s without repeated characters, keeping the first of each."},
		{"is_palindrome", "Return whether s reads the same backwards, ignoring case and spaces."}, {"longest_word", "Return the longest word of s."},
		{"compress", "Return the run-length encoding of s, e.g. aaab becomes a3b1."}, {"rot13", "Return s with every letter rotated by 13 places."},
		{"snake_case", "Return s converted from camelCase to snake_case."}, {"count_words", "Return the number of words in s."}} {
		tasks = append(tasks, task{t[0], t[1], `"Never odd or even"`})
	}
	var items []evalItem
	for _, t := range tasks {
		arg := "xs"
		if strings.Contains(t.doc, " s ") || strings.HasSuffix(t.doc, " s.") {
			arg = "s"
		}
		camel := camelCase(t.name)
		for style := 0; style < 2; style++ {
			doc := t.doc
			if style == 1 {
				doc += fmt.Sprintf(" For example, %s(%s).", t.name, t.example)
			}
			items = append(items,
				evalItem{text: fmt.Sprintf("def %s(%s):\n    \"\"\"%s\"\"\"\n", t.name, arg, doc), format: "code"},
				evalItem{text: fmt.Sprintf("function %s(%s) {\n  // %s\n", camel, arg, strings.ReplaceAll(doc, t.name, camel)), format: "code"},
				evalItem{text: fmt.Sprintf("// %s %s\nfunc %s(%s) {\n", strings.ToUpper(camel[:1])+camel[1:], lowerFirst(doc), strings.ToUpper(camel[:1])+camel[1:], goParam(arg)), format: "code"})
		}
	}
	return items
}

func camelCase(snake string) string {
	parts := strings.Split(snake, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

func goParam(arg string) string {
	if arg == "s" {
		return "s string"
	}
	return "xs []int"
}

// readingSuite is 300 short passages with a question each.
func readingSuite(rng *rand.Rand) []evalItem {
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	var items []evalItem
	for len(items) < 300 {
		n, job, city, habit, day, month, ep := pick(firstNames), pick(jobs), pick(cities), pick(habits), pick(weekdays), pick(months), pick(episodes)
		passage := fmt.Sprintf("%s works as a %s in %s. Every %s morning, %s %s before work. Last %s, %s %s, and friends still talk about it.",
			n, job, city, day, n, habit, month, n, ep)
		q := [][2]string{{"Where does %s work?", city}, {"What is %s's job?", job}, {"What does %s do every " + day + " morning?", habit},
			{"What happened to %s last " + month + "?", ep}, {"On which morning does %s " + strings.TrimSuffix(strings.SplitN(habit, " ", 2)[0], "s") + "?", day}}[rng.IntN(5)]
		items = append(items, evalItem{text: fmt.Sprintf("Passage: %s\nQuestion: %s", passage, fmt.Sprintf(q[0], n)), answer: q[1], format: "short"})
	}
	return items
}
