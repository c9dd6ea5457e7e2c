package testenv

// Fakes that several packages' tests share.

import (
	"bytes"
	"sync"
	"time"

	"mfagateway/shared/password"
)

// CheapPassword keeps argon2id fast where the password cost is not the point. For tests only: the real
// cost (password.Default) is measured in benchmarks.
var CheapPassword = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Clock is a settable fake clock, safe for concurrent use; it moves only when a test says so.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock is a clock that reads t until it is moved.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// LogBuffer collects what concurrent writers write (log lines, a terminal); the zero value is empty
// and ready to use.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
