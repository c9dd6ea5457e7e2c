package auth

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// TestSMSCapShards holds the cap's counters to their split: as many shards as the cap allows, at most
// smsShards, each with a part of at least one, adding up to the cap; and a drawn shard is one of them,
// in the clock hour of the send, with its own part as limit.
func TestSMSCapShards(t *testing.T) {
	now := time.Date(2031, 3, 4, 10, 42, 0, 0, time.UTC)
	for _, limit := range []int{1, 3, 10, 25, 1000, 1001} {
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			n := shardsOf(limit)
			if n != min(limit, smsShards) {
				t.Errorf("%d shards, want %d", n, min(limit, smsShards))
			}
			sum := 0
			for shard := range n {
				part := shardLimit(limit, shard)
				if part < 1 {
					t.Errorf("shard %d has a part of %d", shard, part)
				}
				sum += part
			}
			if sum != limit {
				t.Errorf("the parts add up to %d, want the cap %d", sum, limit)
			}
			var seed [32]byte
			r := rand.NewChaCha8(seed)
			for range 50 {
				s, err := drawSMSShard(r, now, limit)
				if err != nil {
					t.Fatal(err)
				}
				if s.Shard < 0 || s.Shard >= n || s.Limit != shardLimit(limit, s.Shard) ||
					!s.Window.Equal(now.Truncate(time.Hour)) || !s.ExpiresAt.After(s.Window.Add(time.Hour)) {
					t.Fatalf("drew %+v", s)
				}
			}
		})
	}
	t.Run("no cap", func(t *testing.T) {
		if s, err := drawSMSShard(nil, now, 0); err != nil || s != (SMSShard{}) {
			t.Errorf("a zero cap drew %+v, %v; want the zero shard, which counts nowhere", s, err)
		}
	})
}
