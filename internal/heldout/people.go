package heldout

import (
	"strings"
	"time"
)

// persona is where and how one person connects.
type persona struct {
	acc     *account
	home    country
	ip      string
	ipUntil time.Time
	v6      bool
	ua      string
	mobile  float64    // share of sessions from the phone
	carrier carrierNAT // the phone's carrier pool (nil: the country's)
	model   string
}

// where is the person's address at t: the home line, whose address
// the provider changes every few days, or the phone.
func (p *persona) where(r *rng, t time.Time) string {
	if r.chance(p.mobile) {
		if p.carrier != nil {
			return pick(r, p.carrier)
		}
		return pick(r, p.home.mobile) + "." + itoa(r.IntN(256)) + "." + itoa(1+r.IntN(254))
	}
	if p.ip == "" || t.After(p.ipUntil) {
		if p.v6 {
			p.ip = home6(r)
		} else {
			p.ip = homeIP(r, p.home)
		}
		p.ipUntil = t.Add(time.Duration(r.logNormal(96, 0.6) * float64(time.Hour)))
	}
	return p.ip
}

// signUp opens a person's account: most long before the log, some
// during it, a quarter paying.
func (a *actor) signUp(kind string) *account {
	g := a.gen
	created := g.start.Add(-time.Duration(a.rng.logNormal(200, 1.2) * 24 * float64(time.Hour)))
	if a.rng.chance(0.08) {
		created = g.start.Add(time.Duration(a.rng.Float64() * 4 * 24 * float64(time.Hour)))
	}
	tier := "free"
	if a.rng.chance(0.25) {
		tier = "pro"
	}
	acc := a.newAccount(kind, "", tier, created)
	if tier == "pro" {
		acc.info.PaymentID = "pm_" + a.rng.hex(14)
	}
	if a.rng.chance(0.07) { // a second key, for another device or app
		acc.addKey(a.rng, created.Add(time.Duration(a.rng.Float64()*float64(g.end.Sub(created)))))
	}
	return acc
}

func (a *actor) newPersona(kind string, c country) *persona {
	p := &persona{acc: a.signUp(kind), home: c, ua: personUA(a.rng), mobile: 0.15, model: modelFlagship}
	p.v6 = a.rng.chance(0.15)
	if a.rng.chance(0.4) {
		p.model = pick(a.rng, []string{modelSmall, modelMid})
	}
	return p
}

// style is how a person's client sets parameters.
type style struct {
	temp      float64
	noTemp    bool
	maxTokens int
	out       float64 // median answer tokens
	endpoint  string
	system    string
}

func (a *actor) personStyle(p *persona) style {
	s := style{noTemp: a.rng.chance(0.55), temp: pick(a.rng, []float64{0.7, 0.7, 1, 0.5, 0.8}), out: 320}
	if a.rng.chance(0.4) {
		s.maxTokens = pick(a.rng, []int{1024, 2048, 4096, 800})
	}
	if strings.HasPrefix(p.ua, "ollama") {
		s.endpoint = pick(a.rng, []string{ollamaChat, ollamaGen})
	}
	return s
}

// converse plays one session as a chat: an opener, then follow-ups.
func (a *actor) converse(p *persona, st style, ch *chat, times []time.Time, opener func() (string, string)) {
	user, subject := opener()
	for i, t := range times {
		if i > 0 {
			if a.rng.chance(0.25) { // a new topic: a new chat
				*ch = chat{lossy: ch.lossy}
				user, subject = opener()
			} else {
				user = typos(a.rng, fill(pick(a.rng, followUps), subject), 0.01)
			}
		}
		c := &call{acc: p.acc, at: t, ip: p.where(a.rng, t), ua: p.ua, endpoint: st.endpoint, model: p.model, system: st.system,
			temp: st.temp, noTemp: st.noTemp, maxTokens: st.maxTokens, out: int(a.rng.logNormal(st.out, 0.6))}
		if st.endpoint == ollamaGen { // one prompt, no history
			c.prompt = user
			a.emit(c)
			continue
		}
		a.turn(c, ch, user, subject)
	}
}

// personActor is someone with a few interests, in English or another
// language.
func (g *gen) personActor(kind string, c country, lang string, h habit) *actor {
	return &actor{play: func(a *actor) {
		p := a.newPersona(kind, c)
		st := a.personStyle(p)
		interests := sample(a.rng, a.rng.Perm(len(domains)), a.rng.between(1, 3))
		opener := func() (string, string) {
			if lang != "en" && a.rng.chance(0.8) {
				t := tongues[lang]
				s := pick(a.rng, t.subjects)
				return typos(a.rng, fill(pick(a.rng, t.frames), s), 0.005), s
			}
			if a.rng.chance(0.3) {
				ch := pick(a.rng, chores)
				return typos(a.rng, ch, 0.01), "this"
			}
			s := subjectOf(a.rng, pick(a.rng, interests))
			return typos(a.rng, fill(pick(a.rng, personFrames), s), 0.015), s
		}
		for _, s := range g.sessions(a.rng, h) {
			a.converse(p, st, &chat{}, s, opener)
		}
	}}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
