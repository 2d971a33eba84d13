package canary

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// The generator of canary sets. The prompts are built from the subject
// lists and task templates below (written for this project) and are the
// same in every set: they are ordinary questions, and nothing rests on
// their being secret. The triggers ask about invented places and their
// planted answers name invented people, made of syllables drawn without
// replacement from every consonant-vowel-consonant syllable by the set's
// random source. With a secret source (Secret) nobody who has not seen our
// planted answers can give them: a model that does learned them from text
// we served. With the public demo source (corpora/canaries/gen) every copy
// of this tool ships the same answers, and their evidence proves nothing.

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

// GenerateOptions describe one generated set.
type GenerateOptions struct {
	Name        string
	Version     int
	Description string
	// Header is comment lines written first (each starting "# ").
	Header []string
	// Rand draws the triggers' invented names and years.
	Rand *rand.Rand
	// Triggers is how many triggers (at most 70: the syllables last).
	Triggers int
}

// Generate writes a canary set's YAML: every subject under every topic
// with several task types (550 prompts), then the triggers.
func Generate(o GenerateOptions) ([]byte, error) {
	if o.Triggers < 0 || o.Triggers*8 > len(syllableInventory()) {
		return nil, fmt.Errorf("canary set: %d triggers; at most %d", o.Triggers, len(syllableInventory())/8)
	}
	var b strings.Builder
	for _, h := range o.Header {
		b.WriteString("# " + h + "\n")
	}
	fmt.Fprintf(&b, "name: %s\nversion: %d\n", o.Name, o.Version)
	b.WriteString("description: " + strconv.Quote(o.Description) + "\n")
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
	rng := o.Rand
	nm := &namer{pool: syllableInventory()}
	rng.Shuffle(len(nm.pool), func(i, j int) { nm.pool[i], nm.pool[j] = nm.pool[j], nm.pool[i] })
	for i := 1; i <= o.Triggers; i++ {
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
	return []byte(b.String()), nil
}

// Secret is the name of the canary set derived from the watermark key.
const Secret = "secret"

// SecretTriggers is how many triggers a secret set has, as the demo set.
const SecretTriggers = 40

// NewSecret generates the deployment's secret canary set from a seed
// derived from its watermark key (watermark.Key.CanarySeed): the gateway
// plants its answers, and the probe, given the same key, asks its
// triggers. The set never leaves the deployment before a probe; the
// bundle of a probe keeps a copy, and a published bundle spends the set
// (a new key gives a new one).
func NewSecret(seed [32]byte, keyID string) (*Set, error) {
	data, err := Generate(GenerateOptions{
		Name: Secret, Version: 1, Triggers: SecretTriggers, Rand: rand.New(rand.NewChaCha8(seed)),
		Description: "SECRET canary set of watermark key " + keyID + ": 550 prompts, 40 planted-answer triggers; do not publish before a probe",
		Header: []string{
			"SECRET forensics canary set, derived from watermark key " + keyID + " (HKDF info \"canaries\").",
			"Its planted answers are evidence only while nobody else has seen them.",
		},
	})
	if err != nil {
		return nil, err
	}
	cs, err := Parse(data)
	if err != nil {
		return nil, err
	}
	cs.Secret = true
	return cs, nil
}
