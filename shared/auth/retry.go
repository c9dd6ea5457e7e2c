package auth

import (
	"context"
	"errors"
	"fmt"
)

// maxTries bounds the read-change-write rounds of one optimistic change. Each round that fails lost
// to a change that did commit, so a few rounds settle any realistic contention; past that, the caller
// is told to try again rather than held.
const maxTries = 4

// retryConflicts runs one read-change-write round, and runs it again on a fresh read while it meets a
// concurrent change (ErrConflict), up to maxTries rounds. It returns the rounds used and the last
// round's error; when every round met a conflict the error still matches ErrConflict. There is no
// pause between rounds: a conflict means the other change has committed already, so the next read
// sees it.
//
// Every optimistic update of the domain goes through here, so the bound and the rule "only a conflict
// is retried" are stated once.
func retryConflicts(ctx context.Context, round func() error) (int, error) {
	var err error
	for try := 1; try <= maxTries; try++ {
		if cerr := ctx.Err(); cerr != nil {
			return try - 1, cerr
		}
		if err = round(); !errors.Is(err, ErrConflict) {
			return try, err
		}
	}
	return maxTries, fmt.Errorf("changed concurrently %d times: %w", maxTries, err)
}
