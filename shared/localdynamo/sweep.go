package localdynamo

import (
	"strconv"
	"time"

	"github.com/truora/minidyn/types"
)

// sweepBudget is how many items one sweep looks at in each table: a sweep's work is bounded however
// large the table grows, and successive sweeps go round the whole table.
const sweepBudget = 1000

// ttlHorizon is how far in the past an expiry may lie and still be swept: DynamoDB leaves alone items
// whose TTL is more than five years old, taking it for some other kind of number.
const ttlHorizon = 5 * 365 * 24 * time.Hour

// sweep deletes, as DynamoDB's TTL does, the items whose TTL attribute is a number of unix seconds
// before now, looking at up to budget items of each table with TTL on, from where its last sweep
// stopped. It returns how many items it deleted.
func (e *engine) sweep(now time.Time, budget int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	deleted := 0
	for _, t := range e.tables {
		if t.ttl != "" {
			deleted += t.sweep(now, budget)
		}
	}
	return deleted
}

func (t *table) sweep(now time.Time, budget int) int {
	o := &t.order
	p := pos{}
	if t.sweepFrom != nil {
		from := *t.sweepFrom
		p = o.first(func(x entry) bool { return x.cmp(from) > 0 })
	}
	var expired []string
	for range budget {
		if !o.valid(p) {
			t.sweepFrom = nil // round the table: the next sweep starts again
			break
		}
		x := o.at(p)
		if expiredBy(t.items[x.id].attrs[t.ttl], now) {
			expired = append(expired, x.id)
		}
		t.sweepFrom = &x
		p = o.next(p)
	}
	for _, id := range expired {
		t.remove(id)
	}
	return len(expired)
}

// expiredBy reports whether a TTL attribute's value has expired by now: a number of unix seconds
// before it, within ttlHorizon; any other value never expires.
func expiredBy(v *types.Item, now time.Time) bool {
	if v == nil || v.N == nil {
		return false
	}
	s, err := strconv.ParseFloat(*v.N, 64)
	if err != nil {
		return false
	}
	at := time.Unix(int64(s), 0)
	return at.Before(now) && now.Sub(at) <= ttlHorizon
}
