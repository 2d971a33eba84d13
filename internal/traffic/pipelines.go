package traffic

import (
	"fmt"
	"time"

	"forensics/logscan"
)

// cloudNets are the /16s of the public clouds where companies run their
// pipelines, and where cloud campaigns rent their addresses: a cloud
// address says little on its own.
var cloudNets = []string{"3.120", "18.156", "34.89", "35.204", "52.14", "44.201"}

// companies name the organisations behind the pipelines (block b of 50
// accounts has company b mod len).
var companies = []string{"Northwind Logistics", "Brightpath Health", "Kestrel Legal", "Lumen Bank", "Orchard Foods",
	"Tidewater Travel", "Quill Publishing", "Granite Insurance"}

// pipeline plays a benign systematic pipeline of the given kind, account
// i of the population. The pipelines of block b = i/50 belong to one
// company (org "corp-b": RAG, classification, translation, agent), one
// evaluation lab ("lab-b") and one consumer app ("app-b").
func (s *simulator) pipeline(name, kind string, i int) {
	b := i / 50
	switch kind {
	case logscan.BenignEval:
		s.evalResearch(name, b)
	case logscan.BenignRAG:
		s.rag(name, b)
	case logscan.BenignClassify:
		s.classification(name, b)
	case logscan.BenignTranslate:
		s.translation(name, b)
	case logscan.BenignChatBackend:
		s.chatBackend(name, b)
	case logscan.BenignAgent:
		s.agentWorkflow(name, b)
	}
}

// companyClient signs up one of company b's pipeline accounts: an
// enterprise contract with a verified organisation, except every fourth
// company, a small firm on the self-serve plan. Keys are rotated at
// deploys; the egress is a fixed address in one cloud.
func (s *simulator) companyClient(name string, b int) *client {
	a := s.orgAccount(fmt.Sprintf("corp-%d", b), "enterprise", true, true, 60, 900)
	if b%4 == 3 {
		a = s.orgAccount(fmt.Sprintf("corp-%d", b), "pro", false, false, 30, 400)
	}
	c := s.signUp(name, a, 1+s.rng.IntN(2))
	c.ip = fmt.Sprintf("%s.%d.%d", cloudNets[b%len(cloudNets)], (b*37)%256, 10+s.rng.IntN(5))
	return c
}

// companyTopics are the three to five subjects a company's documents
// are about.
func (s *simulator) companyTopics() []int {
	n := len(s.topics)
	var ts []int
	for k := 0; k < 3+s.rng.IntN(3); k++ {
		ts = append(ts, s.rng.IntN(n))
	}
	return ts
}

// workTime is a moment in office hours (8–18, Monday to Friday) in a
// time zone offset hours east of UTC, on a random day of the log (any
// day when the log is shorter than a week).
func (s *simulator) workTime(offset int) time.Time {
	for {
		day := s.rng.IntN(s.days)
		d := s.start.Add(time.Duration(day) * 24 * time.Hour)
		if wd := d.Weekday(); s.days >= 7 && (wd == time.Saturday || wd == time.Sunday) {
			continue
		}
		secs := (8-offset)*3600 + s.rng.IntN(10*3600)
		return d.Add(time.Duration(secs) * time.Second)
	}
}

// spread draws the gap between requests a worker pool sends: mean ms
// milliseconds, exponential.
func (s *simulator) spread(ms float64) time.Duration {
	return time.Duration((50 + s.rng.ExpFloat64()*ms) * float64(time.Millisecond))
}
