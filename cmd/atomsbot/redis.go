package main

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// redisOptions are the client options for a REDIS_URL. Context deadlines are
// honoured: without that, go-redis waits out its own 3 s read timeout, and a
// slow Redis would hold an ack (bounded at 1 s on its Redis read) past
// Slack's 3 s.
func redisOptions(redisURL string) (*redis.Options, error) {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", errors.New("cannot be parsed")) // the URL may hold a password: not echoed
	}
	opt.ContextTimeoutEnabled = true
	return opt, nil
}

// openRedis connects to REDIS_URL, or starts the embedded Redis for
// REDIS_URL=memory (embedded is then non-nil). An empty URL is refused: an
// embedded Redis by accident would give each replica its own state.
func openRedis(redisURL string, log *slog.Logger) (*redis.Client, *miniredis.Miniredis, error) {
	switch redisURL {
	case "":
		return nil, nil, errors.New("REDIS_URL is required (`memory` runs an embedded Redis for a one-replica trial)")
	case RedisMemory:
		mr, err := miniredis.Run()
		if err != nil {
			return nil, nil, fmt.Errorf("embedded redis: %w", err)
		}
		log.Warn("REDIS_URL=memory: using an EMBEDDED, IN-MEMORY Redis. Promotions, approvals and locks are lost on restart and are not shared between replicas: run ONE replica only, and only for a trial.")
		return redis.NewClient(&redis.Options{Addr: mr.Addr(), ContextTimeoutEnabled: true}), mr, nil
	}
	opt, err := redisOptions(redisURL)
	if err != nil {
		return nil, nil, err
	}
	return redis.NewClient(opt), nil, nil
}
