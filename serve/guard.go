package serve

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// What a client can make the gateway spend before it has shown a valid key
// is bounded here: connections (LimitListener), the time to send a body
// (withBodyDeadline) and log lines for failed authentication (addrLimiter).

// LimitListener caps open connections: at most total at once and at most
// perIP from one address (more are closed as soon as they are accepted).
// When every slot is taken, the connection idle longest (no request in
// progress for at least a second) is closed to make room; only when none
// is idle does Accept wait. Slow or idle clients cannot exhaust the
// process's file descriptors, one address cannot take every slot, and many
// addresses holding idle connections cannot lock others out. Give the
// http.Server's ConnState to Track, so that the listener knows which
// connections are idle.
func LimitListener(l net.Listener, total, perIP int) *LimitedListener {
	return &LimitedListener{Listener: l, slots: make(chan struct{}, total), perIP: perIP, open: map[netip.Addr]int{}, conns: map[*limitConn]struct{}{}}
}

// LimitedListener is a listener made by LimitListener.
type LimitedListener struct {
	net.Listener
	slots chan struct{}
	perIP int
	mu    sync.Mutex
	open  map[netip.Addr]int
	conns map[*limitConn]struct{}
}

// Track is an http.Server ConnState hook: it records which connections
// are idle (between requests, or not yet sending one).
func (l *LimitedListener) Track(c net.Conn, st http.ConnState) {
	lc, ok := c.(*limitConn)
	if !ok {
		return
	}
	l.mu.Lock()
	lc.state, lc.since = st, time.Now()
	l.mu.Unlock()
}

// evictIdle closes the connection idle longest, if one has been idle for
// a second; it reports whether it closed one.
func (l *LimitedListener) evictIdle() bool {
	l.mu.Lock()
	var oldest *limitConn
	for c := range l.conns {
		if (c.state == http.StateNew || c.state == http.StateIdle) && time.Since(c.since) >= time.Second && (oldest == nil || c.since.Before(oldest.since)) {
			oldest = c
		}
	}
	l.mu.Unlock()
	if oldest == nil {
		return false
	}
	oldest.Close()
	return true
}

// takeSlot waits for a free slot, making one from an idle connection when
// there is none (checking again as connections age).
func (l *LimitedListener) takeSlot() {
	for {
		select {
		case l.slots <- struct{}{}:
			return
		default:
		}
		l.evictIdle()
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case l.slots <- struct{}{}:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (l *LimitedListener) Accept() (net.Conn, error) {
	for {
		l.takeSlot()
		c, err := l.Listener.Accept()
		if err != nil {
			<-l.slots
			return nil, err
		}
		addr := hostAddr(c.RemoteAddr())
		l.mu.Lock()
		if l.open[addr] >= l.perIP {
			l.mu.Unlock()
			c.Close()
			<-l.slots
			continue
		}
		l.open[addr]++
		lc := &limitConn{Conn: c, l: l, addr: addr, state: http.StateNew, since: time.Now()}
		l.conns[lc] = struct{}{}
		l.mu.Unlock()
		return lc, nil
	}
}

type limitConn struct {
	net.Conn
	l     *LimitedListener
	addr  netip.Addr
	once  sync.Once
	state http.ConnState // guarded by l.mu
	since time.Time
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		if c.l.open[c.addr]--; c.l.open[c.addr] <= 0 {
			delete(c.l.open, c.addr)
		}
		delete(c.l.conns, c)
		c.l.mu.Unlock()
		<-c.l.slots
	})
	return err
}

// hostAddr is a connection's address as limits count it (clientNet).
func hostAddr(a net.Addr) netip.Addr {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return clientNet(ap.Addr())
}

// clientNet is the unit limits count per: an IPv4 address, or an IPv6
// /48 (a site's allocation: one subscriber often holds a whole /48, and
// counting per /64 would give it 65,536 budgets).
func clientNet(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(48)
		return p.Addr()
	}
	return ip
}

// withBodyDeadline gives a request timeout to arrive whole, from before
// authentication (a client trickling a body holds a connection and a
// goroutine). Handlers clear the deadline once the body is read (readJSON),
// so that long streamed answers are not cut.
func withBodyDeadline(timeout time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
		h.ServeHTTP(w, r)
	})
}

// addrLimiter counts unauthenticated requests per address and minute:
// past the limit they are refused with 429 and summarised in one log line
// per address and minute, so that failed requests cannot flood the log.
// It tracks at most maxTracked addresses; beyond that every new address
// shares one bucket (a botnet of fresh addresses is limited together).
type addrLimiter struct {
	mu     sync.Mutex
	limit  int // per address and minute
	total  int // over all addresses, per minute
	minute int64
	logged int // lines allowed this minute, over all addresses
	counts map[netip.Addr]int
	over   map[netip.Addr]int // refused without a log line, minutes ended
	extra  map[netip.Addr]int // refused for the total budget, this minute
}

const maxTracked = 1 << 16

func newAddrLimiter(perMinute, total int) *addrLimiter {
	return &addrLimiter{limit: perMinute, total: total, counts: map[netip.Addr]int{}, over: map[netip.Addr]int{}, extra: map[netip.Addr]int{}}
}

// allow reports whether an unauthenticated request from addr may be
// answered in full and logged now: within its address's budget and the
// budget of all addresses together (many addresses must not multiply the
// lines an attacker can write).
func (l *addrLimiter) allow(addr netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	if _, ok := l.counts[addr]; !ok && len(l.counts) >= maxTracked {
		addr = netip.Addr{}
	}
	l.counts[addr]++
	if l.counts[addr] > l.limit {
		return false
	}
	if l.logged >= l.total {
		l.extra[addr]++
		return false
	}
	l.logged++
	return true
}

// suppress counts a request refused without a log line for another reason
// (the log is failing).
func (l *addrLimiter) suppress(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.extra[addr]; ok || len(l.extra) < maxTracked {
		l.extra[addr]++
	}
}

// roll starts a new minute, keeping the ended one's refusals for
// suppressed.
func (l *addrLimiter) roll(now time.Time) {
	m := now.Unix() / 60
	if m == l.minute {
		return
	}
	for a, n := range l.counts {
		if n > l.limit && len(l.over) < maxTracked {
			l.over[a] += n - l.limit
		}
	}
	for a, n := range l.extra {
		if len(l.over) < maxTracked {
			l.over[a] += n
		}
	}
	l.minute, l.logged = m, 0
	clear(l.counts)
	clear(l.extra)
}

// suppressed returns (and forgets) how many requests each address had
// refused without a log line, in minutes that have ended.
func (l *addrLimiter) suppressed(now time.Time) map[netip.Addr]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	if len(l.over) == 0 {
		return nil
	}
	out := l.over
	l.over = map[netip.Addr]int{}
	return out
}
