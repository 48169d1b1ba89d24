package main

import (
	"log/slog"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/branches"
	"github.com/atomsbot/atomsbot/atoms/platform/drafts"
)

// newPlatform is the Atoms platform for ATOMS_API: one model's adapter, or
// (auto) both behind the detector. setModel hears the model in use.
func newPlatform(api string, c *atoms.Client, now func() time.Time, log *slog.Logger, setModel func(string)) platform.Platform {
	v1, v2 := drafts.New(c), branches.New(c, now)
	switch api {
	case "v1":
		setModel(string(platform.ModelV1))
		return v1
	case "v2":
		setModel(string(platform.ModelV2))
		return v2
	}
	return platform.NewAuto(v1, v2, v2, log, func(m platform.Model) { setModel(string(m)) })
}
