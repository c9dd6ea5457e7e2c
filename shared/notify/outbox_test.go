package notify_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"mfagateway/shared/notify"
)

// fakeClock advances one second per reading so every entry gets a distinct,
// predictable timestamp without sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func decodeLines(t *testing.T, out string) []notify.Entry {
	t.Helper()
	var entries []notify.Entry
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var e notify.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q is not an entry: %v", sc.Text(), err)
		}
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestOutboxRecordsNewestLast(t *testing.T) {
	type send struct {
		email bool
		msg   notify.Message
	}
	tests := []struct {
		name  string
		sends []send
		want  []notify.Entry
	}{
		{"empty", nil, []notify.Entry{}},
		{"mixed channels", []send{
			{false, notify.Message{To: "+31612345678", Body: "SMS code 111111"}},
			{true, notify.Message{To: "sam@example.com", Subject: "Your code", Body: "Email code 222222"}},
			{false, notify.Message{To: "+14155552671", Body: "multi\nline — ü"}},
		}, []notify.Entry{
			{Channel: "SMS", To: "+31612345678", Body: "SMS code 111111", SentAt: time.Date(2025, 1, 2, 3, 4, 6, 0, time.UTC)},
			{Channel: "Email", To: "sam@example.com", Subject: "Your code", Body: "Email code 222222", SentAt: time.Date(2025, 1, 2, 3, 4, 7, 0, time.UTC)},
			{Channel: "SMS", To: "+14155552671", Body: "multi\nline — ü", SentAt: time.Date(2025, 1, 2, 3, 4, 8, 0, time.UTC)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			o := notify.NewOutbox(&buf, newFakeClock().Now)
			for _, s := range tt.sends {
				sender := o.SMS()
				if s.email {
					sender = o.Email()
				}
				if err := sender.Send(context.Background(), s.msg); err != nil {
					t.Fatalf("Send: %v", err)
				}
			}

			got := o.Entries()
			if len(got) != len(tt.want) {
				t.Fatalf("got %d entries, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range tt.want {
				if !entryEqual(got[i], tt.want[i]) {
					t.Errorf("entry %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}

			lines := decodeLines(t, buf.String())
			if len(lines) != len(tt.want) {
				t.Fatalf("wrote %d lines, want %d:\n%s", len(lines), len(tt.want), buf.String())
			}
			for i := range tt.want {
				if !entryEqual(lines[i], tt.want[i]) {
					t.Errorf("line %d = %+v, want %+v", i, lines[i], tt.want[i])
				}
			}
		})
	}
}

func entryEqual(a, b notify.Entry) bool {
	return a.Channel == b.Channel && a.To == b.To && a.Subject == b.Subject && a.Body == b.Body && a.SentAt.Equal(b.SentAt)
}

func TestOutboxEntriesIsACopy(t *testing.T) {
	o := notify.NewOutbox(nil, nil)
	if err := o.SMS().Send(context.Background(), notify.Message{To: "+31612345678", Body: "original"}); err != nil {
		t.Fatal(err)
	}
	got := o.Entries()
	got[0].Body = "tampered"

	again := o.Entries()
	if len(again) != 1 || again[0].Body != "original" {
		t.Fatalf("outbox changed through returned slice: %+v", again)
	}
	if again[0].SentAt.IsZero() {
		t.Error("nil clock should default to the wall clock")
	}
}

func TestOutboxConcurrentSends(t *testing.T) {
	const goroutines, perGoroutine = 32, 25
	var buf bytes.Buffer
	o := notify.NewOutbox(&buf, newFakeClock().Now)

	var wg sync.WaitGroup
	errs := make(chan error, goroutines*perGoroutine)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sender := o.SMS()
			if g%2 == 1 {
				sender = o.Email()
			}
			for i := range perGoroutine {
				errs <- sender.Send(context.Background(), notify.Message{To: fmt.Sprintf("to-%d", g), Body: fmt.Sprintf("%d/%d", g, i)})
				_ = o.Entries() // readers race with writers too
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
	}

	entries := o.Entries()
	lines := decodeLines(t, buf.String())
	if len(entries) != goroutines*perGoroutine || len(lines) != len(entries) {
		t.Fatalf("got %d entries and %d lines, want %d each", len(entries), len(lines), goroutines*perGoroutine)
	}
	seen := map[string]bool{}
	for i, e := range entries {
		if !entryEqual(e, lines[i]) {
			t.Fatalf("line %d %+v does not match entry %+v", i, lines[i], e)
		}
		if i > 0 && !e.SentAt.After(entries[i-1].SentAt) {
			t.Fatalf("entry %d not newer than its predecessor", i)
		}
		var g int
		if _, err := fmt.Sscanf(e.To, "to-%d", &g); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]string{false: "SMS", true: "Email"}[g%2 == 1]; e.Channel != want {
			t.Errorf("entry %+v has channel %q, want %q", e, e.Channel, want)
		}
		seen[e.Body] = true
	}
	if len(seen) != len(entries) {
		t.Errorf("%d distinct bodies, want %d", len(seen), len(entries))
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestOutboxSendErrors(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name        string
		w           func() *notify.Outbox
		ctx         context.Context
		msg         notify.Message
		wantEntries int
	}{
		{"cancelled context", func() *notify.Outbox { return notify.NewOutbox(nil, nil) }, cancelled,
			notify.Message{To: "+31612345678", Body: "b"}, 0},
		{"empty recipient", func() *notify.Outbox { return notify.NewOutbox(nil, nil) }, context.Background(),
			notify.Message{Body: "b"}, 0},
		{"writer fails but message is kept", func() *notify.Outbox { return notify.NewOutbox(failingWriter{}, nil) }, context.Background(),
			notify.Message{To: "+31612345678", Body: "b"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.w()
			if err := o.SMS().Send(tt.ctx, tt.msg); err == nil {
				t.Fatal("Send succeeded, want error")
			}
			if got := len(o.Entries()); got != tt.wantEntries {
				t.Errorf("got %d entries, want %d", got, tt.wantEntries)
			}
		})
	}
}
