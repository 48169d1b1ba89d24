package main

import (
	"net"
	"net/http"
	"sync"
)

// connLimiter caps the HTTP connections served at once, so a flood of
// connections cannot exhaust memory or file descriptors. At the cap, a new
// connection takes the place of the one that has waited longest without a
// complete request header (a connection still sending its header or sending
// nothing, or an idle keep-alive one): connections that trickle or send
// nothing cannot keep a real request out. Connections busy with a request are
// never closed; when all are busy, Accept waits for one to end.
//
// It needs to see the server's connection states: set http.Server.ConnState
// to its track method.
type connLimiter struct {
	net.Listener
	max int

	mu      sync.Mutex
	open    map[*limitedConn]struct{}
	n       int    // slots taken: open connections plus accepts in progress
	seq     uint64 // orders connections by when they began to wait
	changed chan struct{}
	done    chan struct{}
	once    sync.Once
}

// newConnLimiter limits ln to max connections (max ≤ 0: the default).
func newConnLimiter(ln net.Listener, max int) *connLimiter {
	if max <= 0 {
		max = defaultMaxConnections
	}
	return &connLimiter{Listener: ln, max: max, open: map[*limitedConn]struct{}{},
		changed: make(chan struct{}, 1), done: make(chan struct{})}
}

// limitedConn is a connection holding one slot until it is closed.
type limitedConn struct {
	net.Conn
	l       *connLimiter
	waiting bool   // no complete request header yet (new or idle)
	since   uint64 // when it began to wait
	once    sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c) })
	return err
}

// Accept accepts a connection into a free slot. At the cap it first waits
// for a new connection to arrive, then makes room for it by closing the
// connection that has waited longest, or holds it until one ends when all
// are busy with a request.
func (l *connLimiter) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.n < l.max {
		l.n++
		l.mu.Unlock()
		c, err := l.Listener.Accept()
		l.mu.Lock()
		defer l.mu.Unlock()
		if err != nil {
			l.n--
			return nil, err
		}
		return l.add(c), nil
	}
	l.mu.Unlock()
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	for {
		l.mu.Lock()
		if l.n < l.max {
			l.n++
			defer l.mu.Unlock()
			return l.add(c), nil
		}
		victim := l.longestWaiting()
		l.mu.Unlock()
		if victim != nil {
			_ = victim.Close()
			continue
		}
		select {
		case <-l.changed:
		case <-l.done:
			_ = c.Close()
			return nil, net.ErrClosed
		}
	}
}

// add registers c in a slot already counted. Called with mu held.
func (l *connLimiter) add(c net.Conn) *limitedConn {
	lc := &limitedConn{Conn: c, l: l, waiting: true, since: l.next()}
	l.open[lc] = struct{}{}
	return lc
}

// Close stops the listener and wakes an Accept waiting for a slot.
func (l *connLimiter) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// track is the server's ConnState hook: a connection waits (may be closed
// to make room) while it is new or idle, not while it serves a request.
func (l *connLimiter) track(c net.Conn, s http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	switch s {
	case http.StateNew, http.StateIdle:
		if _, open := l.open[lc]; open && !lc.waiting {
			lc.waiting, lc.since = true, l.next()
		}
	case http.StateActive, http.StateHijacked:
		lc.waiting = false
	}
	l.mu.Unlock()
	if s == http.StateIdle {
		l.wake()
	}
}

func (l *connLimiter) release(c *limitedConn) {
	l.mu.Lock()
	if _, ok := l.open[c]; ok {
		delete(l.open, c)
		l.n--
	}
	l.mu.Unlock()
	l.wake()
}

// wake tells a waiting Accept that a slot may be free or closable.
func (l *connLimiter) wake() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

func (l *connLimiter) next() uint64 { l.seq++; return l.seq }

// longestWaiting is the waiting connection to close for a new one; nil when
// every open connection is serving a request. Called with mu held.
func (l *connLimiter) longestWaiting() *limitedConn {
	var victim *limitedConn
	for c := range l.open {
		if c.waiting && (victim == nil || c.since < victim.since) {
			victim = c
		}
	}
	return victim
}
