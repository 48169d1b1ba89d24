package branches

import (
	"testing"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/adaptertest"
)

func TestLiveIDIsOneRead(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, _, _ := e.agent("watched")
	adaptertest.LiveIDIsOneRead(t, e.w, e.a, id)
}
