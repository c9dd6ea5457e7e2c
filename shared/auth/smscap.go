package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// The deployment-wide SMS cap (SMS_SENDS_PER_HOUR) bounds what a flood of logins to numbers an
// attacker chose (SMS pumping) can cost in an hour. It is kept in smsShards counters per clock hour
// rather than one, so that every text of the deployment does not write the same item: one item written
// by every concurrent login's transaction would make them collide (TransactionConflict) and throttle
// the whole deployment on one partition. Each text counts in one shard drawn at random, in the same
// transaction as the send it belongs to, and the shards' limits add up to the cap exactly. A full shard
// refuses while another may have room, so the cap may be reached somewhat before its last text: early
// rather than late.

// smsShards is the most counters the hourly SMS cap is kept in.
const smsShards = 10

// ErrSMSCap is a text refused because the deployment sent SMS_SENDS_PER_HOUR this clock hour.
var ErrSMSCap = errors.New("deployment-wide SMS cap reached")

// SMSShard is the counter of the deployment's hourly SMS cap that one text counts in.
type SMSShard struct {
	Window    time.Time // start of the clock hour
	Shard     int       // from 0 to the number of shards less one
	Limit     int       // this shard's part of the cap
	ExpiresAt time.Time // when the counter may be swept
}

// drawSMSShard draws from r the shard of the hourly cap of limit texts that a text sent now counts in:
// the cap is split into at most smsShards parts, whose limits add up to it. A limit of zero or less (a
// program that set no policy) caps nothing: the zero SMSShard, which the store counts nowhere.
func drawSMSShard(r io.Reader, now time.Time, limit int) (SMSShard, error) {
	if limit <= 0 {
		return SMSShard{}, nil
	}
	i, err := rand.Int(r, big.NewInt(int64(shardsOf(limit))))
	if err != nil {
		return SMSShard{}, fmt.Errorf("random: %w", err)
	}
	shard := int(i.Int64())
	w := now.UTC().Truncate(time.Hour)
	return SMSShard{Window: w, Shard: shard, Limit: shardLimit(limit, shard), ExpiresAt: w.Add(2 * time.Hour)}, nil
}

// shardsOf is how many shards a cap of limit texts is kept in: smsShards, or fewer for a cap too
// small to give each at least one.
func shardsOf(limit int) int { return min(smsShards, limit) }

// shardLimit is shard's part of a cap of limit texts: the cap split as evenly as whole numbers allow.
func shardLimit(limit, shard int) int {
	n := shardsOf(limit)
	part := limit / n
	if shard < limit%n {
		part++
	}
	return part
}

// withSMS is slot with the shard of the SMS cap a text on channel counts in; slot as it is for any
// other channel.
func withSMS(slot SendSlot, channel Channel, r io.Reader, now time.Time, limit int) (SendSlot, error) {
	if channel != ChannelSMS {
		return slot, nil
	}
	shard, err := drawSMSShard(r, now, limit)
	slot.SMS = shard
	return slot, err
}
