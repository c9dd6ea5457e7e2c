package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Outbox stands in for phones and mailboxes in local runs: it keeps every
// message, newest last, and writes one line per message to w. The line carries
// the full recipient and body on purpose, because w is the local user's phone.
// It is safe for concurrent use.
type Outbox struct {
	mu      sync.Mutex
	w       io.Writer
	now     func() time.Time
	entries []Entry
}

// Entry is one message as the outbox received it.
type Entry struct {
	Channel string    `json:"channel"` // "SMS" or "Email"
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	SentAt  time.Time `json:"sentAt"`
}

// NewOutbox returns an empty outbox. A nil w discards the lines and a nil now
// uses the wall clock, so tests only pass what they care about.
func NewOutbox(w io.Writer, now func() time.Time) *Outbox {
	if w == nil {
		w = io.Discard
	}
	if now == nil {
		now = time.Now
	}
	return &Outbox{w: w, now: now}
}

// SMS returns a sender that records messages as text messages.
func (o *Outbox) SMS() *OutboxSender { return &OutboxSender{outbox: o, channel: "SMS"} }

// Email returns a sender that records messages as emails.
func (o *Outbox) Email() *OutboxSender { return &OutboxSender{outbox: o, channel: "Email"} }

// Entries returns a copy so callers cannot rewrite history under the lock.
func (o *Outbox) Entries() []Entry {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Entry, len(o.entries))
	copy(out, o.entries)
	return out
}

func (o *Outbox) record(channel string, m Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := Entry{Channel: channel, To: m.To, Subject: m.Subject, Body: m.Body, SentAt: o.now()}
	o.entries = append(o.entries, e)
	// JSON keeps a multi-line body on one line, and writing under the lock keeps
	// lines in the same order as Entries.
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("outbox encode: %w", err)
	}
	if _, err := o.w.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("outbox write: %w", err)
	}
	return nil
}

// OutboxSender delivers into an Outbox on one channel.
type OutboxSender struct {
	outbox  *Outbox
	channel string
}

// Send records m. It fails like the real senders do on a cancelled context or
// an empty recipient, so local runs exercise the same error paths.
func (s *OutboxSender) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if m.To == "" {
		return fmt.Errorf("outbox: %w", errNoRecipient)
	}
	return s.outbox.record(s.channel, m)
}

// Name identifies the provider in audit records.
func (s *OutboxSender) Name() string { return "LocalOutbox" }
