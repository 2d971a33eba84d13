package traffic

import (
	"fmt"
	"strings"
	"time"

	"forensics/logline"
)

// rag is a company's knowledge assistant: its employees' questions, each
// sent with the system prompt and three to six passages retrieved from
// the company's documents (a corpus on its few topics): long prompts,
// short grounded answers, at office hours, 20–80 a day.
func (s *simulator) rag(name string, b int) {
	c := s.companyClient(name, b)
	c.ua = "langchain/0.2 (python-httpx/0.27)"
	if b%3 == 0 {
		c.models = []string{FlagshipModel}
	}
	company := companies[b%len(companies)]
	system := fmt.Sprintf("You are the internal knowledge assistant of %s. Answer the employee's question using only the documents below, "+
		"and cite them by number, like [2]. If the documents do not contain the answer, say that you do not know.", company)
	topics := s.companyTopics()
	type doc struct {
		topic int
		text  string
	}
	corpus := make([]doc, 40)
	for k := range corpus {
		t := topics[s.rng.IntN(len(topics))]
		corpus[k] = doc{t, s.passage(t, 80+s.rng.IntN(140))}
	}
	offset := b%8 - 2
	for k := 0; k < s.days*(20+s.rng.IntN(60)); k++ {
		var user strings.Builder
		user.WriteString("Documents:\n")
		first := corpus[s.rng.IntN(len(corpus))]
		for d := 0; d < 3+s.rng.IntN(4); d++ {
			p := first
			if d > 0 {
				p = corpus[s.rng.IntN(len(corpus))]
			}
			fmt.Fprintf(&user, "[%d] %s\n", d+1, p.text)
		}
		fmt.Fprintf(&user, "\nQuestion: %s", s.benignPrompt([]int{first.topic}))
		msgs := []logline.Message{{Role: "system", Content: system}, {Role: "user", Content: user.String()}}
		s.emit(c, s.workTime(offset), msgs, map[string]any{"temperature": 0.1, "max_tokens": 400}, 30+s.rng.IntN(220))
	}
}

// classifyTasks are the fixed instructions of labelling pipelines.
var classifyTasks = []string{
	"Classify the sentiment of the following customer message as positive, negative or neutral. Reply with one word.\n\nMessage: %s",
	"Which team should handle this support ticket? Answer with exactly one of: billing, technical, sales, other.\n\nTicket: %s",
	"Does the following user post break the community rules (harassment, spam, or illegal content)? Answer yes or no.\n\nPost: %s",
	"Label the main subject of this text with a single word.\n\nText: %s",
}

// classification labels texts on every topic with one fixed instruction:
// a nightly backlog batch from a worker pool and a stream during the
// day; temperature 0, a limit of a few tokens, one-word answers.
func (s *simulator) classification(name string, b int) {
	c := s.companyClient(name, b)
	c.ua, c.models = "python-requests/2.32.3", []string{SmallModel}
	task := classifyTasks[b%len(classifyTasks)]
	limit := []int{2, 3, 5}[s.rng.IntN(3)]
	n := len(s.topics)
	text := func() string {
		t := s.rng.IntN(n)
		if s.rng.IntN(2) == 0 {
			return s.benignPrompt([]int{t})
		}
		return s.passage(t, 15+s.rng.IntN(50))
	}
	send := func(ts time.Time) {
		s.emit(c, ts, chat(fmt.Sprintf(task, text())), map[string]any{"temperature": 0.0, "max_tokens": limit}, 1+s.rng.IntN(2))
	}
	for day := 0; day < s.days; day++ {
		ts := s.start.Add(time.Duration(day)*24*time.Hour + time.Duration(1+b%3)*time.Hour)
		for k := 0; k < 60+s.rng.IntN(120); k++ {
			ts = ts.Add(s.spread(1500))
			send(ts)
		}
		for k := 0; k < 80+s.rng.IntN(160); k++ {
			send(s.workTime(b%8 - 2))
		}
	}
}

// translation translates a company's documents (paragraphs on its
// topics) into two to four languages: answers as long as the input or a
// little longer; editors' hours.
func (s *simulator) translation(name string, b int) {
	c := s.companyClient(name, b)
	c.ua = "openai-python/1.40"
	if b%2 == 0 {
		c.models = []string{FlagshipModel}
	}
	langs := []string{"German", "French", "Spanish", "Japanese", "Portuguese", "Italian", "Dutch", "Polish"}
	s.rng.Shuffle(len(langs), func(i, j int) { langs[i], langs[j] = langs[j], langs[i] })
	langs = langs[:2+s.rng.IntN(3)]
	topics := s.companyTopics()
	withSystem := s.rng.IntN(2) == 0
	for k := 0; k < s.days*(30+s.rng.IntN(90)); k++ {
		lang := langs[s.rng.IntN(len(langs))]
		text := s.passage(topics[s.rng.IntN(len(topics))], 40+s.rng.IntN(180))
		msgs := chat(fmt.Sprintf("Translate into %s:\n\n%s", lang, text))
		if withSystem {
			msgs = []logline.Message{{Role: "system", Content: fmt.Sprintf("You are a professional translator. Translate the user's text into %s. "+
				"Keep the formatting and do not add explanations.", lang)}, {Role: "user", Content: text}}
		}
		want := int(float64(tokenCount(text)) * (1.0 + 0.4*s.rng.Float64()))
		s.emit(c, s.workTime(b%8-2), msgs, map[string]any{"temperature": 0.3, "max_tokens": 2048}, want)
	}
}
