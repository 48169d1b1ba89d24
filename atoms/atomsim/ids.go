package atomsim

import (
	cryptorand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"
)

// idGen makes Mongo-style ObjectIds (4-byte seconds, 5-byte process value,
// 3-byte counter) and opaque draft and request ids. With a fixed seed and a
// fixed clock its output is reproducible, which keeps golden files stable.
type idGen struct {
	rng     *rand.Rand
	machine [5]byte
	counter uint32
}

func newIDGen(seed int64) *idGen {
	if seed == 0 {
		var b [8]byte
		_, _ = cryptorand.Read(b[:])
		seed = int64(binary.LittleEndian.Uint64(b[:]))
	}
	g := &idGen{rng: rand.New(rand.NewPCG(uint64(seed), 0x61746f6d73696d))}
	for i := range g.machine {
		g.machine[i] = byte(g.rng.Uint32())
	}
	g.counter = g.rng.Uint32() & 0xffffff
	return g
}

func (g *idGen) objectID(t time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:4], uint32(t.Unix()))
	copy(b[4:9], g.machine[:])
	g.counter = (g.counter + 1) & 0xffffff
	b[9], b[10], b[11] = byte(g.counter>>16), byte(g.counter>>8), byte(g.counter)
	return hex.EncodeToString(b[:])
}

// uuid is a random (version 4 layout) UUID. Draft ids use it: the spec gives
// draftId no pattern, and a shape unlike the record's _id makes a client that
// confuses the two fail loudly.
func (g *idGen) uuid() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], g.rng.Uint64())
	binary.BigEndian.PutUint64(b[8:16], g.rng.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// hex6 is six lowercase hex digits, the suffix of a call id.
func (g *idGen) hex6() string {
	return fmt.Sprintf("%06x", g.rng.Uint32()&0xffffff)
}

// isObjectID reports whether s matches the spec's ^[a-f\d]{24}$.
func isObjectID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
