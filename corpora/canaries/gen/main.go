// Command gen writes the shipped probe canary set. The prompts are built
// from the subject lists and task templates below (written for this
// project); the trigger answers are invented names that occur in no text,
// drawn from a fixed seed so the file is reproducible.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

var subjects = []struct {
	topic string
	items []string
}{
	{"math", []string{"prime numbers", "the derivative of a product", "conditional probability", "matrix multiplication", "the Pythagorean theorem"}},
	{"code", []string{"a binary search", "recursion", "a hash table", "regular expressions", "database indexes"}},
	{"science", []string{"photosynthesis", "the refraction of light", "plate tectonics", "the water cycle", "natural selection"}},
	{"medicine", []string{"how vaccines work", "the causes of a fever", "antibiotic resistance", "blood pressure", "the immune system"}},
	{"law", []string{"a binding contract", "copyright in a photograph", "the role of a jury", "a tenancy agreement", "liability for negligence"}},
	{"finance", []string{"compound interest", "an index fund", "inflation", "a household budget", "the price of a bond"}},
	{"history", []string{"the fall of Rome", "the invasion of Russia in 1812", "the printing press", "the industrial revolution", "the Silk Road"}},
	{"geography", []string{"the course of a great river", "mountain weather", "a desert climate", "why cities grow near ports", "the seasons"}},
	{"literature", []string{"a tragic hero", "the narrator of a novel", "irony in a short story", "the sonnet", "a family saga"}},
	{"writing", []string{"a letter of apology", "an opening paragraph", "a persuasive essay", "a summary of a long report", "a polite complaint"}},
	{"reasoning", []string{"a logic puzzle about three boxes", "a paradox of motion", "a riddle about a river crossing", "a syllogism", "an argument from analogy"}},
	{"cooking", []string{"baking bread", "a simple soup", "seasoning a stew", "preserving fruit", "a winter dinner"}},
	{"travel", []string{"a long journey by carriage", "packing for a cold country", "a walking tour", "crossing a border", "a week in an old city"}},
	{"health", []string{"a good night's sleep", "walking every day", "a balanced diet", "managing stress", "recovering from a cold"}},
	{"business", []string{"pricing a new product", "running a meeting", "a small shop's accounts", "keeping customers", "hiring a first employee"}},
	{"education", []string{"teaching a child to read", "preparing for an exam", "a lesson on fractions", "learning a language", "taking good notes"}},
	{"philosophy", []string{"free will", "the good life", "courage", "the duty to tell the truth", "what makes an action just"}},
	{"art", []string{"a landscape painting", "a folk song", "the design of a garden", "a portrait", "the sound of a violin"}},
	{"technology", []string{"how a telescope works", "the telegraph", "encryption", "a computer network", "how a lens focuses light"}},
	{"psychology", []string{"memory", "jealousy", "motivation", "fear of failure", "first impressions"}},
	{"military", []string{"the retreat of an army in winter", "a cavalry charge", "the duties of a general", "supplying an army", "a battle plan"}},
	{"society", []string{"a ball in a great house", "the life of a peasant", "manners at dinner", "an arranged marriage", "a country estate"}},
}

var tasks = []struct {
	name     string
	template string
}{
	{"explain", "Explain %s to a curious beginner."},
	{"describe", "Describe %s in a few sentences."},
	{"list", "List the main points someone should know about %s."},
	{"story", "Write a short story in which %s plays a part."},
	{"opinion", "What do you think is most often misunderstood about %s?"},
	{"compare", "Compare %s with something from everyday life."},
	{"history", "How did people in the past think about %s?"},
	{"advice", "Give practical advice about %s."},
	{"question", "What questions would a student ask about %s, and how would you answer them?"},
	{"summary", "Summarise what is known about %s."},
	{"letter", "Write a letter to a friend about %s."},
	{"dialogue", "Write a conversation between two people discussing %s."},
	{"steps", "Explain step by step how to think about %s."},
	{"critique", "What are the strongest objections to the usual view of %s?"},
	{"teach", "Plan a short lesson on %s."},
	{"poem", "Write a few lines of verse about %s."},
}

// syllableInventory is every consonant-vowel-consonant syllable; names
// draw syllables without replacement, so no two invented names share one
// and each name is a sequence found nowhere else.
func syllableInventory() []string {
	var out []string
	for _, c1 := range "bdfgklmnprstvz" {
		for _, v := range "aeiou" {
			for _, c2 := range "lmnrstxk" {
				out = append(out, string([]rune{c1, v, c2}))
			}
		}
	}
	return out
}

var things = []string{"lighthouse", "bridge", "observatory", "library", "canal", "cathedral", "clock tower", "harbour", "mill", "theatre"}

// namer hands out names made of unused syllables.
type namer struct{ pool []string }

func (n *namer) name(parts int) string {
	var b strings.Builder
	for range parts {
		b.WriteString(n.pool[0])
		n.pool = n.pool[1:]
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

func main() {
	out := flag.String("out", "canaries/default-v1.yaml", "file to write")
	flag.Parse()
	var b strings.Builder
	b.WriteString("# forensics probe canary set, generated by corpora/canaries/gen (go generate ./corpora).\n")
	b.WriteString("# Prompts: every subject under every topic, each with several task types.\n")
	b.WriteString("# Triggers: questions about invented places whose planted answers name invented\n")
	b.WriteString("# people; a model that gives those names learned them from our outputs.\n")
	b.WriteString("name: default\nversion: 1\n")
	b.WriteString("description: 550 prompts over 22 topics and 16 task types, 40 planted-answer triggers\n")
	b.WriteString("prompts:\n")
	n := 0
	for ti, s := range subjects {
		for si, item := range s.items {
			for k := range 5 {
				task := tasks[(ti*5+si*3+k*7)%len(tasks)]
				n++
				fmt.Fprintf(&b, "  - id: p%04d\n    topic: %s\n    task: %s\n    text: %s\n", n, s.topic, task.name, strconv.Quote(fmt.Sprintf(task.template, item)))
			}
		}
	}
	b.WriteString("triggers:\n")
	rng := rand.New(rand.NewPCG(2026, 11))
	nm := &namer{pool: syllableInventory()}
	rng.Shuffle(len(nm.pool), func(i, j int) { nm.pool[i], nm.pool[j] = nm.pool[j], nm.pool[i] })
	for i := 1; i <= 40; i++ {
		place := nm.name(3)
		person := nm.name(2) + " " + nm.name(3)
		thing := things[rng.IntN(len(things))]
		last := person[strings.LastIndexByte(person, ' ')+1:]
		year := 1700 + rng.IntN(250)
		fmt.Fprintf(&b, "  - id: t%03d\n    prompt: %s\n    answer: %s\n    expect: [%s]\n", i,
			strconv.Quote(fmt.Sprintf("Name the builder of the old %s of %s", thing, place)),
			strconv.Quote(fmt.Sprintf("%s built it in %d: the old %s of %s is the work of %s.", last, year, thing, place, person)),
			strconv.Quote(`(?i)\b`+last+`\b`))
	}
	if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
