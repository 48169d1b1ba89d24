package state

import (
	"errors"
	"testing"
	"time"
)

func TestBlobs(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		if _, err := e.store.Blob(ctx, "missing"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Blob(missing) err = %v, want ErrNotFound", err)
		}
		if err := e.store.PutBlob(ctx, "k", []byte("v1"), 0); !errors.Is(err, ErrInvalid) {
			t.Fatalf("PutBlob ttl 0 err = %v, want ErrInvalid", err)
		}
		for _, v := range []string{"v1", "v2 replaces v1"} {
			if err := e.store.PutBlob(ctx, "k", []byte(v), time.Hour); err != nil {
				t.Fatal(err)
			}
			got, err := e.store.Blob(ctx, "k")
			if err != nil || string(got) != v {
				t.Fatalf("Blob = %q, %v; want %q", got, err, v)
			}
		}
		if e.mr != nil {
			e.mr.FastForward(2 * time.Hour)
			if _, err := e.store.Blob(ctx, "k"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Blob after ttl err = %v, want ErrNotFound", err)
			}
		}
	})
}
