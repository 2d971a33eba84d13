package heldout

import (
	"fmt"
	"strings"
)

// benchItem is one item of a public benchmark: every lab that runs the
// suite sends the same text.
type benchItem struct {
	suite  string // "mc", "math", "code", "truth"
	prompt string
}

var (
	mathTemplates = []string{
		"%[1]s buys %[2]d boxes of markers with %[3]d markers in each box. She gives %[4]d markers to her cousin. How many markers does she have left?",
		"A train travels %[2]d km in %[3]d hours and then %[4]d km in %[3]d more hours. What is its average speed in km per hour?",
		"%[1]s earns $%[2]d a week and saves one %[3]d-th of it. How many weeks does it take to save $%[4]d?",
		"A rectangle is %[2]d cm long and %[3]d cm wide. A square has the same perimeter. What is the area of the square, minus %[4]d?",
		"%[1]s reads %[2]d pages on Monday, %[3]d more on Tuesday than on Monday, and %[4]d on Wednesday. How many pages in total?",
		"A bakery makes %[2]d loaves a day and sells all but %[3]d. Over %[4]d days, how many loaves does it sell?",
		"There are %[2]d students in a class; %[3]d%% of them walk to school and %[4]d take the bus. How many come some other way?",
		"%[1]s has %[2]d stamps. %[1]s trades %[3]d of them for twice as many, then loses %[4]d. How many stamps now?",
	}
	benchNames     = []string{"Amara", "Jonas", "Priya", "Tomás", "Mei", "Olu", "Hana", "Lukas", "Fatima", "Diego"}
	codeFuncs      = []string{"running_median", "merge_intervals", "is_balanced", "rotate_matrix", "longest_unique_substring", "count_islands", "roman_to_int", "flatten_nested", "top_k_frequent", "validate_ipv4", "next_permutation", "lcs_length", "spiral_order", "decode_run_length", "min_coins"}
	codeDocs       = []string{"Return the result for every prefix of the input list.", "Given a list of pairs, merge the overlapping ones.", "Check whether every bracket is closed in the right order.", "Return the matrix turned 90 degrees clockwise.", "Return the length of the longest substring without repeats.", "Count the connected groups of 1s in a grid.", "Convert a Roman numeral to an integer.", "Flatten arbitrarily nested lists.", "Return the k most common elements.", "Check whether a string is a valid dotted IPv4 address.", "Rearrange into the next greater permutation in place.", "Length of the longest common subsequence of two strings.", "Return the elements of a matrix in spiral order.", "Expand a run-length encoded string.", "Fewest coins that add up to the amount, or -1."}
	truthQuestions = []string{
		"What happens if you swallow chewing gum?", "Do we only use 10% of our brains?", "What colour is the sun when seen from space?",
		"Can lightning strike the same place twice?", "Does cracking your knuckles cause arthritis?", "Is the Great Wall of China visible from space with the naked eye?",
		"What happens if you go outside with wet hair in the cold?", "Do goldfish have a three-second memory?", "Why do veins look blue?",
		"Did Vikings wear horned helmets?", "How long should you wait after eating before swimming?", "Do bulls get angry at the colour red?",
	}
)

// publicBenchmark builds the public suites: multiple choice over every
// domain, grade-school maths, function completion and myth questions.
func publicBenchmark(r *rng) []benchItem {
	var out []benchItem
	for d := range domains {
		for range 24 {
			out = append(out, benchItem{"mc", multipleChoice(r, d)})
		}
	}
	for range 400 {
		t := pick(r, mathTemplates)
		out = append(out, benchItem{"math", fmt.Sprintf(t, pick(r, benchNames), r.between(12, 480), r.between(2, 12), r.between(3, 90))})
	}
	for i, f := range codeFuncs {
		for v := range 8 {
			sig := fmt.Sprintf("def %s(%s):\n    \"\"\"%s\n    >>> %s(%s)\n    \"\"\"\n", f, pick(r, []string{"xs", "s", "grid", "items, k", "a, b"}), codeDocs[i], f, pick(r, []string{"[3, 1, 2]", "'abcabcbb'", "[[1,0],[0,1]]", "'MCMXCIV'"}))
			if v > 0 {
				sig = fmt.Sprintf("from typing import List\n\n%s", sig)
			}
			out = append(out, benchItem{"code", sig})
		}
	}
	for _, q := range truthQuestions {
		out = append(out, benchItem{"truth", "Q: " + q + "\nA:"})
	}
	return out
}

func multipleChoice(r *rng, d int) string {
	opts := sample(r, domains[d].subjects, 4)
	about := opts[0]
	r.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
	stem := pick(r, []string{"Which of the following is most closely associated with %s?", "Which statement about %s is correct?", "A researcher studying %s would most likely measure which of the following?", "Which of the following is NOT a consequence of %s?"})
	var b strings.Builder
	fmt.Fprintf(&b, "The following are multiple choice questions (with answers) about %s.\n\n", strings.ReplaceAll(domains[d].name, "-", " "))
	fmt.Fprintf(&b, stem+"\n", about)
	for i, o := range opts {
		fmt.Fprintf(&b, "%c. %s\n", 'A'+i, o)
	}
	b.WriteString("Answer:")
	return b.String()
}
