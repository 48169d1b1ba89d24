// Package state is atomsbot's own state in Redis: promotions and their
// approvals, per-agent locks, the due-queue that drives the pollers, edit
// sessions, watches, delivery dedupe and the audit log.
//
// It is where the "one publish, one activation, one announcement however many
// replicas run" guarantee lives: every state change that more than one actor
// may attempt is a compare-and-set executed by a Lua script (or a MULTI/EXEC
// block) in one round trip, never a read followed by a write.
//
// # One hash tag
//
// Every key lives under a single hash tag, "{<prefix>}:…", so that every
// script may touch any of the bot's keys (a promotion, its agent's lock and
// the due-queue in one atomic step) and still be valid on Redis Cluster, where
// a script may only touch keys of one slot. The price is that the whole bot
// state sits on one shard of a cluster: it cannot be spread for throughput or
// size. That is the right trade for this data — a few thousand small records
// and a handful of operations per second — where atomicity across promotion,
// lock and queue matters far more than horizontal scale. Every key a script
// touches is declared in KEYS.
//
// # Time
//
// Time comes from the clock given to New and is passed into scripts as an
// argument (never Redis TIME), so tests control it. Leases of the due-queue are
// scores in a sorted set and therefore follow that clock. Locks, sessions and
// delivery-dedupe marks use Redis key expiry, which follows Redis's clock.
// Times are stored as unix milliseconds and read back in UTC, so they come
// back truncated to the millisecond.
//
// Leases stay on the replicas' clocks on purpose. A lease only keeps replicas
// from doing the same work twice; correctness never rests on it: every state
// change is a compare-and-set, and what cannot be taken back (a publish, a
// post) is done under a lock whose expiry is Redis's. Those locks are needed
// anyway — a process paused past its lease, and commands handled outside any
// lease, would overlap a lease holder on any clock — so leases on Redis TIME
// would remove no lock, and would cost tests their control of time on a real
// Redis. Clock skew between replicas costs at most duplicated looks.
//
// # Lost answers
//
// A command that timed out may still have run. Claim therefore takes a token
// (ClaimToken): repeated with the same token it returns what its first run
// leased instead of leaving those items leased to a poller that does not
// know. Reschedule, Complete and the locks are safe to repeat as they are.
//
// # Retention
//
// Promotions and their approvals are kept while open; once a promotion is
// Live or terminal they expire after the retention period (WithRetention,
// default 30 days). Audit streams are capped per agent (WithAuditMaxLen).
package state
