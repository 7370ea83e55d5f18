package postgres

import (
	"context"
	"fmt"
	"time"
)

// Prune deletes the day-keyed counters of autoreply (daily limits) and
// relay (caps and breakers) for days before the date of before, and
// returns the number of rows deleted. Call it now and then with a date two
// or more days back: no store reads a past day's counters. Bounce data is
// not touched.
func (db *DB) Prune(ctx context.Context, before time.Time) (int64, error) {
	day := civilDay(before)
	var n int64
	for _, table := range []string{"deskmail_autoreply_counts", "deskmail_relay_usage", "deskmail_relay_breakers"} {
		tag, err := db.pool.Exec(ctx, `delete from `+table+` where day < $1`, day)
		if err != nil {
			return n, fmt.Errorf("postgres: prune %s: %w", table, err)
		}
		n += tag.RowsAffected()
	}
	return n, nil
}
